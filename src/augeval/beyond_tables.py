"""Tables of the study beyond the paper's Table III: the augmentation-ratio sweep,
train-on-generated (Classification Accuracy Score), and "which generator for which class".

* **Ratio sweep** (:func:`sweep_table`): one classifier per generator, fraction and trial; the
  metric's trial mean (from the metric TSVs) with a bootstrap 95 % CI over test tracks (the same
  resampled tracks for every point, as in Table III). The baseline is fraction 0.
* **CAS** (:func:`cas_table`, Ravuri & Vinyals 2019): a classifier trained on one generator's clips
  only, validated and tested on real data, against the baseline trained on real data.
* **Which generator for which class** (:func:`which_generator_table`): per class and generator the
  augmentation gain (Table III per class), the Fréchet distance to the real clips of the class
  (:mod:`augeval.distance`), the recognisability of the generated clips (the diagonal of the
  Fig. 2/3 confusion: the fraction of them the baseline classifier ranks top in their own class)
  and, when it was run, the per-class CAS; :func:`rank_correlations` relates them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from augeval.metrics import METRICS, RANKING_FAMILIES, RANKING_METRICS, compute
from augeval.tables import TABLE3, trial_values


def sweep_table(
    metrics: dict[tuple[str, float], list[pd.DataFrame]],
    scores: dict[tuple[str, float], list[np.ndarray]],
    y: np.ndarray,
    metric: str,
    n_boot: int,
    seed: int,
) -> pd.DataFrame:
    """One row per (generator, fraction) point: trial mean ± std of ``metric`` and its bootstrap
    95 % CI over test tracks. Keys are ``(generator, fraction)``; ``("baseline", 0.0)`` is the
    classifier trained on real data only. ``scores[key]`` holds each trial's test scores in the
    row order of ``y``."""
    if metric not in RANKING_METRICS:
        raise ValueError(f"sweep metric {metric!r}; allowed: {', '.join(RANKING_METRICS)}")
    family, average = METRICS[metric].family, METRICS[metric].average
    rng = np.random.default_rng(seed)
    boot = {key: [] for key in scores}
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        for key, trials in scores.items():
            boot[key].append(np.mean([compute(metric, y[idx], s[idx]) for s in trials]))
    rows = []
    for (generator, fraction), tables in metrics.items():
        values = np.array([trial_values(t, family, average, "none") for t in tables])
        samples = np.array(boot.get((generator, fraction), []), dtype=float)
        lo, hi = np.nanpercentile(samples, [2.5, 97.5]) if len(samples) else (np.nan, np.nan)
        rows.append(
            {
                "generator": generator,
                "fraction": float(fraction),
                "metric": metric,
                "mean": float(values.mean()),
                "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                "n_trials": len(values),
                "ci_low": float(lo),
                "ci_high": float(hi),
            }
        )
    return pd.DataFrame(rows).sort_values(["generator", "fraction"], kind="stable")


def cas_table(
    cas_metrics: dict[str, list[pd.DataFrame]],
    real_metrics: list[pd.DataFrame],
    thresholds: str = "test",
) -> pd.DataFrame:
    """Train-on-generated, test-on-real: per training set (``real`` = the baseline, or a
    generator's clips only) and metric, mean ± std over trials and the ratio to ``real``."""
    sets = {"real": real_metrics, **cas_metrics}
    rows = []
    for train_data, tables in sets.items():
        for m in TABLE3:
            values = np.array([trial_values(t, m.family, m.average, thresholds) for t in tables])
            real = np.mean([trial_values(t, m.family, m.average, thresholds) for t in real_metrics])
            rows.append(
                {
                    "train_data": train_data,
                    "metric": m.family,
                    "average": m.average,
                    "thresholds": m.key(thresholds)[2],
                    "mean": float(values.mean()),
                    "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                    "n_trials": len(values),
                    "ratio_to_real": float(values.mean() / real) if real else np.nan,
                }
            )
    return pd.DataFrame(rows)


def recognisability(confusion: pd.DataFrame) -> pd.Series:
    """Diagonal of a row-normalised confusion table (index = true class, one column per class)."""
    classes = [c for c in confusion.columns if c in confusion.index]
    return pd.Series({c: float(confusion.loc[c, c]) for c in classes}, name="recognisability")


def which_generator_table(
    per_class: pd.DataFrame,
    distance: pd.DataFrame,
    confusions: dict[str, pd.DataFrame],
    cas_per_class: pd.DataFrame | None = None,
    gain: str = "pr_auc",
) -> pd.DataFrame:
    """Per class and generator, side by side: the augmentation gain (``delta_pr_auc`` and
    ``delta_roc_auc`` over the baseline), the Fréchet distance (with its floor and excess), the
    recognisability, the CAS per-class ROC-/PR-AUC (NaN where CAS was not run), and the
    generator's rank by ``gain`` within the class (1 = most useful)."""
    if gain not in RANKING_FAMILIES:
        raise ValueError(f"gain metric {gain!r}; allowed: {', '.join(RANKING_FAMILIES)}")
    gains = per_class[per_class["variant"] != "baseline"].rename(
        columns={
            "variant": "generator",
            "delta_pr_auc": "gain_pr_auc",
            "delta_roc_auc": "gain_roc_auc",
        }
    )[["class", "generator", "n_test_positives", "gain_pr_auc", "gain_roc_auc"]]
    dist = distance[["generator", "class", "n_clips", "fd", "fd_floor", "fd_excess"]]
    table = gains.merge(dist, on=["generator", "class"], how="inner")
    recog = pd.DataFrame(
        [
            {"generator": g, "class": c, "recognisability": v}
            for g, frame in confusions.items()
            for c, v in recognisability(frame).items()
        ],
        columns=["generator", "class", "recognisability"],
    )
    table = table.merge(recog, on=["generator", "class"], how="left")
    if cas_per_class is not None and len(cas_per_class):
        cas = cas_per_class[cas_per_class["variant"] != "baseline"].rename(
            columns={"variant": "generator", "roc_auc": "cas_roc_auc", "pr_auc": "cas_pr_auc"}
        )[["generator", "class", "cas_roc_auc", "cas_pr_auc"]]
        table = table.merge(cas, on=["generator", "class"], how="left")
    else:
        table["cas_roc_auc"] = table["cas_pr_auc"] = np.nan
    table["rank_gain"] = (
        table.groupby("class")[f"gain_{gain}"].rank(ascending=False, method="min").astype("Int64")
    )
    order = {c: k for k, c in enumerate(dict.fromkeys(per_class["class"]))}
    table = table.sort_values(
        ["class", "rank_gain"], key=lambda s: s.map(order) if s.name == "class" else s
    )
    return table.reset_index(drop=True)


def rank_correlations(table: pd.DataFrame, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Spearman rank correlation of each ``(x, y)`` column pair over the generator × class rows
    (``level = generator×class``) and over the per-generator means (``level = generator``)."""
    rows = []
    columns = list(dict.fromkeys(c for pair in pairs for c in pair))
    means = table.groupby("generator")[columns].mean()
    for x, y in pairs:
        for level, frame in (("generator×class", table), ("generator", means)):
            ok = frame[[x, y]].dropna()
            if len(ok) >= 3 and ok[x].nunique() > 1 and ok[y].nunique() > 1:
                rho, p = sps.spearmanr(ok[x], ok[y])
            else:
                rho = p = np.nan
            rows.append(
                {
                    "x": x,
                    "y": y,
                    "level": level,
                    "n_points": len(ok),
                    "spearman_rho": float(rho),
                    "p_value": float(p),
                }
            )
    return pd.DataFrame(rows)
