"""SampleRNN's sample codecs (augeval.generators.quantize): hand-computed levels, round-trip
bounds, per-row normalisation and constant (silent) rows."""

import math

import numpy as np
import pytest
import torch

from augeval.generators.quantize import LINEAR_EPS, dequantize, quantize


def test_linear_levels_by_hand():
    # min -0.5, span 1: u = 0, 0.5, 1 -> floor(u * 3.99 + 0.005) = 0, 2, 3 (4 levels)
    x = np.array([-0.5, 0.0, 0.5])
    assert quantize(x, 4, "linear").tolist() == [0, 2, 3]
    # decoded as 2k/q - 1: the bin's lower edge
    assert dequantize(np.array([0, 2, 3]), 4, "linear").tolist() == [-1.0, 0.0, 0.5]
    # two samples: the minimum is level 0 and the maximum the top level, whatever the scale
    assert quantize(np.array([0.1, 0.3]), 256, "linear").tolist() == [0, 255]
    assert dequantize(np.array([0, 128, 255]), 256, "linear").tolist() == [-1.0, 0.0, 0.9921875]
    # u = 0.25 -> floor(0.25 * 255.99 + 0.005) = floor(64.0025) = 64;
    # u = 0.75 -> floor(191.9975) = 191
    assert quantize(np.array([0.0, 1.0, 3.0, 4.0]), 256, "linear").tolist() == [0, 64, 191, 255]


def test_mu_law_levels_by_hand():
    x = np.array([-1.0, 0.0, 0.5, 1.0])
    # 0.5: compand log(1 + 255 * 0.5) / log(256) = ln(128.5) / ln(256) = 0.875703;
    # level round((0.875703 + 1) * 127.5) = round(239.15) = 239
    assert math.log(128.5) / math.log(256) == pytest.approx(0.875703, abs=1e-6)
    assert quantize(x, 256, "mu_law").tolist() == [0, 128, 239, 255]
    # level 239 expands to (256 ** (239 * 2 / 255 - 1) - 1) / 255
    expected = (256 ** (239 * 2 / 255 - 1) - 1) / 255
    assert dequantize(np.array([239]), 256, "mu_law")[0] == pytest.approx(expected, rel=1e-5)
    assert expected == pytest.approx(0.4967, abs=1e-3)


@pytest.mark.parametrize("q_levels", [4, 256, 1024])
def test_linear_round_trip_error_is_within_one_bin(q_levels):
    """In the normalised domain xn = 2 (x - min) / (max - min) - 1, the decoded lower edge lies
    within [-eps/q, (2 + eps)/q) below xn (bins of width 2/q, eps = 0.01)."""
    rng = np.random.default_rng(0)
    x = 0.05 * rng.standard_normal(20000) + 0.02  # quiet and off-centre: the scale is the file's
    q = quantize(x, q_levels, "linear")
    assert q.dtype == np.int64 and q.min() == 0 and q.max() == q_levels - 1
    xn = 2 * (x - x.min()) / (x.max() - x.min()) - 1
    diff = xn - dequantize(q, q_levels, "linear").astype(np.float64)
    assert diff.min() >= -LINEAR_EPS / q_levels - 1e-6
    assert diff.max() < (2 + LINEAR_EPS) / q_levels + 1e-6
    # every level is used by a dense ramp, the bins being equal-width
    ramp = np.linspace(-0.3, 0.7, 50 * q_levels)
    counts = np.bincount(quantize(ramp, q_levels, "linear"), minlength=q_levels)
    assert counts.min() >= 49 and counts.max() <= 51


def test_linear_normalises_each_row_on_its_own():
    rng = np.random.default_rng(1)
    a = rng.integers(-1000, 1000, 4096) / 1024  # dyadic: the affine map below is exact
    b = a * 0.125 + 0.25  # the same shape, quieter and shifted
    rows = quantize(torch.from_numpy(np.stack([a, b])), 256, "linear")
    assert isinstance(rows, torch.Tensor) and rows.shape == (2, 4096)
    assert torch.equal(rows[0], rows[1])  # loudness and DC offset are normalised away
    assert torch.equal(rows[0], torch.from_numpy(quantize(a, 256, "linear")))


def test_constant_and_silent_rows_map_to_the_middle_level():
    x = np.stack([np.zeros(100), np.full(100, 0.3), np.linspace(-1, 1, 100)])
    with np.errstate(all="raise"):
        q = quantize(x, 256, "linear")
    assert (q[0] == 128).all() and (q[1] == 128).all()
    assert q[2].min() == 0 and q[2].max() == 255  # its neighbours in the batch do not matter
    y = dequantize(q, 256, "linear")
    assert np.isfinite(y).all() and (y[:2] == 0).all()
    assert quantize(np.zeros(1), 2, "linear").tolist() == [1]
    assert quantize(np.zeros((2, 0)), 256, "linear").shape == (2, 0)


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="alaw.*mu_law, linear"):
        quantize(np.zeros(4), 256, "alaw")
    with pytest.raises(ValueError, match="alaw"):
        dequantize(np.zeros(4, dtype=np.int64), 256, "alaw")
