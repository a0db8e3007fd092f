"""Tests of the batch-wise spectrogram augmentations."""

from __future__ import annotations

import math

import pytest
import torch

from augeval.classifier.augment import mixup, random_resized_crop, spec_augment

B, F_BANDS, T_FRAMES = 6, 96, 64


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def spectrograms(b: int = B, seed: int = 1) -> torch.Tensor:
    return torch.randn(b, F_BANDS, T_FRAMES, generator=gen(seed))


# ------------------------------------------------------------------ common contract
AUGMENTS = {
    "crop": lambda x, g, **kw: random_resized_crop(x, g, **kw),
    "specaug": lambda x, g, **kw: spec_augment(x, g, **kw),
}


@pytest.mark.parametrize("name", sorted(AUGMENTS))
def test_shape_dtype_and_input_untouched(name):
    x = spectrograms()
    before = x.clone()
    out = AUGMENTS[name](x, gen(), p=1.0)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.isfinite(out).all()
    assert torch.equal(x, before)
    assert out.data_ptr() != x.data_ptr()
    assert not torch.equal(out, x)


@pytest.mark.parametrize("name", sorted(AUGMENTS))
def test_p_zero_is_identity(name):
    x = spectrograms()
    out = AUGMENTS[name](x, gen(), p=0.0)
    assert torch.equal(out, x)
    assert out.data_ptr() != x.data_ptr()


@pytest.mark.parametrize("name", sorted(AUGMENTS))
def test_deterministic_given_seed(name):
    x = spectrograms()
    a = AUGMENTS[name](x, gen(7), p=0.5)
    b = AUGMENTS[name](x, gen(7), p=0.5)
    c = AUGMENTS[name](x, gen(8), p=0.5)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("name", sorted(AUGMENTS))
def test_probability_selects_some_items(name):
    x = torch.randn(200, 16, 32, generator=gen(3))
    out = AUGMENTS[name](x, gen(4), p=0.33)
    changed = (out != x).flatten(1).any(dim=1).float().mean().item()
    assert 0.15 < changed < 0.5


@pytest.mark.parametrize("name", sorted(AUGMENTS))
def test_bad_arguments(name):
    with pytest.raises(ValueError):
        AUGMENTS[name](torch.randn(F_BANDS, T_FRAMES), gen(), p=1.0)
    with pytest.raises(ValueError):
        AUGMENTS[name](spectrograms(), gen(), p=1.5)


# ------------------------------------------------------------------ random resized crop
def test_crop_of_constant_is_constant():
    x = torch.full((3, F_BANDS, T_FRAMES), -0.7)
    out = random_resized_crop(x, gen(), p=1.0)
    torch.testing.assert_close(out, x)


@pytest.mark.parametrize("shape", [(96, 64), (16, 64), (96, 256)])
def test_crop_keeps_value_range_and_is_a_resized_box(shape):
    # Ramps along time and along frequency stay monotone and within range after crop+resize, and
    # their remaining spans multiply to about the cropped area fraction (<= 0.9 here).
    f, t = shape
    time_ramp = torch.linspace(0, 1, t).expand(4, f, t).contiguous()
    freq_ramp = torch.linspace(0, 1, f)[:, None].expand(4, f, t).contiguous()
    outs = [random_resized_crop(r, gen(2), p=1.0, scale=(0.8, 0.9)) for r in (time_ramp, freq_ramp)]
    for out, dim in zip(outs, (2, 1), strict=True):
        assert torch.isfinite(out).all()
        assert out.min() >= 0 and out.max() <= 1
        assert (out.diff(dim=dim) >= -1e-6).all()
    span_t = outs[0][:, 0, -1] - outs[0][:, 0, 0]
    span_f = outs[1][:, -1, 0] - outs[1][:, 0, 0]
    assert ((span_t * span_f) < 0.92).all()
    assert ((span_t * span_f) > 0.7).all()


def test_crop_on_wide_chunk():
    # Paper shapes: (96, 256) chunks where the asked-for height overflows and gets clamped.
    x = torch.randn(2, 96, 256, generator=gen(9))
    out = random_resized_crop(x, gen(), p=1.0)
    assert out.shape == x.shape and torch.isfinite(out).all()


# ------------------------------------------------------------------ spec augment
@pytest.mark.parametrize("seed", range(5))
def test_spec_augment_masks(seed):
    max_f_frac, max_t_frac = 0.15, 0.20
    x = spectrograms(seed=seed + 10)
    out = spec_augment(
        x, gen(seed), p=1.0, max_freq_fraction=max_f_frac, max_time_fraction=max_t_frac
    )
    max_f = math.floor(max_f_frac * F_BANDS)
    max_t = math.floor(max_t_frac * T_FRAMES)
    for i in range(B):
        fill = x[i].min()
        changed = out[i] != x[i]
        # Every changed cell holds the item's minimum.
        assert torch.all(out[i][changed] == fill)
        masked = out[i] == fill
        rows = masked.all(dim=1)  # frequency masks cover whole rows
        cols = masked.all(dim=0)  # time masks cover whole columns
        assert 1 <= int(rows.sum()) <= 2 * max_f
        assert 1 <= int(cols.sum()) <= 2 * max_t
        # Each masked cell (other than the original minimum) lies in a masked row or column.
        explained = rows[:, None] | cols[None, :]
        assert torch.all(explained | ~changed)
        # Masked rows/columns form at most two runs each, each no longer than the bound.
        for line, bound in ((rows, max_f), (cols, max_t)):
            runs = _runs(line)
            assert 1 <= len(runs) <= 2
            assert all(r <= 2 * bound for r in runs)
            if len(runs) == 2:
                assert all(r <= bound for r in runs)


def _runs(mask: torch.Tensor) -> list[int]:
    runs, length = [], 0
    for v in mask.tolist():
        if v:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    if length:
        runs.append(length)
    return runs


def test_spec_augment_zero_fraction_masks_nothing():
    x = spectrograms()
    out = spec_augment(x, gen(), p=1.0, max_freq_fraction=0.0, max_time_fraction=0.0)
    assert torch.equal(out, x)


# ------------------------------------------------------------------ mixup
def _one_hot_batch(b: int = B) -> tuple[torch.Tensor, torch.Tensor]:
    return spectrograms(b), torch.eye(b)


@pytest.mark.parametrize("per_item", [False, True])
def test_mixup_convex_combination(per_item):
    x, y = _one_hot_batch()
    x_before, y_before = x.clone(), y.clone()
    xm, ym = mixup(x, y, gen(5), alpha=1.0, per_item=per_item)
    assert xm.shape == x.shape and ym.shape == y.shape
    assert torch.equal(x, x_before) and torch.equal(y, y_before)
    assert ((ym >= 0) & (ym <= 1)).all()
    torch.testing.assert_close(ym.sum(dim=1), torch.ones(B))
    lams = []
    for i in range(B):
        # One-hot rows reveal lam and the partner j: ym[i] = lam e_i + (1 - lam) e_j.
        lam = ym[i, i].item()
        others = [j for j in range(B) if j != i and ym[i, j] > 0]
        assert len(others) <= 1
        if others:
            j = others[0]
            torch.testing.assert_close(ym[i, j].item(), 1 - lam, atol=1e-6, rtol=0)
            torch.testing.assert_close(xm[i], lam * x[i] + (1 - lam) * x[j], atol=1e-5, rtol=1e-5)
            lams.append(lam)
        else:
            torch.testing.assert_close(xm[i], x[i])
    if not per_item and lams:
        assert max(lams) - min(lams) < 1e-6


def test_mixup_multi_hot_sum_consistent():
    x = spectrograms()
    y = (torch.rand(B, 7, generator=gen(11)) > 0.5).float()
    xm, ym = mixup(x, y, gen(12))
    assert ((ym >= 0) & (ym <= 1)).all()
    # Row sums lie between the smallest and largest original row sums.
    sums = y.sum(dim=1)
    assert (ym.sum(dim=1) >= sums.min() - 1e-5).all() and (ym.sum(dim=1) <= sums.max() + 1e-5).all()
    assert torch.isfinite(xm).all()


def test_mixup_deterministic_and_lam_distribution():
    x, y = _one_hot_batch()
    a = mixup(x, y, gen(3))
    b = mixup(x, y, gen(3))
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    # Per-item lams from Beta(0.2, 0.2) concentrate near 0 and 1.
    x, y = _one_hot_batch(64)
    _, ym = mixup(x, y, gen(4), alpha=0.2, per_item=True)
    lam = torch.diagonal(ym)
    assert ((lam < 0.1) | (lam > 0.9)).float().mean() > 0.4


def test_mixup_bad_arguments():
    x, y = _one_hot_batch()
    with pytest.raises(ValueError):
        mixup(x, y, gen(), alpha=0.0)
    with pytest.raises(ValueError):
        mixup(x, y[:-1], gen())
