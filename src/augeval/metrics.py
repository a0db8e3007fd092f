"""MediaEval 2019 Emotion and Theme metrics, and the registry of every metric the project reports.

Arrays: ``y_true`` boolean ``(n_tracks, n_classes)``, ``scores`` float ``(n_tracks, n_classes)``.

* ROC-AUC = ``sklearn.metrics.roc_auc_score``; PR-AUC = ``average_precision_score`` (average
  precision, not a trapezoid); each ``macro`` (mean over classes) and ``micro`` (pooled). Both are
  computed here in NumPy (:func:`binary_roc_auc`, :func:`binary_average_precision`; equal to
  scikit-learn's to rounding, ties included, tests/test_metrics.py), so that a training job, which
  scores its validation split every epoch, does not import scikit-learn (~1.1 CPU-s per job).
* Precision / recall / F-score on boolean decisions ``scores > threshold`` (strict, as the official
  helper), with one threshold per class at the F1-maximising point of ``precision_recall_curve``.
  The official helper fits thresholds on the data it evaluates (the organisers used the test set:
  ``thresholds = "test"``); fitting them on the validation split (``"validation"``) is the clean
  protocol. Both are reported, labelled.
* ``thresholds = "argmax"`` is the decision rule of the paper's own classifier code (Godwin et al.'s
  fork of Sukhavasi & Adapa, ``solver.py`` ``write_metrics``): each track's top-1 scored class
  against the first class of its ground-truth row (both ``np.argmax``: ties go to the lower class
  index, a row without positives reads as class 0), scored as single-label multi-class
  precision / recall / F-score (``sklearn`` on the two label vectors: macro over the classes that
  occur in either vector, micro = accuracy). It fits nothing (:func:`argmax_decisions`). The
  per-trial metric TSVs hold only the fitted modes; Table III computes argmax rows from the
  predictions (:func:`argmax_metrics`).

A class with no positive (or no negative) track makes its AUCs undefined; macro averages then run
over the defined classes only and :func:`evaluate` reports how many classes that was.

**Registry.** :data:`METRICS` maps each metric's name (``pr_auc_macro``) to its :class:`Metric`;
:func:`compute` computes any of them by name. The metric TSVs key a metric's row as
``(family, average, thresholds)`` (:meth:`Metric.key`). Tables, bootstraps and workflow scripts
take names and selections (:data:`RANKING_METRICS`, :data:`TABLE3_METRICS`) from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

AVERAGES = ("macro", "micro")
FITTED_MODES = ("test", "validation")  # the split the F1-optimal thresholds are fitted on
ARGMAX = "argmax"  # the paper's rule: top-1 class against the first true class, nothing fitted
THRESHOLD_MODES = (*FITTED_MODES, ARGMAX)  # every decision mode (``tables.f1_thresholds``)
NO_THRESHOLDS = "none"  # the ``thresholds`` value of a ranking metric's row


def _binary_inputs(y_true, scores, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``(y, s)`` as boolean and float vectors of one length, with finite scores and a positive
    (ValueError otherwise, as scikit-learn raises)."""
    y = np.asarray(y_true, dtype=bool).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    if y.shape != s.shape:
        raise ValueError(f"{what}: {y.size} labels but {s.size} scores")
    if not np.isfinite(s).all():
        raise ValueError(f"{what}: the scores hold NaN or infinity")
    if not y.any():
        raise ValueError(f"{what} needs a positive track; this class has none")
    return y, s


def binary_roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve of one class (``y_true`` boolean with both values present):
    the Mann-Whitney statistic, ties counted half, which is the trapezoid area of the ROC curve
    at every distinct threshold (``sklearn.metrics.roc_auc_score``)."""
    y, s = _binary_inputs(y_true, scores, "ROC-AUC")
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if not n_neg:
        raise ValueError("ROC-AUC needs a negative track; this class has none")
    order = np.argsort(s, kind="mergesort")
    ranked = s[order]
    first = np.r_[True, ranked[1:] != ranked[:-1]]  # the first of each run of tied scores
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], ranked.size]
    mean_rank = (starts + 1 + ends) / 2.0  # ranks start+1 .. end share their mean
    ranks = np.empty(s.size)
    ranks[order] = mean_rank[np.cumsum(first) - 1]
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def binary_average_precision(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Average precision of one class (``y_true`` boolean with a positive): the sum over the
    distinct score thresholds, highest first, of (recall gained) x (precision there)
    (``sklearn.metrics.average_precision_score``: a step sum, not a trapezoid)."""
    y, s = _binary_inputs(y_true, scores, "average precision")
    order = np.argsort(s, kind="mergesort")[::-1]
    ranked = s[order]
    last = np.r_[ranked[1:] != ranked[:-1], True]  # the last of each run of tied scores
    true_pos = np.cumsum(y[order])[last]
    predicted = np.flatnonzero(last) + 1.0
    precision = true_pos / predicted
    recall = true_pos / true_pos[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


_BINARY_RANKING = {"roc_auc": binary_roc_auc, "pr_auc": binary_average_precision}


def _skm():
    """``sklearn.metrics``, imported on first use: a job that only predicts (and imports this
    module through the classifier) does not pay scikit-learn's import (~1 s)."""
    from sklearn import metrics

    return metrics


def _ranking_score(family: str):
    """``score(y_true, scores, average=None)``: the binary metric on vectors, or its mean over
    the columns of ``(n_tracks, n_classes)`` arrays with ``average="macro"``."""
    binary = _BINARY_RANKING[family]

    def score(y_true: np.ndarray, scores: np.ndarray, average: str | None = None) -> float:
        if average is None:
            return binary(y_true, scores)
        if average != "macro":
            raise ValueError(f"average {average!r}: None or 'macro'")
        return float(np.mean([binary(y_true[:, j], scores[:, j]) for j in range(y_true.shape[1])]))

    return score


_DECISION_PART = {"precision": 0, "recall": 1, "f1": 2}  # of precision_recall_fscore_support
_LABELS = {  # a family's name in tables
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
}


@dataclass(frozen=True)
class Metric:
    """One reported metric: ``name`` = ``{family}_{average}``; a ranking metric reads scores, the
    others read decisions under thresholds fitted in one of ``threshold_modes`` or argmax
    decisions; ``label`` is the name tables print."""

    name: str
    family: str
    average: str
    ranking: bool
    threshold_modes: tuple[str, ...]
    label: str

    def key(self, mode: str = "test") -> tuple[str, str, str]:
        """``(metric, average, thresholds)`` of this metric's row in a metric table, for
        decisions with ``mode`` thresholds (ignored by a ranking metric)."""
        if self.ranking:
            return (self.family, self.average, NO_THRESHOLDS)
        if mode not in (*self.threshold_modes, ARGMAX):
            allowed = ", ".join((*self.threshold_modes, ARGMAX))
            raise ValueError(f"thresholds {mode!r}; allowed: {allowed}")
        return (self.family, self.average, mode)


def _define(family: str, average: str) -> Metric:
    ranking = family in _BINARY_RANKING
    modes = () if ranking else FITTED_MODES
    return Metric(
        f"{family}_{average}", family, average, ranking, modes, f"{_LABELS[family]} {average}"
    )


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (  # in the row order of the metric TSVs (:func:`evaluate`)
        _define("roc_auc", "macro"),
        _define("roc_auc", "micro"),
        _define("pr_auc", "macro"),
        _define("pr_auc", "micro"),
        _define("precision", "macro"),
        _define("recall", "macro"),
        _define("f1", "macro"),
        _define("precision", "micro"),
        _define("recall", "micro"),
        _define("f1", "micro"),
    )
}
RANKING_METRICS = tuple(name for name, m in METRICS.items() if m.ranking)
DECISION_METRICS = tuple(name for name, m in METRICS.items() if not m.ranking)
RANKING_FAMILIES = tuple(dict.fromkeys(METRICS[name].family for name in RANKING_METRICS))
TABLE3_METRICS = (  # the paper's Table III columns, in its order
    "f1_macro",
    "f1_micro",
    "pr_auc_macro",
    "pr_auc_micro",
    "roc_auc_macro",
    "roc_auc_micro",
)


def threshold_modes(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The decision modes of a ``tables.f1_thresholds`` value (one mode, or a list of them)."""
    modes = (value,) if isinstance(value, str) else tuple(value)
    bad = [m for m in modes if m not in THRESHOLD_MODES]
    if not modes or bad or len(set(modes)) != len(modes):
        raise ValueError(
            f"f1_thresholds {value!r}: one or more distinct of {', '.join(THRESHOLD_MODES)}"
        )
    return modes


def fitted_mode(value: str | list[str] | tuple[str, ...]) -> str:
    """The first mode of ``value`` that fits thresholds (``test`` if it names only ``argmax``):
    what tables read from the per-trial metric TSVs, which hold no argmax rows."""
    return next((m for m in threshold_modes(value) if m in FITTED_MODES), "test")


def get_metric(name: str) -> Metric:
    """The registered metric ``name``; ``ValueError`` names the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def metric_of(family: str, average: str) -> Metric:
    """The registered metric of a metric table's ``(metric, average)`` columns."""
    return get_metric(f"{family}_{average}")


def f1_optimal_thresholds(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-class threshold at the maximum of F1 along the precision-recall curve.

    A class without positives gets ``+inf`` (never predicted).
    """
    y_true = np.asarray(y_true, dtype=bool)
    thresholds = np.full(y_true.shape[1], np.inf)
    for j in range(y_true.shape[1]):
        if not y_true[:, j].any():
            continue
        precision, recall, cut = _skm().precision_recall_curve(y_true[:, j], scores[:, j])
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
        thresholds[j] = cut[min(int(np.argmax(f1)), len(cut) - 1)]
    return thresholds


def fit_thresholds(
    mode: str,
    test: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """F1-optimal thresholds fitted on the ``(y_true, scores)`` of the split ``mode`` names."""
    if mode == ARGMAX:
        raise ValueError("argmax decisions fit no thresholds: pass thresholds='argmax' to compute")
    if mode not in FITTED_MODES:
        raise ValueError(f"thresholds {mode!r}; allowed: {', '.join(FITTED_MODES)}")
    if mode == "validation" and validation is None:
        raise ValueError("validation thresholds need the validation labels and scores")
    return f1_optimal_thresholds(*(test if mode == "test" else validation))


def decisions(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    return np.asarray(scores) > np.asarray(thresholds)[None, :]


def argmax_decisions(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The paper's decisions: ``(true_class, predicted_class)``, two ``(n_tracks,)`` integer
    vectors, the first true class of each ground-truth row and the top-scored class (``np.argmax``
    of each row: the lowest index among ties; an all-negative row gives class 0)."""
    return np.argmax(np.asarray(y_true), axis=1), np.argmax(np.asarray(scores), axis=1)


def defined_classes(y_true: np.ndarray) -> np.ndarray:
    """Mask of classes with at least one positive and one negative track."""
    y_true = np.asarray(y_true, dtype=bool)
    return y_true.any(axis=0) & (~y_true).any(axis=0)


def compute(
    name: str,
    y_true: np.ndarray,
    scores: np.ndarray,
    thresholds: np.ndarray | str | None = None,
) -> float:
    """Metric ``name`` of ``scores`` against ``y_true``.

    A ranking metric reads the scores; its macro average runs over the defined classes, and it is
    NaN where nothing is defined (no such class; micro: all pooled labels alike). A decision
    metric reads ``scores > thresholds`` (one threshold per class); with ``thresholds="argmax"``
    the paper's single-label decisions (:func:`argmax_decisions`; macro over the classes that
    occur as a true or a predicted class, micro = accuracy); or, with ``thresholds=None``,
    boolean (or 0/1 integer) ``scores`` taken as the decisions.
    """
    metric = get_metric(name)
    y_true = np.asarray(y_true, dtype=bool)
    scores = np.asarray(scores)
    if metric.ranking:
        score = _ranking_score(metric.family)
        if metric.average == "micro":
            flat = y_true.ravel()
            return float(score(flat, scores.ravel())) if flat.any() and not flat.all() else np.nan
        ok = defined_classes(y_true)
        return float(score(y_true[:, ok], scores[:, ok], average="macro")) if ok.any() else np.nan
    if isinstance(thresholds, str):
        if thresholds != ARGMAX:
            raise ValueError(f"thresholds {thresholds!r}: an array, or {ARGMAX!r}")
        true_class, predicted_class = argmax_decisions(y_true, scores)
        parts = _skm().precision_recall_fscore_support(
            true_class, predicted_class, average=metric.average, zero_division=0
        )
        return float(parts[_DECISION_PART[metric.family]])
    if thresholds is not None:
        predicted = decisions(scores, thresholds)
    elif scores.dtype.kind in "bi":  # decisions already made
        predicted = scores
    else:
        raise ValueError(f"{name} needs thresholds, or boolean decisions as scores")
    parts = _skm().precision_recall_fscore_support(
        y_true, predicted, average=metric.average, zero_division=0
    )
    return float(parts[_DECISION_PART[metric.family]])


def class_values(family: str, y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """``(n_classes,)`` values of the ranking metric ``family`` per class (NaN if undefined)."""
    if family not in RANKING_FAMILIES:
        raise ValueError(f"per-class metric {family!r}; allowed: {', '.join(RANKING_FAMILIES)}")
    score = _ranking_score(family)
    y_true, scores = np.asarray(y_true, dtype=bool), np.asarray(scores)
    ok = defined_classes(y_true)
    return np.array(
        [score(y_true[:, j], scores[:, j]) if ok[j] else np.nan for j in range(len(ok))],
        dtype=float,
    )


def ranking_metrics(y_true: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """ROC-AUC and PR-AUC, macro (over defined classes) and micro."""
    if not defined_classes(y_true).any():
        raise ValueError("no class has both positive and negative tracks: AUCs are undefined")
    return {name: compute(name, y_true, scores) for name in RANKING_METRICS}


def decision_metrics(y_true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Precision, recall and F-score of boolean decisions, macro and micro."""
    return {name: compute(name, y_true, predicted) for name in DECISION_METRICS}


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
    rows = [(*get_metric(n).key(), v) for n, v in ranking_metrics(y_true, scores).items()]
    validation = None if y_val is None or scores_val is None else (y_val, scores_val)
    for mode in FITTED_MODES if validation is not None else ("test",):
        cut = fit_thresholds(mode, (y_true, scores), validation)
        rows += [
            (*get_metric(n).key(mode), compute(n, y_true, scores, cut)) for n in DECISION_METRICS
        ]
    rows.append(("n_classes_defined", "none", "none", float(defined_classes(y_true).sum())))
    rows.append(("n_tracks", "none", "none", float(len(y_true))))
    return pd.DataFrame(rows, columns=["metric", "average", "thresholds", "value"])


def argmax_metrics(y_true: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """The decision metrics under argmax decisions, as rows of a metric table (``thresholds`` =
    ``argmax``), in :func:`evaluate`'s order: what Table III appends to each trial's table."""
    rows = [
        (*get_metric(n).key(ARGMAX), compute(n, y_true, scores, ARGMAX)) for n in DECISION_METRICS
    ]
    return pd.DataFrame(rows, columns=["metric", "average", "thresholds", "value"])
