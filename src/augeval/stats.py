"""Statistics over trials and test tracks: summaries, bootstrap CIs, paired significance tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from augeval.metrics import ARGMAX, METRICS, TABLE3_METRICS, argmax_decisions, compute

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


# ---------------------------------------------------------------------------------------------
# Bootstrap. A resample of the test tracks is a vector of counts (how often each track was
# drawn). Every metric is computed with the counts as weights, for a block of resamples at once.
# That equals the metric of the resampled arrays (a track drawn k times counts k times).
# ---------------------------------------------------------------------------------------------

_BLOCK = 2**22  # (resample, track, class) elements per block of resamples


def _tie_bounds(sorted_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``(n, k)`` column-sorted scores: the first and last row of each entry's group of
    equal scores, per column."""
    n = len(sorted_scores)
    rows = np.broadcast_to(np.arange(n)[:, None], sorted_scores.shape)
    new = np.ones(sorted_scores.shape, bool)
    new[1:] = sorted_scores[1:] != sorted_scores[:-1]
    start = np.maximum.accumulate(np.where(new, rows, 0), axis=0)
    last = np.ones(sorted_scores.shape, bool)
    last[:-1] = new[1:]
    end = np.minimum.accumulate(np.where(last, rows, n - 1)[::-1], axis=0)[::-1]
    return start, end


class _Ranked:
    """Scores ``(n, k)`` sorted once per column. :meth:`auc` gives ROC-AUC and average precision
    per column for weights ``(b, n)``, one row per resample."""

    def __init__(self, y: np.ndarray, scores: np.ndarray):
        order = np.argsort(scores, axis=0, kind="stable")
        n, k = scores.shape
        self.shape = (n, k)
        self.gather = order.ravel()  # weights (b, n) -> (b, n * k), ascending per column
        self.pos = np.take_along_axis(np.asarray(y, bool), order, axis=0).ravel()
        start, end = _tie_bounds(np.take_along_axis(scores, order, axis=0))
        column = np.arange(k)[None, :]
        # flat indices into a (n + 1, k) cumulative sum whose row 0 is zero
        self.at_start = (start * k + column).ravel()
        self.after_end = ((end + 1) * k + column).ravel()

    def auc(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(roc_auc, average_precision, defined)``, each ``(b, k)``. A column is defined where
        its weighted positives and negatives are both > 0; elsewhere both AUCs are NaN."""
        (n, k), b = self.shape, len(weights)
        wp = weights[:, self.gather] * self.pos  # (b, n * k): row-major (track rank, column)
        wn = weights[:, self.gather] - wp
        cum_p = np.zeros((b, (n + 1) * k))
        cum_n = np.zeros((b, (n + 1) * k))
        np.cumsum(wp.reshape(b, n, k), axis=1, out=cum_p[:, k:].reshape(b, n, k))
        np.cumsum(wn.reshape(b, n, k), axis=1, out=cum_n[:, k:].reshape(b, n, k))
        total_p, total_n = cum_p[:, n * k :], cum_n[:, n * k :]  # (b, k)
        below_n = cum_n[:, self.at_start]  # negatives scored strictly lower
        tie_n = cum_n[:, self.after_end] - below_n
        # ROC-AUC: P(a positive scores above a negative), ties counting half (trapezoidal area)
        pairs = (wp * (below_n + 0.5 * tie_n)).reshape(b, n, k).sum(axis=1)
        # average precision: each positive at the precision of the threshold at its own score
        above_p = np.tile(total_p, n) - cum_p[:, self.at_start]
        above_n = np.tile(total_n, n) - below_n
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.where(wp > 0, above_p / (above_p + above_n), 0.0)
            defined = (total_p > 0) & (total_n > 0)
            roc = np.where(defined, pairs / (total_p * total_n), np.nan)
            ap_sum = (wp * precision).reshape(b, n, k).sum(axis=1)
            ap = np.where(defined, ap_sum / total_p, np.nan)
        return roc, ap, defined


def _nanmean(x: np.ndarray, axis: int) -> np.ndarray:
    """Mean over the non-NaN entries along ``axis`` (NaN where there are none)."""
    ok = ~np.isnan(x)
    count = ok.sum(axis=axis)
    total = np.where(ok, x, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 = 2 tp / (2 tp + fp + fn), and 0 where nothing is true or predicted (sklearn's
    ``zero_division=0``)."""
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), 0.0)


class _TrialScorer:
    """The Table III numbers of one trial's test scores under many track resamples at once: the
    weighted forms of :func:`table_metrics`, equal to it on each resampled array."""

    def __init__(self, y: np.ndarray, scores: np.ndarray, predicted):
        y = np.asarray(y, bool)
        scores = np.asarray(scores, float)
        self.n_classes = y.shape[1]
        self.macro = _Ranked(y, scores)
        self.micro = _Ranked(y.reshape(-1, 1), scores.reshape(-1, 1))
        modes = predicted if isinstance(predicted, Mapping) else {None: predicted}
        self.decisions = {}
        for mode, d in modes.items():
            if isinstance(d, str):  # argmax: the top-1 class against the first true class
                true_class, top = argmax_decisions(y, scores)
                eye = np.eye(self.n_classes)
                truth, guess = eye[true_class], eye[top]
                self.decisions[mode] = (ARGMAX, truth * guess, truth, guess)
            else:
                d = np.asarray(d, bool)
                parts = (y & d, ~y & d, y & ~d)  # true positive, false positive, false negative
                self.decisions[mode] = ("fixed", *(a.astype(float) for a in parts))

    def __call__(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """``{column: (b,)}`` for weights ``(b, n_tracks)``, columns as :func:`table_metrics`."""
        roc, ap, defined = self.macro.auc(weights)
        roc_u, ap_u, _ = self.micro.auc(np.repeat(weights, self.n_classes, axis=1))
        ranking = {
            "roc_auc_macro": _nanmean(roc, axis=1),  # NaN = undefined class, left out
            "pr_auc_macro": _nanmean(ap, axis=1),
            "roc_auc_micro": roc_u[:, 0],
            "pr_auc_micro": ap_u[:, 0],
        }
        out = {}
        for name in TABLE3_METRICS:
            m = METRICS[name]
            if m.ranking:
                out[name] = ranking[name]
                continue
            for mode, (rule, *parts) in self.decisions.items():
                key = name if mode is None else f"{name}@{mode}"
                counts = [weights @ p for p in parts]  # (b, n_classes) each
                if rule == ARGMAX:
                    hit, truth, guess = counts
                    if m.average == "micro":  # = accuracy
                        out[key] = hit.sum(axis=1) / weights.sum(axis=1)
                    else:  # macro over the classes that occur as a true or a predicted class
                        f1 = _f1(hit, guess - hit, truth - hit)
                        out[key] = _nanmean(np.where(truth + guess > 0, f1, np.nan), axis=1)
                elif m.average == "micro":
                    out[key] = _f1(*(c.sum(axis=1) for c in counts))
                else:
                    out[key] = _f1(*counts).mean(axis=1)
        return out


def track_draws(n_tracks: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n_tracks)`` counts of each test track in each resample: one
    ``rng.integers(0, n, n)`` per round from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    counts = np.zeros((n_boot, n_tracks))
    for b in range(n_boot):
        counts[b] = np.bincount(rng.integers(0, n_tracks, n_tracks), minlength=n_tracks)
    return counts


def trial_draws(n_trials: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n_trials)`` trial indices drawn with replacement, from a stream of ``seed``
    apart from the track draws."""
    return np.random.default_rng([seed, 1]).integers(0, n_trials, (n_boot, n_trials))


@dataclass
class TrialBootstrap:
    """Table III's two-stage (hierarchical) paired bootstrap: trials, then test tracks.

    ``values[variant][column]`` is ``(n_boot, n_trials)``: each trial's metric on each resample of
    the test tracks. ``trials`` is ``(n_boot, n_trials)``: the trial indices drawn in each round.

    * Tracks: round ``b`` draws ONE resample of the test tracks for every variant and every
      trial. Tracks are crossed with trials, not nested in them: every trial is scored on the
      same test tracks, so their test-sampling error is shared and does not average out over
      trials. Independent draws per trial would shrink it by up to the number of trials.
    * Trials: round ``b`` draws ONE set of trial indices for every variant. Trial ``i`` of each
      variant trained from the same seed. Drawing trials jointly resamples the per-seed
      differences, which is valid whether or not the shared seed correlates the two arms; the
      trial effect is still random (a new seed is a new draw of it).

    :meth:`means` is the mean over trials in each round. With ``hierarchical=False`` it averages
    the trials as trained: the test tracks' variance only, with the models fixed. With ``True``
    it averages the drawn trials, their spread about the round's trial mean scaled by
    ``sqrt(T / (T - 1))``. Plain resampling of ``T`` values gives ``(T - 1) / T`` of the variance
    ``s^2 / T`` of their mean (half of it with 2 trials); the scale makes it unbiased. With one
    trial the trial stage is undefined (NaN).
    """

    values: dict[str, dict[str, np.ndarray]]
    trials: np.ndarray

    @property
    def n_trials(self) -> int:
        return self.trials.shape[1]

    def columns(self, variant: str) -> list[str]:
        return list(self.values[variant])

    def means(self, variant: str, column: str, hierarchical: bool = True) -> np.ndarray:
        """``(n_boot,)`` means over trials of ``column`` per round (see the class)."""
        v = self.values[variant][column]
        as_trained = _nanmean(v, axis=1)
        if not hierarchical:
            return as_trained
        t = self.n_trials
        if t < 2:
            return np.full(len(v), np.nan)
        drawn = _nanmean(np.take_along_axis(v, self.trials, axis=1), axis=1)
        return as_trained + np.sqrt(t / (t - 1)) * (drawn - as_trained)


def bootstrap_trials(
    y: np.ndarray,
    runs: dict[str, list[tuple[np.ndarray, Decisions | Mapping[str, Decisions]]]],
    n_boot: int,
    seed: int,
) -> TrialBootstrap:
    """The :class:`TrialBootstrap` of ``runs[variant]`` = ``(scores, decisions)`` per trial,
    ``decisions`` as :func:`table_metrics` takes them (its keys are the columns). Argmax
    decisions are re-made on each resample; fitted thresholds stay as fitted on the full split.
    Every variant needs the same number of trials (trial ``i`` of each shares a seed)."""
    sizes = {v: len(trials) for v, trials in runs.items()}
    if len(set(sizes.values())) != 1 or 0 in sizes.values():
        raise ValueError(f"every variant needs the same number (>= 1) of trials; got {sizes}")
    y = np.asarray(y, bool)
    counts = track_draws(len(y), n_boot, seed)
    draws = trial_draws(next(iter(sizes.values())), n_boot, seed)
    block = max(1, _BLOCK // max(1, y.size))
    values: dict[str, dict[str, np.ndarray]] = {}
    for variant, trials in runs.items():
        per_trial = []
        for scores, predicted in trials:
            scorer = _TrialScorer(y, scores, predicted)
            parts = [scorer(counts[b : b + block]) for b in range(0, n_boot, block)]
            per_trial.append({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
        values[variant] = {k: np.stack([t[k] for t in per_trial], axis=1) for k in per_trial[0]}
    return TrialBootstrap(values, draws)


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
