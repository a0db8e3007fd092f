"""Our torchvision-free MobileNetV2 backbone equals torchvision's: keys, shapes, initial weights
from the same seed, outputs, and the module structure the ImageNet weight file needs."""

import pytest
import torch
import torchvision

from augeval.classifier.mobilenet import (
    IMAGENET_WEIGHTS_URL,
    last_channels,
    mobilenet_v2_features,
    round_channels,
)


@pytest.mark.parametrize("width_mult", [0.35, 0.5, 1.0, 1.4])
def test_backbone_is_torchvision_features_from_the_same_seed(width_mult):
    torch.manual_seed(7)
    reference = torchvision.models.mobilenet_v2(weights=None, width_mult=width_mult)
    after_reference = torch.rand(3)
    torch.manual_seed(7)
    ours = mobilenet_v2_features(width_mult)
    after_ours = torch.rand(3)
    theirs = reference.features.state_dict()
    mine = ours.state_dict()
    assert list(mine) == list(theirs)
    for key, value in theirs.items():
        assert torch.equal(mine[key], value), key
    # the random stream continues where torchvision's constructor leaves it
    assert torch.equal(after_ours, after_reference)
    assert last_channels(width_mult) == reference.last_channel
    x = torch.randn(2, 3, 96, 64)
    reference.eval(), ours.eval()
    with torch.no_grad():
        assert torch.equal(ours(x), reference.features(x))


def test_residual_blocks_match_torchvisions():
    ours = mobilenet_v2_features(1.0)
    theirs = torchvision.models.mobilenet_v2(weights=None).features
    for mine, ref in zip(ours, theirs, strict=True):
        if hasattr(ref, "use_res_connect"):
            assert (mine.use_res_connect, mine.stride) == (ref.use_res_connect, ref.stride)
        assert mine.out_channels == ref.out_channels


def test_round_channels_by_hand():
    # 32 * 0.35 = 11.2 -> int(15.2) // 8 * 8 = 8, but 8 < 0.9 * 11.2 = 10.08 -> 16
    assert round_channels(11.2) == 16
    assert round_channels(24 * 0.5) == 16  # 12 -> int(16) // 8 * 8 = 16
    assert round_channels(1280) == 1280
    assert round_channels(3.0) == 8  # never below the divisor


def test_imagenet_url_is_torchvisions():
    assert IMAGENET_WEIGHTS_URL == torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.url


def test_narrower_last_convolution_changes_only_the_last_block_and_the_model_reads_it():
    from augeval.classifier.model import MoodClassifier
    from augeval.errors import ConfigError

    full, narrow = mobilenet_v2_features(0.35), mobilenet_v2_features(0.35, last=320)
    assert (full[-1].out_channels, narrow[-1].out_channels) == (1280, 320)
    assert narrow[-1][0].weight.shape == (320, full[-1][0].in_channels, 1, 1)
    for a, b in zip(full[:-1], narrow[:-1], strict=True):  # every other block keeps its shape
        assert [p.shape for p in a.parameters()] == [p.shape for p in b.parameters()]
    model = MoodClassifier(4, n_mels=96, chunk_frames=128, width_mult=0.35, last_channels=320)
    assert model.reduce[0].in_channels == 320
    # 320 x 512 x 9 weights instead of 1280 x 512 x 9 (+ the last 1x1 convolution's share)
    default = MoodClassifier(4, n_mels=96, chunk_frames=128, width_mult=0.35)
    saved = sum(p.numel() for p in default.parameters()) - sum(
        p.numel() for p in model.parameters()
    )
    assert saved == (1280 - 320) * (512 * 9 + full[-1][0].in_channels + 2)
    assert model(torch.randn(2, 96, 256))[0].shape == (2, 4)
    with pytest.raises(ConfigError, match="last_channels"):
        MoodClassifier(4, width_mult=1.0, last_channels=320, pretrained="imagenet")
