"""Fréchet distance between sets of embeddings, and the per-class table built from it.

The Fréchet (2-Wasserstein) distance between two Gaussians ``N(m1, S1)`` and ``N(m2, S2)`` is::

    FD = |m1 - m2|^2 + tr(S1) + tr(S2) - 2 tr((S1^1/2 S2 S1^1/2)^1/2)

(:func:`frechet_from_moments`). :func:`frechet_distance` applies it to the sample means and
sample covariances (``ddof=1``) of two embedding sets ``x (n1, d)`` and ``y (n2, d)``. With the
centred, scaled data ``A = (x - mean x) / sqrt(n1 - 1)`` and ``B`` likewise, ``S1 = A^T A`` and
``S2 = B^T B``, and the trace term equals the nuclear norm (sum of singular values) of the small
``(n1, n2)`` matrix ``A B^T``: the eigenvalues of ``S1 S2`` that are not zero are those of
``(A B^T)(A B^T)^T``. That form is exact, real, symmetric in ``x`` and ``y``, and cheap when the
sets are smaller than the dimension, as here (a few clips per class, 256-d embeddings).

**Small-sample bias.** The plug-in estimate is biased upwards: two samples of the *same*
distribution give ``FD > 0`` and ``E|mean x - mean y|^2`` alone is ``tr(S1)/n1 + tr(S2)/n2``
(``2 d / n`` for unit covariance); the trace term adds a bias of the same order, so with ``n``
clips per class and ``d`` = 256 the bias dominates. Distances are therefore only compared at one
``n`` for every class and generator (:func:`distance_table` subsamples both sides to ``n``), they
are divided by the total variance of the real clips (per trial: each baseline trial has its own
embedding space and scale), and the table reports the *same-distribution floor*: the distance
between two disjoint ``n``-subsets of the real reference clips (:func:`split_half_frechet`),
i.e. what a generator that samples the real distribution exactly would score at this ``n``.
``fd_excess = fd - fd_floor`` estimates the distance with that bias removed (both estimates
share the same ``n``, so their biases nearly cancel when the covariances are alike; see
tests/test_distance.py for the check).

**Kernel distance (KAD).** :func:`kernel_distance` is the unbiased estimator of the squared
maximum mean discrepancy (Chung et al. 2025, "KAD: No More FAD!")::

    MMD²_u = 1/(m(m-1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n-1)) Σ_{i≠j} k(y_i, y_j)
             - 2/(mn) Σ_{i,j} k(x_i, y_j)

with the polynomial kernel ``k(x, y) = (x·y / d + 1)^3`` (default) or the Gaussian (RBF) kernel
``exp(-|x - y|² / (2 σ²))`` whose bandwidth ``σ`` is the median pairwise distance of the pooled
rows (the median heuristic). Leaving out the ``i = j`` terms makes it unbiased: its expectation
is 0 for two samples of one distribution at any ``n`` (single values can be negative), where the
Fréchet distance is biased upwards. It assumes no Gaussian shape either.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from augeval.errors import DataError

__all__ = [
    "clip_embeddings",
    "default_clips_per_class",
    "distance_table",
    "frechet_distance",
    "frechet_from_moments",
    "kernel_distance",
    "median_bandwidth",
    "real_variance",
    "split_half_distance",
    "split_half_frechet",
    "subsampled_distance",
    "subsampled_frechet",
]

KERNELS = ("poly", "rbf")


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix (eigenvalues ≥ 0)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_from_moments(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """Fréchet distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)`` (shapes (d,), (d, d))."""
    mu1, mu2 = np.asarray(mu1, float), np.asarray(mu2, float)
    sigma1, sigma2 = np.asarray(sigma1, float), np.asarray(sigma2, float)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError(
            f"shapes do not fit: mu {mu1.shape}/{mu2.shape}, sigma {sigma1.shape}/{sigma2.shape}"
        )
    root1 = _psd_sqrt(sigma1)
    inner = root1 @ sigma2 @ root1
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0.0, None)).sum()
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * cross)
    return max(value, 0.0)


def frechet_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Fréchet distance between the Gaussians fitted to ``x (n1, d)`` and ``y (n2, d)``.

    Sample covariances use ``ddof=1``, so each set needs at least 2 rows.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"expected two (n, d) arrays of equal d, got {x.shape} and {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"need at least 2 embeddings per set, got {len(x)} and {len(y)}")
    d = x.shape[1]
    if len(x) * len(y) > d * d:  # large sets: the d×d moments are cheaper
        return frechet_from_moments(
            x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False)
        )
    a = (x - x.mean(0)) / np.sqrt(len(x) - 1)
    b = (y - y.mean(0)) / np.sqrt(len(y) - 1)
    cross = np.linalg.svd(a @ b.T, compute_uv=False).sum()
    mean_term = np.sum((x.mean(0) - y.mean(0)) ** 2)
    return max(float(mean_term + np.sum(a * a) + np.sum(b * b) - 2 * cross), 0.0)


def subsampled_distance(
    distance, x: np.ndarray, y: np.ndarray, n: int, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """``distance`` between random ``n``-subsets (without replacement) of ``x`` and of ``y``."""
    if n > len(x) or n > len(y):
        raise ValueError(f"cannot draw {n} rows from sets of {len(x)} and {len(y)}")
    return np.array(
        [
            distance(
                x[rng.choice(len(x), n, replace=False)], y[rng.choice(len(y), n, replace=False)]
            )
            for _ in range(draws)
        ]
    )


def split_half_distance(
    distance, x: np.ndarray, n: int, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Same-distribution floor: ``distance`` between two *disjoint* random ``n``-subsets of ``x``.

    Needs ``2 n`` rows; with fewer, every value is NaN.
    """
    if 2 * n > len(x):
        return np.full(draws, np.nan)
    out = []
    for _ in range(draws):
        order = rng.permutation(len(x))
        out.append(distance(x[order[:n]], x[order[n : 2 * n]]))
    return np.array(out)


def subsampled_frechet(
    x: np.ndarray, y: np.ndarray, n: int, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Fréchet distances between random ``n``-subsets (without replacement) of ``x`` and ``y``."""
    return subsampled_distance(frechet_distance, x, y, n, draws, rng)


def split_half_frechet(x: np.ndarray, n: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Fréchet floor: distances between two disjoint random ``n``-subsets of ``x`` (NaN if
    ``x`` has fewer than ``2 n`` rows)."""
    return split_half_distance(frechet_distance, x, n, draws, rng)


def _squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    sq = np.sum(x * x, axis=1)[:, None] + np.sum(y * y, axis=1)[None, :] - 2 * x @ y.T
    return np.clip(sq, 0.0, None)


def median_bandwidth(x: np.ndarray, y: np.ndarray) -> float:
    """Median heuristic: the median Euclidean distance between distinct rows of ``x`` and ``y``
    pooled (1.0 when every row is the same point)."""
    z = np.concatenate([x, y])
    upper = np.triu_indices(len(z), k=1)
    median = float(np.median(np.sqrt(_squared_distances(z, z)[upper])))
    return median if median > 0 else 1.0


def _gram(a: np.ndarray, b: np.ndarray, kernel: str, bandwidth: float) -> np.ndarray:
    if kernel == "poly":
        return (a @ b.T / a.shape[1] + 1.0) ** 3
    return np.exp(-_squared_distances(a, b) / (2.0 * bandwidth**2))


def kernel_distance(
    x: np.ndarray, y: np.ndarray, kernel: str = "poly", bandwidth: float | None = None
) -> float:
    """Unbiased squared MMD between ``x (m, d)`` and ``y (n, d)`` (KAD; see the module docstring).

    ``kernel``: ``poly`` (``(x·y/d + 1)^3``) or ``rbf`` (bandwidth: ``bandwidth``, else
    :func:`median_bandwidth` of the two sets). Each set needs at least 2 rows.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"expected two (n, d) arrays of equal d, got {x.shape} and {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"need at least 2 embeddings per set, got {len(x)} and {len(y)}")
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; use one of {KERNELS}")
    if kernel == "rbf" and bandwidth is None:
        bandwidth = median_bandwidth(x, y)
    m, n = len(x), len(y)
    kxx, kyy, kxy = (_gram(a, b, kernel, bandwidth) for a, b in ((x, x), (y, y), (x, y)))
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * kxy.mean())


def clip_embeddings(chunks: np.ndarray) -> np.ndarray:
    """One vector per clip: the mean of its chunk embeddings ``(n, n_chunks, d) -> (n, d)``."""
    chunks = np.asarray(chunks, dtype=np.float64)
    if chunks.ndim != 3:
        raise ValueError(f"expected chunk embeddings (n, n_chunks, d), got {chunks.shape}")
    return chunks.mean(axis=1)


def default_clips_per_class(
    generated_counts: dict[tuple[str, str], int], real_counts: dict[str, int]
) -> int:
    """The largest ``n`` such that every (generator, class) has ``n`` generated clips and every
    class ``2 n`` real reference clips (so that the floor can be computed)."""
    n = min([*generated_counts.values(), *(c // 2 for c in real_counts.values())])
    if n < 2:
        thin = [k for k, c in generated_counts.items() if c < 2]
        thin += [c for c, k in real_counts.items() if k < 4]
        raise DataError(
            f"too few clips for a Fréchet distance per class (need ≥ 2 generated and ≥ 4 real "
            f"reference clips per class; short: {thin[:5]}). Generate more clips (augment."
            "fraction), use more reference splits (distance.reference_splits), or drop the label "
            "set from distance.labelsets"
        )
    return n


def real_variance(by_class: dict[str, np.ndarray]) -> float:
    """Total variance (trace of the covariance) of the real clips of all classes together; a
    multi-label clip counts once per class it carries."""
    pooled = np.concatenate(list(by_class.values()))
    value = float(np.trace(np.atleast_2d(np.cov(pooled, rowvar=False))))
    if not value > 0:
        raise DataError("the real reference embeddings have no variance: cannot normalise")
    return value


def distance_table(
    trials: list[dict[str, dict[str, np.ndarray]]],
    classes: list[str],
    generators: list[str],
    *,
    n: int,
    draws: int,
    seed: int,
    reference: str = "real",
    normalise: bool = True,
) -> pd.DataFrame:
    """Per generator × class: Fréchet distance to the real clips of the class, at ``n`` clips.

    ``trials[t][set][class]`` is the ``(m, d)`` clip-embedding array of the clips of ``class`` in
    ``set`` (``reference`` or a generator) under the baseline classifier of trial ``t``. For each
    trial, ``draws`` random ``n``-subsets of both sides are compared; the table gives the mean and
    standard deviation over trials × draws, the same-distribution floor at the same ``n`` (two
    disjoint real ``n``-subsets), and ``fd_excess = fd - fd_floor``. A class with fewer than ``n``
    generated or real clips gets NaN distances.

    Each trial's classifier has its own embedding space, with its own scale (the features are
    unnormalised ReLU outputs). With ``normalise`` (default) every distance of a trial is divided
    by that trial's :func:`real_variance`, so distances are fractions of the real clips' total
    variance and trials can be averaged; without it, the trial with the largest scale dominates.
    """
    rng = np.random.default_rng(seed)
    scales = [real_variance(t[reference]) if normalise else 1.0 for t in trials]
    floors: dict[str, np.ndarray] = {}
    for c in classes:
        values = [
            split_half_frechet(t[reference][c], n, draws, rng) / s
            for t, s in zip(trials, scales, strict=True)
        ]
        floors[c] = np.concatenate(values)
    rows = []
    for g in generators:
        for c in classes:
            n_gen = min(len(t[g][c]) for t in trials)
            n_real = min(len(t[reference][c]) for t in trials)
            if n_gen >= n and n_real >= n:
                fd = np.concatenate(
                    [
                        subsampled_frechet(t[g][c], t[reference][c], n, draws, rng) / s
                        for t, s in zip(trials, scales, strict=True)
                    ]
                )
            else:
                fd = np.full(draws * len(trials), np.nan)
            floor = floors[c]
            rows.append(
                {
                    "generator": g,
                    "class": c,
                    "n_clips": n,
                    "n_generated": n_gen,
                    "n_real": n_real,
                    "n_trials": len(trials),
                    "draws": draws,
                    "fd": _nanmean(fd),
                    "fd_sd": _nanstd(fd),
                    "fd_floor": _nanmean(floor),
                    "fd_floor_sd": _nanstd(floor),
                    "fd_excess": _nanmean(fd) - _nanmean(floor),
                }
            )
    return pd.DataFrame(rows)


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def _nanstd(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.std(ddof=1)) if len(finite) > 1 else float("nan")
