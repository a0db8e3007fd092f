"""MediaEval 2019 Emotion and Theme metrics.

Arrays: ``y_true`` boolean ``(n_tracks, n_classes)``, ``scores`` float ``(n_tracks, n_classes)``.

* ROC-AUC = ``sklearn.metrics.roc_auc_score``; PR-AUC = ``average_precision_score`` (average
  precision, not a trapezoid); each ``macro`` (mean over classes) and ``micro`` (pooled).
* Precision / recall / F-score on boolean decisions ``scores > threshold`` (strict, as the official
  helper), with one threshold per class at the F1-maximising point of ``precision_recall_curve``.
  The official helper fits thresholds on the data it evaluates (the organisers used the test set:
  ``thresholds = "test"``); fitting them on the validation split (``"validation"``) is the clean
  protocol. Both are reported, labelled.

A class with no positive (or no negative) track makes its AUCs undefined; macro averages then run
over the defined classes only and :func:`evaluate` reports how many classes that was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

AVERAGES = ("macro", "micro")


def f1_optimal_thresholds(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-class threshold at the maximum of F1 along the precision-recall curve.

    A class without positives gets ``+inf`` (never predicted).
    """
    y_true = np.asarray(y_true, dtype=bool)
    thresholds = np.full(y_true.shape[1], np.inf)
    for j in range(y_true.shape[1]):
        if not y_true[:, j].any():
            continue
        precision, recall, cut = skm.precision_recall_curve(y_true[:, j], scores[:, j])
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
        thresholds[j] = cut[min(int(np.argmax(f1)), len(cut) - 1)]
    return thresholds


def decisions(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    return np.asarray(scores) > np.asarray(thresholds)[None, :]


def defined_classes(y_true: np.ndarray) -> np.ndarray:
    """Mask of classes with at least one positive and one negative track."""
    y_true = np.asarray(y_true, dtype=bool)
    return y_true.any(axis=0) & (~y_true).any(axis=0)


def ranking_metrics(y_true: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """ROC-AUC and PR-AUC, macro (over defined classes) and micro."""
    y_true = np.asarray(y_true, dtype=bool)
    ok = defined_classes(y_true)
    if not ok.any():
        raise ValueError("no class has both positive and negative tracks: AUCs are undefined")
    yt, ys = y_true[:, ok], np.asarray(scores)[:, ok]
    return {
        "roc_auc_macro": float(skm.roc_auc_score(yt, ys, average="macro")),
        "roc_auc_micro": float(skm.roc_auc_score(y_true, scores, average="micro")),
        "pr_auc_macro": float(skm.average_precision_score(yt, ys, average="macro")),
        "pr_auc_micro": float(skm.average_precision_score(y_true, scores, average="micro")),
    }


def decision_metrics(y_true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Precision, recall and F-score of boolean decisions, macro and micro."""
    out = {}
    for average in AVERAGES:
        p, r, f, _ = skm.precision_recall_fscore_support(
            np.asarray(y_true, dtype=bool), predicted, average=average, zero_division=0
        )
        out |= {f"precision_{average}": p, f"recall_{average}": r, f"f1_{average}": f}
    return {k: float(v) for k, v in out.items()}


def evaluate(
    y_true: np.ndarray,
    scores: np.ndarray,
    y_val: np.ndarray | None = None,
    scores_val: np.ndarray | None = None,
) -> pd.DataFrame:
    """All metrics as a long table: ``metric  average  thresholds  value``.

    ``thresholds`` is ``none`` for the AUCs, ``test`` for decisions with thresholds fitted on the
    evaluated data (official MediaEval 2019 helper) and ``validation`` for thresholds fitted on
    ``(y_val, scores_val)`` when given.
    """
    rows = []
    for key, value in ranking_metrics(y_true, scores).items():
        name, average = key.rsplit("_", 1)
        rows.append((name, average, "none", value))
    fits = {"test": (y_true, scores)}
    if y_val is not None and scores_val is not None:
        fits["validation"] = (y_val, scores_val)
    for source, (yf, sf) in fits.items():
        predicted = decisions(scores, f1_optimal_thresholds(yf, sf))
        for key, value in decision_metrics(y_true, predicted).items():
            name, average = key.rsplit("_", 1)
            rows.append((name, average, source, value))
    rows.append(("n_classes_defined", "none", "none", float(defined_classes(y_true).sum())))
    rows.append(("n_tracks", "none", "none", float(len(y_true))))
    return pd.DataFrame(rows, columns=["metric", "average", "thresholds", "value"])
