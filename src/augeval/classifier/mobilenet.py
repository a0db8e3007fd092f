"""The MobileNetV2 feature backbone (Sandler et al. 2018), built without importing torchvision.

``import torchvision`` costs ~5 s per process (its ``ops`` package pulls in ``torch._dynamo``),
more than a small prediction job's work, and the classifier needs only the backbone. This module
builds the same ``features`` stack as ``torchvision.models.mobilenet_v2(width_mult=w).features``:
the same layers under the same state-dict keys (so torchvision's ImageNet weight file loads into
it), and, from the same torch seed, the same initial weights — it draws random numbers in the
order torchvision's constructor does, including those of the ImageNet classifier that is built
and thrown away (``tests/test_mobilenet.py`` compares both, weight by weight).
"""

from __future__ import annotations

from torch import Tensor, nn

# (expansion t, output channels c, repeats n, first stride s): Table 2 of the paper.
INVERTED_RESIDUAL_SETTING = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
STEM_CHANNELS = 32
LAST_CHANNELS = 1280
IMAGENET_CLASSES = 1000
# torchvision's ImageNet MobileNetV2 weight file (MobileNet_V2_Weights.IMAGENET1K_V1), BSD-3.
IMAGENET_WEIGHTS_URL = "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth"


def round_channels(value: float, divisor: int = 8) -> int:
    """Channels rounded to a multiple of ``divisor``, never more than 10 % below ``value``."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class ConvBNReLU6(nn.Sequential):
    """Convolution (no bias, "same" padding) + BatchNorm + ReLU6, keys ``0``/``1``/``2``; like
    torchvision's block it knows its ``out_channels``."""

    def __init__(self, inp: int, out: int, kernel: int = 3, stride: int = 1, groups: int = 1):
        super().__init__(
            nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out),
            nn.ReLU6(inplace=True),
        )
        self.out_channels = out


class InvertedResidual(nn.Module):
    """Expand (1x1, unless t = 1), depthwise 3x3, linear projection (1x1); residual sum when the
    block keeps its shape."""

    def __init__(self, inp: int, out: int, stride: int, expand_ratio: int):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.stride = stride
        self.use_res_connect = stride == 1 and inp == out
        self.out_channels = out
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNReLU6(inp, hidden, kernel=1))
        layers += [
            ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, out, 1, 1, 0, bias=False),
            nn.BatchNorm2d(out),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


def last_channels(width_mult: float, last: int | None = None) -> int:
    """Channels of the backbone's output: ``last`` if given, else MobileNetV2's (1280, widened
    with ``width_mult`` > 1)."""
    if last is not None:
        return int(last)
    return round_channels(LAST_CHANNELS * max(1.0, width_mult))


def mobilenet_v2_features(width_mult: float = 1.0, last: int | None = None) -> nn.Sequential:
    """The backbone, initialised as torchvision initialises a fresh ``mobilenet_v2``.

    ``last``: channels of its final 1x1 convolution (None: MobileNetV2's, see
    :func:`last_channels`); a smaller one makes the classifier's 3x3 convolution after the
    backbone (``last`` x 512 x 9 weights: 5.9 M of a 0.35-wide model's 8.1 M) cheap for a
    small CPU demo. Only the default fits torchvision's weight files."""
    channels = round_channels(STEM_CHANNELS * width_mult)
    layers: list[nn.Module] = [ConvBNReLU6(3, channels, stride=2)]
    for t, c, n, s in INVERTED_RESIDUAL_SETTING:
        out = round_channels(c * width_mult)
        for i in range(n):
            layers.append(InvertedResidual(channels, out, s if i == 0 else 1, t))
            channels = out
    layers.append(ConvBNReLU6(channels, last_channels(width_mult, last), kernel=1))
    features = nn.Sequential(*layers)
    # torchvision builds its ImageNet classifier next (drawing its default initialisation) and
    # then re-initialises every layer in module order: do the same, then drop the classifier.
    classifier = nn.Linear(last_channels(width_mult, last), IMAGENET_CLASSES)
    for m in features.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    nn.init.normal_(classifier.weight, 0, 0.01)
    return features
