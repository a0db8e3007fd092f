"""Fréchet distance: identities, a closed form computed independently, symmetry, bias."""

import numpy as np
import pytest
import scipy.linalg

from augeval.distance import (
    default_clips_per_class,
    distance_table,
    frechet_distance,
    frechet_from_moments,
    real_variance,
    split_half_frechet,
    subsampled_frechet,
)
from augeval.errors import DataError


def random_spd(rng, d):
    m = rng.normal(size=(d, d))
    return m @ m.T / d + 0.1 * np.eye(d)


def closed_form_scipy(mu1, s1, mu2, s2):
    """The textbook formula with scipy's general matrix square root of S1 S2 (independent of
    the code under test, which uses symmetric eigen-decompositions or a nuclear norm)."""
    cross = scipy.linalg.sqrtm(s1 @ s2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(cross).real)


@pytest.mark.parametrize("shape", [(8, 32), (300, 5)])  # n < d (nuclear norm) and n > d (moments)
def test_zero_for_identical_sets(shape):
    x = np.random.default_rng(0).normal(size=shape)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9 * np.sum(x**2))


def test_one_dimensional_gaussians_have_the_textbook_value():
    # N(1, 2^2) vs N(-2, 0.5^2): (1 + 2)^2 + (2 - 0.5)^2 = 11.25
    assert frechet_from_moments(
        np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[0.25]])
    ) == pytest.approx(11.25)


def test_diagonal_covariances_reduce_to_per_axis_std_differences():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    sd1, sd2 = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((sd1 - sd2) ** 2)  # 5 + 5
    value = frechet_from_moments(mu1, np.diag(sd1**2), mu2, np.diag(sd2**2))
    assert value == pytest.approx(expected) and expected == pytest.approx(10.0)


def test_general_gaussians_match_scipy_closed_form():
    rng = np.random.default_rng(1)
    d = 6
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = random_spd(rng, d), random_spd(rng, d)
    assert frechet_from_moments(mu1, s1, mu2, s2) == pytest.approx(
        closed_form_scipy(mu1, s1, mu2, s2), rel=1e-8
    )


@pytest.mark.parametrize("n", [5, 12, 400])
def test_sample_distance_is_the_closed_form_of_the_sample_moments(n):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(n, 10)), rng.normal(1.0, 2.0, size=(n + 3, 10))
    expected = closed_form_scipy(
        x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False)
    )
    assert frechet_distance(x, y) == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_large_samples_approach_the_population_value():
    rng = np.random.default_rng(3)
    d = 3
    mu1, mu2 = np.zeros(d), np.array([1.0, -1.0, 0.5])
    s1, s2 = random_spd(rng, d), random_spd(rng, d)
    x = rng.multivariate_normal(mu1, s1, size=40000)
    y = rng.multivariate_normal(mu2, s2, size=40000)
    assert frechet_distance(x, y) == pytest.approx(closed_form_scipy(mu1, s1, mu2, s2), rel=0.03)


def test_symmetric():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(7, 20)), rng.normal(0.5, 1.5, size=(9, 20))
    assert frechet_distance(x, y) == pytest.approx(frechet_distance(y, x), rel=1e-10)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    s1, s2 = random_spd(rng, 4), random_spd(rng, 4)
    assert frechet_from_moments(mu1, s1, mu2, s2) == pytest.approx(
        frechet_from_moments(mu2, s2, mu1, s1), rel=1e-10
    )


def test_rejects_bad_shapes():
    with pytest.raises(ValueError):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


def test_small_sample_bias_and_its_floor_estimate():
    """Same distribution: the estimate is > 0 and shrinks with n; its mean part alone has the
    known expectation 2 d / n (unit covariance). Shifted means: fd - floor recovers |shift|^2."""
    rng = np.random.default_rng(5)
    d, draws = 16, 300
    pool = rng.normal(size=(2000, d))
    floor = {n: split_half_frechet(pool, n, draws, rng).mean() for n in (8, 32, 128)}
    assert floor[8] > floor[32] > floor[128] > 0
    # the bias at n = 8 is large: above d (the true distance is 0)
    assert floor[8] > d
    # mean term: E|mean(x) - mean(y)|^2 = 2 d / n for unit covariance
    n = 8
    means = [
        np.sum((rng.normal(size=(n, d)).mean(0) - rng.normal(size=(n, d)).mean(0)) ** 2)
        for _ in range(4000)
    ]
    assert np.mean(means) == pytest.approx(2 * d / n, rel=0.05)
    # excess over the floor estimates the true distance |shift|^2 = 4 with the same n
    shift = np.zeros(d)
    shift[0] = 2.0
    other = rng.normal(size=(2000, d)) + shift
    n = 32
    excess = subsampled_frechet(other, pool, n, draws, rng).mean() - floor[n]
    assert excess == pytest.approx(4.0, abs=1.0)


def test_split_half_needs_two_disjoint_subsets():
    x = np.random.default_rng(6).normal(size=(9, 4))
    assert np.isnan(split_half_frechet(x, 5, 3, np.random.default_rng(0))).all()
    assert np.isfinite(split_half_frechet(x, 4, 3, np.random.default_rng(0))).all()


def test_distance_table_orders_generators_by_closeness():
    rng = np.random.default_rng(7)
    d = 12
    classes = ["a", "b"]
    centre = {"a": np.zeros(d), "b": np.full(d, 3.0)}

    def trial():
        sets = {"real": {c: rng.normal(size=(30, d)) + centre[c] for c in classes}}
        sets["close"] = {c: rng.normal(size=(10, d)) + centre[c] for c in classes}
        sets["far"] = {c: rng.normal(size=(10, d)) + centre[c] + 5.0 for c in classes}
        sets["thin"] = {"a": rng.normal(size=(3, d)), "b": rng.normal(size=(10, d))}
        return sets

    table = distance_table(
        [trial(), trial()], classes, ["close", "far", "thin"], n=8, draws=5, seed=0
    )
    fd = table.set_index(["generator", "class"])["fd"]
    assert (fd["far"] > 10 * fd["close"]).all()
    assert np.isnan(fd[("thin", "a")]) and np.isfinite(fd[("thin", "b")])
    assert (table["n_clips"] == 8).all() and (table["n_trials"] == 2).all()
    # close generator ~ the floor; far one far above
    close = table[table["generator"] == "close"]
    assert (close["fd_excess"].abs() < 0.5 * close["fd_floor"]).all()


def test_default_clips_per_class_leaves_room_for_the_floor():
    assert default_clips_per_class({("g", "a"): 10, ("g", "b"): 12}, {"a": 30, "b": 16}) == 8
    with pytest.raises(DataError, match="distance"):
        default_clips_per_class({("g", "a"): 1}, {"a": 30})


def test_normalised_distances_do_not_depend_on_each_trials_scale():
    rng = np.random.default_rng(8)
    d, classes = 6, ["a"]
    base = {
        "real": {"a": rng.normal(size=(20, d))},
        "g": {"a": rng.normal(1.0, 1.0, size=(10, d))},
    }
    scaled = {k: {"a": 30.0 * v["a"]} for k, v in base.items()}  # same geometry, 30× the scale
    kw = {"n": 5, "draws": 10, "seed": 0}
    one = distance_table([base], classes, ["g"], **kw)
    two = distance_table([scaled], classes, ["g"], **kw)
    assert two["fd"].iloc[0] == pytest.approx(one["fd"].iloc[0], rel=1e-9)
    raw = distance_table([scaled], classes, ["g"], normalise=False, **kw)
    assert raw["fd"].iloc[0] == pytest.approx(900 * one["fd"].iloc[0] * real_variance(base["real"]))
