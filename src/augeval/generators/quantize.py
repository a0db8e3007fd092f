"""Sample quantisation of SampleRNN's audio: audio ↔ integer levels ``0 .. q_levels - 1``.

Two codecs, chosen by ``generators.samplernn.quantization``:

``mu_law`` (our default)
    A fixed codec: audio in [-1, 1] is companded with mu = ``q_levels - 1`` and rounded onto
    ``q_levels`` evenly spaced values spanning [-1, 1] (the ends included); decoding expands the
    level back. The scale of the audio is kept.

``linear`` (the paper code's, deepsound's SampleRNN)
    Per file: each row (the last axis: one training excerpt, or one prime) is shifted and scaled
    so that its minimum maps to 0 and its maximum to just under ``q_levels`` (a range of
    ``q_levels - eps`` with ``eps`` = 0.01, offset by ``eps / 2``), then floored, so all
    ``q_levels`` levels are equal-width bins of ``[min, max]``. Decoding maps level ``k`` to
    ``2 k / q_levels - 1`` (a bin's lower edge in [-1, 1)), as the paper's code does. The file's
    min and max are not kept: decoding does *not* undo the normalisation, so a decoded excerpt
    spans the full scale whatever its loudness was. A constant row (silence) has no range; it maps
    to the middle level ``q_levels // 2``, which decodes to 0 (the paper's code divides by zero
    there).

Both functions accept a numpy array or a tensor and return the same kind.
"""

from __future__ import annotations

import math

import numpy as np
import torch

QUANTIZATIONS = ("mu_law", "linear")
LINEAR_EPS = 0.01  # the paper code's margin that keeps the maximum below q_levels


def _check(kind: str) -> None:
    if kind not in QUANTIZATIONS:
        raise ValueError(f"quantization {kind!r}; allowed: {', '.join(QUANTIZATIONS)}")


def quantize(x, q_levels: int = 256, kind: str = "mu_law"):
    """Audio → int64 levels ``0 .. q_levels - 1`` (``linear``: normalised per row of the last
    axis; ``mu_law``: audio clamped to [-1, 1])."""
    _check(kind)
    t = torch.as_tensor(x, dtype=torch.float32)
    if kind == "mu_law":
        t = t.clamp(-1.0, 1.0)
        mu = q_levels - 1
        t = torch.sign(t) * torch.log1p(mu * t.abs()) / math.log1p(mu)
        q = torch.round((t + 1.0) * 0.5 * (q_levels - 1)).clamp(0, q_levels - 1).long()
    else:
        q = _linear_levels(t, q_levels)
    return q.numpy() if isinstance(x, np.ndarray) else q


def _linear_levels(t: torch.Tensor, q_levels: int) -> torch.Tensor:
    if t.numel() == 0:
        return t.long()
    t = t.double()  # the division below is per row; float64 keeps the bin edges exact enough
    lo = t.amin(dim=-1, keepdim=True)
    span = t.amax(dim=-1, keepdim=True) - lo
    flat = span <= 0
    u = (t - lo) / torch.where(flat, torch.ones_like(span), span)
    q = torch.floor(u * (q_levels - LINEAR_EPS) + LINEAR_EPS / 2).long().clamp(0, q_levels - 1)
    return torch.where(flat, torch.full_like(q, q_levels // 2), q)


def dequantize(q, q_levels: int = 256, kind: str = "mu_law"):
    """Levels → float32 audio: ``mu_law`` inverts :func:`quantize` into [-1, 1]; ``linear`` gives
    ``2 k / q_levels - 1`` in [-1, 1), the normalised scale (the file's own scale is not kept)."""
    _check(kind)
    k = torch.as_tensor(q).float()
    if kind == "mu_law":
        y = k * (2.0 / (q_levels - 1)) - 1.0
        mu = q_levels - 1
        y = torch.sign(y) * torch.expm1(y.abs() * math.log1p(mu)) / mu
    else:
        y = k * (2.0 / q_levels) - 1.0
    return y.numpy() if isinstance(q, np.ndarray) else y
