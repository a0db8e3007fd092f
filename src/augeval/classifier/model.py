"""Mood/theme classifier after Sukhavasi & Adapa (MediaEval 2019, "AMLAG", submission 2).

A mel-spectrogram of shape ``(n_mels, T)`` is cut into ``T // chunk_frames`` chunks. Each chunk
goes through a small colour adapter (BatchNorm + two 1x1 convolutions turning one channel into
three), torchvision's MobileNetV2 ``features`` backbone (rebuilt without torchvision, see
:mod:`augeval.classifier.mobilenet`) and two more convolutions, then a global max pool gives
one 256-d vector per chunk. Two heads read these vectors:

* head A: the chunk sequence plus a sinusoidal positional encoding goes through a small BERT-style
  (post-norm) transformer encoder; the first token is pooled (Linear + tanh) and classified;
* head B: every chunk is classified on its own by a two-layer MLP and the per-chunk
  probabilities are averaged.

The training loss is the mean of the two heads' binary cross-entropies, the prediction the mean
of their probabilities. Both heads' outputs are returned as *logits* (see :meth:`forward`).

Pretrained weights are only ever read from local files; nothing here touches the network.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from augeval.classifier.mobilenet import IMAGENET_WEIGHTS_URL, mobilenet_v2_features
from augeval.classifier.mobilenet import last_channels as backbone_channels
from augeval.errors import CheckpointError, ConfigError

__all__ = [
    "MoodClassifier",
    "backbone_map_size",
    "count_parameters",
    "imagenet_weights_path",
    "load_backbone_weights",
    "sinusoidal_positions",
]

_BERT_INIT_STD = 0.02


def imagenet_weights_path() -> Path:
    """Where torchvision's ImageNet MobileNetV2 weight file is expected: the torch hub cache."""
    url = IMAGENET_WEIGHTS_URL
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def sinusoidal_positions(length: int, dim: int, *, device=None, dtype=None) -> Tensor:
    """The fixed sine/cosine positional encoding of Vaswani et al. (2017), shape (length, dim)."""
    position = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim)
    )
    enc = torch.zeros(length, dim, device=device, dtype=torch.float32)
    enc[:, 0::2] = torch.sin(position * freq)
    enc[:, 1::2] = torch.cos(position * freq)[:, : dim // 2]
    return enc if dtype is None else enc.to(dtype)


def backbone_map_size(n: int) -> int:
    """Size along one axis of the MobileNetV2 ``features`` map of an input of size ``n``: five
    stride-2 convolutions (kernel 3, padding 1) each turn ``n`` into ``ceil(n / 2)``."""
    for _ in range(5):
        n = -(-n // 2)
    return n


def load_backbone_weights(features: nn.Module, path: str | os.PathLike) -> None:
    """Load the ``features.*`` entries of a torchvision ``mobilenet_v2`` state dict file.

    ``features`` is the ``.features`` module of a torchvision MobileNetV2; entries of the file
    outside ``features.`` (the ImageNet classifier) are ignored. Raises :class:`CheckpointError`
    naming the file if it is missing, unreadable or does not fit the backbone.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"pretrained MobileNetV2 weight file {str(path)!r} does not exist; put a state dict "
            "of torchvision's mobilenet_v2 there, or set classifier.pretrained to such a file, "
            "to 'imagenet' or to 'none'"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, pickle refused by weights_only, I/O error, ...
        raise CheckpointError(
            f"cannot read pretrained MobileNetV2 weight file {str(path)!r}: "
            f"{type(exc).__name__}: {exc}. The file is probably truncated or not a "
            "torch.save'd state dict; replace it."
        ) from exc
    if (
        isinstance(state, Mapping)
        and "state_dict" in state
        and isinstance(state["state_dict"], Mapping)
    ):
        state = state["state_dict"]
    if not isinstance(state, Mapping):
        raise CheckpointError(
            f"pretrained MobileNetV2 weight file {str(path)!r} holds a {type(state).__name__}, "
            "not a state dict of torchvision's mobilenet_v2"
        )
    prefix = "features."
    backbone_state = {k[len(prefix) :]: v for k, v in state.items() if str(k).startswith(prefix)}
    if not backbone_state:
        raise CheckpointError(
            f"pretrained MobileNetV2 weight file {str(path)!r} has no 'features.*' entries; "
            "expected a state dict of torchvision.models.mobilenet_v2"
        )
    try:
        features.load_state_dict(backbone_state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"pretrained MobileNetV2 weight file {str(path)!r} does not fit the backbone "
            f"(wrong width_mult or not a torchvision mobilenet_v2?): {exc}"
        ) from exc


class _EncoderLayer(nn.Module):
    """One BERT-style (post-norm) transformer encoder layer.

    Attention probabilities use ``attention_dropout``; the attention output and the feed-forward
    output use ``hidden_dropout`` before their residual sums, as in BERT.
    """

    def __init__(
        self,
        hidden: int,
        heads: int,
        ffn: int,
        *,
        attention_dropout: float = 0.1,
        hidden_dropout: float = 0.2,
        eps: float = 1e-12,
    ) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(
            hidden, heads, dropout=attention_dropout, batch_first=True
        )
        self.attention_dropout = nn.Dropout(hidden_dropout)
        self.attention_norm = nn.LayerNorm(hidden, eps=eps)
        self.intermediate = nn.Linear(hidden, ffn)
        self.output = nn.Linear(ffn, hidden)
        self.output_dropout = nn.Dropout(hidden_dropout)
        self.output_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        attended, _ = self.attention(x, x, x, need_weights=False)
        x = self.attention_norm(x + self.attention_dropout(attended))
        hidden = self.output(F.gelu(self.intermediate(x)))
        return self.output_norm(x + self.output_dropout(hidden))


class MoodClassifier(nn.Module):
    """Chunked MobileNetV2 + (transformer head, per-chunk head) multi-label classifier.

    Parameters
    ----------
    n_classes:
        Number of tags (multi-label outputs).
    n_mels:
        Mel bands of the input; inputs must have exactly this many rows.
    chunk_frames:
        Frames per chunk; the input length must be a positive multiple of it.
    width_mult:
        MobileNetV2 width multiplier (torchvision). Only 1.0 fits the ImageNet weights.
    pretrained:
        ``"none"`` (random initialisation), ``"imagenet"`` (torchvision's ImageNet weight file,
        read from the local torch hub cache, see :func:`imagenet_weights_path`), or a path to a
        state dict file of torchvision's ``mobilenet_v2`` with the same ``width_mult``.
    attention_layers, attention_heads, hidden, ffn:
        Transformer head size: layers, heads, model width (also the per-chunk embedding size)
        and feed-forward width.
    last_channels:
        Channels of the backbone's last 1x1 convolution; None is MobileNetV2's 1280 (the only
        width torchvision's weight files fit), a smaller value a cheaper model (the demo's).
    out_conv_padding:
        Padding of the 3x3 convolution after the backbone: 1 keeps the backbone's map (3 x 8 for
        a 96 x 256 chunk), 0 is the reference's (3 x 8 -> 1 x 6, so the global max sees only
        3x3 windows that lie wholly inside the map). 0 needs a backbone map of at least 3 x 3
        (96 bands and chunks of at least 65 frames).
    """

    def __init__(
        self,
        n_classes: int,
        *,
        n_mels: int = 96,
        chunk_frames: int = 256,
        width_mult: float = 1.0,
        pretrained: str | os.PathLike = "none",
        attention_layers: int = 2,
        attention_heads: int = 4,
        hidden: int = 256,
        ffn: int = 1024,
        out_conv_padding: int = 1,
        last_channels: int | None = None,
    ) -> None:
        super().__init__()
        if n_classes < 1:
            raise ConfigError(f"n_classes must be >= 1, got {n_classes}")
        if n_mels < 1 or chunk_frames < 1:
            raise ConfigError(
                f"n_mels and chunk_frames must be >= 1, got {n_mels} and {chunk_frames}"
            )
        if width_mult <= 0:
            raise ConfigError(f"classifier width_mult must be > 0, got {width_mult}")
        if hidden % attention_heads:
            raise ConfigError(
                f"classifier hidden size {hidden} is not divisible by "
                f"attention_heads {attention_heads}"
            )
        if out_conv_padding not in (0, 1):
            raise ConfigError(f"classifier.out_conv_padding must be 0 or 1, got {out_conv_padding}")
        map_size = (backbone_map_size(n_mels), backbone_map_size(chunk_frames))
        if out_conv_padding == 0 and min(map_size) < 3:
            raise ConfigError(
                f"classifier.out_conv_padding 0 needs a backbone map of at least 3 x 3, but "
                f"{n_mels} mel bands x {chunk_frames} chunk frames give {map_size[0]} x "
                f"{map_size[1]}; use at least 65 bands and chunk_frames, or out_conv_padding 1"
            )
        self.n_classes = n_classes
        self.n_mels = n_mels
        self.chunk_frames = chunk_frames
        self.width_mult = width_mult
        self.hidden = hidden

        # Grey-scale spectrogram -> learned 3-channel "colour" image for the ImageNet backbone.
        self.to_rgb = nn.Sequential(
            nn.BatchNorm2d(1),
            nn.Conv2d(1, 10, kernel_size=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(10, 3, kernel_size=1),
            nn.ReLU(inplace=True),
        )
        if last_channels is not None and last_channels < 1:
            raise ConfigError(f"classifier.last_channels must be >= 1, got {last_channels}")
        self.last_channels = last_channels
        # torchvision's backbone (see its module), with an optional narrower last convolution
        self.features = mobilenet_v2_features(width_mult, last_channels)
        self.reduce = nn.Sequential(
            nn.Conv2d(
                backbone_channels(width_mult, last_channels),
                512,
                kernel_size=3,
                padding=out_conv_padding,
            ),
            nn.ReLU(inplace=True),
            nn.Conv2d(512, hidden, kernel_size=1),
            nn.ReLU(inplace=True),
        )

        # Head A: transformer over chunks, first-token pooler.
        self.encoder = nn.ModuleList(
            _EncoderLayer(hidden, attention_heads, ffn) for _ in range(attention_layers)
        )
        self.pooler = nn.Linear(hidden, hidden)
        self.head_a = nn.Sequential(nn.Dropout(0.2), nn.Linear(hidden, n_classes))

        # Head B: per-chunk MLP.
        self.head_b = nn.Sequential(
            nn.Dropout(0.2),
            nn.Linear(hidden, hidden),
            nn.Dropout(0.2),
            nn.Linear(hidden, n_classes),
        )

        self._init_transformer()
        self.pretrained = str(pretrained)
        self._load_pretrained(pretrained)

    # ------------------------------------------------------------------ initialisation
    def _init_transformer(self) -> None:
        """BERT initialisation (normal(0, 0.02) weights, zero biases) for the transformer head."""
        for module in [*self.encoder.modules(), self.pooler]:
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=_BERT_INIT_STD)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.MultiheadAttention):
                nn.init.normal_(module.in_proj_weight, std=_BERT_INIT_STD)
                nn.init.zeros_(module.in_proj_bias)
                nn.init.normal_(module.out_proj.weight, std=_BERT_INIT_STD)
                nn.init.zeros_(module.out_proj.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _load_pretrained(self, pretrained: str | os.PathLike) -> None:
        if isinstance(pretrained, str) and pretrained == "none":
            return
        if self.last_channels is not None and self.last_channels != backbone_channels(
            self.width_mult
        ):
            raise ConfigError(
                f"classifier.pretrained={str(pretrained)!r} needs the backbone's own last "
                f"convolution ({backbone_channels(self.width_mult)} channels), but "
                f"classifier.last_channels is {self.last_channels}; set last_channels to null"
            )
        if isinstance(pretrained, str) and pretrained == "imagenet":
            if self.width_mult != 1.0:
                raise ConfigError(
                    f"classifier.pretrained='imagenet' needs classifier.width_mult 1.0 (the "
                    f"ImageNet MobileNetV2 weights have width 1.0), got {self.width_mult}; "
                    "set width_mult to 1.0 or pretrained to 'none'"
                )
            path = imagenet_weights_path()
            if not path.is_file():
                url = IMAGENET_WEIGHTS_URL
                raise CheckpointError(
                    f"ImageNet MobileNetV2 weights not found at {str(path)!r} (no network access "
                    f"is attempted). On a machine with internet, download {url} and copy it to "
                    f"exactly that path (the torch hub cache, {torch.hub.get_dir()!r}; set "
                    "TORCH_HOME to move it), or set classifier.pretrained to the path of the "
                    "file, or to 'none' to train from scratch."
                )
            load_backbone_weights(self.features, path)
            return
        if str(pretrained) == "":
            raise ConfigError(
                "classifier.pretrained is empty; use 'none', 'imagenet' or a weight file path"
            )
        load_backbone_weights(self.features, pretrained)

    # ------------------------------------------------------------------ forward
    def n_chunks(self, frames: int) -> int:
        """Number of chunks for an input of ``frames`` frames; ValueError if it does not fit."""
        if frames <= 0 or frames % self.chunk_frames:
            raise ValueError(
                f"input length T={frames} frames is not a positive multiple of "
                f"chunk_frames={self.chunk_frames}"
            )
        return frames // self.chunk_frames

    def embed_chunks(self, x: Tensor) -> Tensor:
        """Per-chunk embeddings, shape (B, n_chunks, hidden), of a batch (B, n_mels, T)."""
        if x.dim() != 3:
            raise ValueError(
                "expected a batch of mel-spectrograms of shape (B, n_mels, T), "
                f"got {tuple(x.shape)}"
            )
        batch, mels, frames = x.shape
        if mels != self.n_mels:
            raise ValueError(f"input has {mels} mel bands, the classifier expects {self.n_mels}")
        n = self.n_chunks(frames)
        # (B, F, n*C) -> (B, F, n, C) -> (B, n, F, C) -> (B*n, 1, F, C)
        chunks = x.reshape(batch, mels, n, self.chunk_frames).permute(0, 2, 1, 3)
        chunks = chunks.reshape(batch * n, 1, mels, self.chunk_frames)
        h = self.reduce(self.features(self.to_rgb(chunks)))
        h = torch.amax(h, dim=(2, 3))
        return h.reshape(batch, n, self.hidden)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Return ``(logits_a, logits_b)``, both of shape (B, n_classes) and both *logits*.

        ``logits_a`` are the transformer head's logits. ``logits_b`` are the logits of head B's
        chunk-averaged probability: ``sigmoid(logits_b) == mean_over_chunks(sigmoid(z_chunk))``
        exactly, computed in log space (``log p - log(1 - p)`` via ``logsumexp`` of
        ``logsigmoid``) so that ``binary_cross_entropy_with_logits(logits_b, y)`` is the original
        BCE of the averaged probabilities without its numerical problems near 0 and 1.
        """
        emb = self.embed_chunks(x)  # (B, n, H)
        n = emb.shape[1]

        seq = emb + sinusoidal_positions(n, self.hidden, device=emb.device, dtype=emb.dtype)
        for layer in self.encoder:
            seq = layer(seq)
        pooled = torch.tanh(self.pooler(seq[:, 0]))
        logits_a = self.head_a(pooled)

        z = self.head_b(emb)  # (B, n, K) per-chunk logits
        log_n = math.log(n)
        log_p = torch.logsumexp(F.logsigmoid(z), dim=1) - log_n
        log_q = torch.logsumexp(F.logsigmoid(-z), dim=1) - log_n
        logits_b = log_p - log_q
        return logits_a, logits_b

    def init_output_bias(self, frequencies: Tensor) -> None:
        """Set both heads' output biases to the log prior odds of the class ``frequencies`` (K,),
        clamped to [1e-3, 1 - 1e-3], so that an untrained model already predicts each class's
        frequency (``classifier.output_bias: prior``)."""
        p = frequencies.detach().to(torch.float64).clamp(1e-3, 1 - 1e-3)
        with torch.no_grad():
            for head in (self.head_a, self.head_b):
                head[-1].bias.copy_(torch.log(p / (1 - p)).to(head[-1].bias.dtype))

    def loss(self, outputs: tuple[Tensor, Tensor], targets: Tensor) -> Tensor:
        """Mean of the two heads' binary cross-entropies against multi-hot ``targets`` (B, K).

        Soft targets in [0, 1] (mixup) are fine.
        """
        logits_a, logits_b = outputs
        targets = targets.to(logits_a.dtype)
        loss_a = F.binary_cross_entropy_with_logits(logits_a, targets)
        loss_b = F.binary_cross_entropy_with_logits(logits_b, targets)
        return 0.5 * (loss_a + loss_b)

    @staticmethod
    def probabilities(outputs: tuple[Tensor, Tensor]) -> Tensor:
        """Prediction from :meth:`forward`'s outputs: the mean of the two heads' probabilities."""
        logits_a, logits_b = outputs
        return 0.5 * (torch.sigmoid(logits_a) + torch.sigmoid(logits_b))

    @torch.no_grad()
    def predict_proba(self, x: Tensor) -> Tensor:
        """Eval-time tag probabilities (B, n_classes): mean of the two heads' probabilities.

        Runs in eval mode without gradients and restores the module's previous mode afterwards.
        """
        was_training = self.training
        self.eval()
        try:
            return self.probabilities(self(x))
        finally:
            self.train(was_training)
