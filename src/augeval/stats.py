"""Statistics over trials and test tracks: summaries, bootstrap CIs, paired significance tests."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats as sps

from augeval.metrics import METRICS, TABLE3_METRICS, compute

KEYS = ["metric", "average", "thresholds"]


def summarize_trials(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean, sample standard deviation and count of each metric over trials."""
    if not tables:
        raise ValueError("no trial metrics to summarise")
    allrows = pd.concat([t.assign(trial=i) for i, t in enumerate(tables)], ignore_index=True)
    grouped = allrows.groupby(KEYS, sort=False)["value"]
    out = grouped.agg(mean="mean", std="std", n_trials="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


Decisions = np.ndarray | str  # boolean (n_tracks, n_classes) decisions, or "argmax"


def _decided(name: str, y: np.ndarray, scores: np.ndarray, predicted: Decisions) -> float:
    if isinstance(predicted, str):  # "argmax": decided from the scores
        return compute(name, y, scores, predicted)
    return compute(name, y, predicted)


def _resampled(predicted: Decisions, idx: np.ndarray) -> Decisions:
    return predicted if isinstance(predicted, str) else predicted[idx]


def table_metrics(
    y: np.ndarray, scores: np.ndarray, predicted: Decisions | Mapping[str, Decisions]
) -> dict[str, float]:
    """The six Table III numbers for one set of tracks (macro AUCs over defined classes).

    ``predicted`` is one set of decisions (boolean, or ``"argmax"``), keyed by the metric's name;
    or a mapping from decision mode to decisions, each F1 then keyed ``{name}@{mode}``.
    """
    out = {}
    for name in TABLE3_METRICS:
        if METRICS[name].ranking:
            out[name] = compute(name, y, scores)
        elif isinstance(predicted, Mapping):
            for mode, d in predicted.items():
                out[f"{name}@{mode}"] = _decided(name, y, scores, d)
        else:
            out[name] = _decided(name, y, scores, predicted)
    return out


def bootstrap_trial_means(
    y: np.ndarray,
    runs: dict[str, list[tuple[np.ndarray, Decisions | Mapping[str, Decisions]]]],
    n_boot: int,
    seed: int,
) -> dict[str, pd.DataFrame]:
    """Per variant, a ``(n_boot, metric)`` table of the trial-mean metrics on track resamples.

    ``runs[variant]`` holds ``(scores, decisions)`` per trial, ``decisions`` as
    :func:`table_metrics` takes them (the columns are its keys; argmax decisions are re-made on
    each resample, fitted thresholds stay as fitted on the full split). The same resampled track
    indices are used for every variant, so differences between variants are paired.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    out: dict[str, list[dict[str, float]]] = {v: [] for v in runs}
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        for variant, trials in runs.items():
            per_trial = [table_metrics(y[idx], s[idx], _cut(d, idx)) for s, d in trials]
            out[variant].append(pd.DataFrame(per_trial).mean().to_dict())
    return {v: pd.DataFrame(rows) for v, rows in out.items()}


def _cut(predicted: Decisions | Mapping[str, Decisions], idx: np.ndarray):
    if isinstance(predicted, Mapping):
        return {mode: _resampled(d, idx) for mode, d in predicted.items()}
    return _resampled(predicted, idx)


def percentile_ci(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    lo, hi = np.nanpercentile(samples, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def paired_bootstrap_p(differences: np.ndarray) -> float:
    """Two-sided p-value that a bootstrap distribution of differences is centred on 0."""
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return float("nan")
    p = 2 * min(np.mean(d <= 0), np.mean(d >= 0))
    return float(min(1.0, p))


def paired_trial_p(variant: list[float], baseline: list[float]) -> float:
    """Paired t-test over trials (NaN with fewer than 2 trials or no variation)."""
    a, b = np.asarray(variant, float), np.asarray(baseline, float)
    if len(a) < 2 or len(a) != len(b) or np.allclose(a - b, (a - b)[0]):
        return float("nan")
    return float(sps.ttest_rel(a, b).pvalue)
