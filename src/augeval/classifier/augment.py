"""Train-time augmentations of mel-spectrogram batches (B, F, T).

Every function takes an explicit :class:`torch.Generator`, draws all its random numbers from it
(on the generator's device, so a CPU generator works for a CUDA batch), returns new tensors and
leaves its inputs untouched. The same generator state gives the same result.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["mixup", "mixup_pairs", "random_resized_crop", "spec_augment"]


def _check_batch(x: Tensor, name: str = "x") -> None:
    if x.dim() != 3:
        raise ValueError(f"{name} must have shape (B, F, T), got {tuple(x.shape)}")


def _check_probability(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability p must lie in [0, 1], got {p}")


def _uniform(generator: torch.Generator, n: int = 1) -> Tensor:
    return torch.rand(n, generator=generator, device=generator.device).cpu()


def _randint(generator: torch.Generator, low: int, high: int) -> int:
    """A uniform integer in [low, high] (both inclusive)."""
    return int(torch.randint(low, high + 1, (1,), generator=generator, device=generator.device))


def _crop_box(
    height: int,
    width: int,
    generator: torch.Generator,
    scale: tuple[float, float],
    ratio: tuple[float, float],
) -> tuple[int, int, int, int]:
    """Draw (top, left, h, w) of a crop with area fraction in ``scale``, aspect w/h in ``ratio``.

    The aspect ratio is log-uniform in ``ratio``. When the resulting box does not fit (e.g. a
    96-band spectrogram, where the asked-for height would exceed 96), the side that overflows is
    clamped and the other recomputed so the area fraction is kept as far as possible.
    """
    u = _uniform(generator, 4)
    area = height * width * (scale[0] + (scale[1] - scale[0]) * float(u[0]))
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    aspect = math.exp(log_lo + (log_hi - log_lo) * float(u[1]))
    h = min(height, max(1, round(math.sqrt(area / aspect))))
    w = min(width, max(1, round(area / h)))
    h = min(height, max(1, round(area / w)))
    top = min(height - h, int(float(u[2]) * (height - h + 1)))
    left = min(width - w, int(float(u[3]) * (width - w + 1)))
    return top, left, h, w


def _reference_crop_box(
    height: int,
    width: int,
    generator: torch.Generator,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    attempts: int = 10,
) -> tuple[int, int, int, int]:
    """(top, left, h, w) as the reference classifier's random resized crop draws it.

    Up to ``attempts`` boxes are drawn (area fraction uniform in ``scale``, aspect w/h
    log-uniform in ``ratio``, ``w = round(sqrt(area * aspect))``, ``h = round(sqrt(area /
    aspect))``); the first that fits is placed uniformly. If none fits, the *central* box of the
    extreme allowed aspect is taken: on a 96 x 4096 input (aspect 42.7 > 2.3) every draw is
    at least 370 bands high, so it is always the central 96 x round(96 * 2.3) = 221 frames.
    """
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(attempts):
        u = _uniform(generator, 2)
        area = height * width * (scale[0] + (scale[1] - scale[0]) * float(u[0]))
        aspect = math.exp(log_lo + (log_hi - log_lo) * float(u[1]))
        w = round(math.sqrt(area * aspect))
        h = round(math.sqrt(area / aspect))
        if 0 < w <= width and 0 < h <= height:
            return _randint(generator, 0, height - h), _randint(generator, 0, width - w), h, w
    if width / height < ratio[0]:
        w, h = width, round(width / ratio[0])
    elif width / height > ratio[1]:
        w, h = round(height * ratio[1]), height
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def random_resized_crop(
    x: Tensor,
    generator: torch.Generator,
    *,
    p: float = 0.33,
    scale: tuple[float, float] = (0.8, 1.0),
    ratio: tuple[float, float] = (1.7, 2.3),
    box: str = "clamp",
) -> Tensor:
    """With probability ``p`` per item, crop a random box and resize it back to (F, T).

    The box covers an area fraction drawn uniformly from ``scale`` with aspect ratio (width /
    height, i.e. frames / bands) drawn log-uniformly from ``ratio``. ``box="clamp"`` clamps a box
    that does not fit to the spectrogram (see :func:`_crop_box`); ``box="reference"`` redraws it
    and falls back to the central box as the reference does (see :func:`_reference_crop_box`).
    The box is resized back bilinearly.
    """
    if box not in ("clamp", "reference"):
        raise ValueError(f"box must be 'clamp' or 'reference', got {box!r}")
    draw_box = _crop_box if box == "clamp" else _reference_crop_box
    _check_batch(x)
    _check_probability(p)
    if not 0.0 < scale[0] <= scale[1] <= 1.0:
        raise ValueError(f"scale must satisfy 0 < min <= max <= 1, got {scale}")
    if not 0.0 < ratio[0] <= ratio[1]:
        raise ValueError(f"ratio must satisfy 0 < min <= max, got {ratio}")
    out = x.clone()
    batch, height, width = x.shape
    apply = _uniform(generator, batch) < p
    for i in range(batch):
        if not apply[i]:
            continue
        top, left, h, w = draw_box(height, width, generator, scale, ratio)
        crop = x[i, top : top + h, left : left + w]
        if (h, w) == (height, width):
            continue
        resized = F.interpolate(
            crop[None, None].float(), size=(height, width), mode="bilinear", align_corners=False
        )
        out[i] = resized[0, 0].to(x.dtype)
    return out


def spec_augment(
    x: Tensor,
    generator: torch.Generator,
    *,
    p: float = 0.5,
    n_masks: tuple[int, int] = (1, 2),
    max_freq_fraction: float = 0.15,
    max_time_fraction: float = 0.20,
) -> Tensor:
    """SpecAugment-style masking: with probability ``p`` per item, mask bands and frames.

    An augmented item gets a number of frequency masks and, independently, a number of time
    masks, each drawn uniformly from ``n_masks`` (inclusive). A frequency mask covers between 1
    and ``floor(max_freq_fraction * F)`` consecutive bands at a uniform position, a time mask
    between 1 and ``floor(max_time_fraction * T)`` frames (no mask when that bound is 0). Masked
    cells are set to the item's minimum value (taken before masking). Masks may overlap.
    """
    _check_batch(x)
    _check_probability(p)
    if not 0 <= n_masks[0] <= n_masks[1]:
        raise ValueError(f"n_masks must satisfy 0 <= min <= max, got {n_masks}")
    batch, height, width = x.shape
    max_f = int(math.floor(max_freq_fraction * height))
    max_t = int(math.floor(max_time_fraction * width))
    out = x.clone()
    apply = _uniform(generator, batch) < p
    for i in range(batch):
        if not apply[i]:
            continue
        fill = x[i].min()
        for size_max, length, axis in ((max_f, height, 0), (max_t, width, 1)):
            count = _randint(generator, n_masks[0], n_masks[1])
            for _ in range(count):
                if size_max < 1:
                    continue
                size = _randint(generator, 1, min(size_max, length))
                start = _randint(generator, 0, length - size)
                if axis == 0:
                    out[i, start : start + size, :] = fill
                else:
                    out[i, :, start : start + size] = fill
    return out


def mixup(
    x: Tensor,
    y: Tensor,
    generator: torch.Generator,
    *,
    alpha: float = 1.0,
    per_item: bool = False,
) -> tuple[Tensor, Tensor]:
    """Mixup (Zhang et al., 2018) of a batch with a random permutation of itself.

    ``x_mixed = lam * x + (1 - lam) * x[perm]`` and likewise for the (multi-hot) targets ``y``,
    with ``lam ~ Beta(alpha, alpha)``. By default one ``lam`` is drawn per batch, as in the
    original mixup; ``per_item=True`` draws one per item. ``perm`` may map an item to itself.
    Beta variates come from a NumPy generator seeded from ``generator``, so results are
    deterministic given its state. Returns ``(x_mixed, y_mixed)``; ``y_mixed`` has x's dtype.
    """
    if alpha <= 0:
        raise ValueError(f"mixup alpha must be > 0, got {alpha}")
    if not x.is_floating_point():
        raise ValueError(f"mixup needs a floating-point x, got {x.dtype}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y batch sizes differ: {x.shape[0]} vs {y.shape[0]}")
    batch = x.shape[0]
    seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
    perm = torch.randperm(batch, generator=generator, device=generator.device).to(x.device)
    lam_np = np.random.default_rng(seed).beta(alpha, alpha, size=batch if per_item else 1)
    y = y.to(x.dtype)
    lam_x = torch.as_tensor(lam_np, dtype=x.dtype, device=x.device)
    lam_y = torch.as_tensor(lam_np, dtype=y.dtype, device=y.device)
    lam_x = lam_x.reshape(-1, *([1] * (x.dim() - 1)))
    lam_y = lam_y.reshape(-1, *([1] * (y.dim() - 1)))
    perm_y = perm.to(y.device)
    x_mixed = lam_x * x + (1 - lam_x) * x[perm]
    y_mixed = lam_y * y + (1 - lam_y) * y[perm_y]
    return x_mixed, y_mixed


def mixup_pairs(
    x: Tensor, y: Tensor, x2: Tensor, y2: Tensor, generator: torch.Generator, *, alpha: float = 1.0
) -> tuple[Tensor, Tensor]:
    """Mixup as the reference classifier does it: each item ``i`` of ``(x, y)`` is mixed with
    item ``i`` of a second batch ``(x2, y2)`` (the reference draws it from a second,
    independently shuffled loader) with its own ``lam_i ~ Beta(alpha, alpha)``:
    ``x_mixed[i] = lam_i * x[i] + (1 - lam_i) * x2[i]``, likewise the targets.

    Beta variates come from a NumPy generator seeded from ``generator``. Returns
    ``(x_mixed, y_mixed)``; ``y_mixed`` has x's dtype.
    """
    if alpha <= 0:
        raise ValueError(f"mixup alpha must be > 0, got {alpha}")
    if not x.is_floating_point():
        raise ValueError(f"mixup needs a floating-point x, got {x.dtype}")
    if x.shape != x2.shape or y.shape != y2.shape or x.shape[0] != y.shape[0]:
        raise ValueError(
            f"mixup pairs need equal shapes: x {tuple(x.shape)} vs {tuple(x2.shape)}, "
            f"y {tuple(y.shape)} vs {tuple(y2.shape)}"
        )
    seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
    lam = np.random.default_rng(seed).beta(alpha, alpha, size=x.shape[0])
    lam_x = torch.as_tensor(lam, dtype=x.dtype, device=x.device).reshape(-1, *[1] * (x.dim() - 1))
    lam_y = lam_x.reshape(-1, *[1] * (y.dim() - 1))
    x_mixed = lam_x * x + (1 - lam_x) * x2.to(x.dtype)
    y_mixed = lam_y * y.to(x.dtype) + (1 - lam_y) * y2.to(x.dtype)
    return x_mixed, y_mixed
