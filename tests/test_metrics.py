"""MediaEval 2019 metrics against independent computations (pair counting, direct definitions)."""

import numpy as np
import pytest
from sklearn import metrics as skm

from augeval.metrics import decisions, evaluate, f1_optimal_thresholds, ranking_metrics

Y = np.array(
    [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 1], [0, 0, 0], [1, 0, 1]],
    dtype=bool,
)
S = np.array(
    [
        [0.9, 0.2, 0.7],
        [0.3, 0.8, 0.1],
        [0.6, 0.4, 0.3],
        [0.2, 0.1, 0.9],
        [0.4, 0.3, 0.2],
        [0.5, 0.7, 0.6],
        [0.1, 0.5, 0.4],
        [0.8, 0.6, 0.5],
    ]
)


def auc_by_pairs(y, s):
    pos, neg = s[y], s[~y]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def average_precision_by_definition(y, s):
    """Sum over distinct thresholds t (descending) of (R(t) - R(previous t)) * P(t), s >= t."""
    total, previous_recall = 0.0, 0.0
    for t in np.unique(s)[::-1]:
        chosen = s >= t
        precision = (y & chosen).sum() / chosen.sum()
        recall = (y & chosen).sum() / y.sum()
        total += (recall - previous_recall) * precision
        previous_recall = recall
    return total


def test_ranking_metrics_match_independent_definitions():
    got = ranking_metrics(Y, S)
    macro_auc = np.mean([auc_by_pairs(Y[:, j], S[:, j]) for j in range(3)])
    macro_ap = np.mean([average_precision_by_definition(Y[:, j], S[:, j]) for j in range(3)])
    assert got["roc_auc_macro"] == pytest.approx(macro_auc)
    assert got["pr_auc_macro"] == pytest.approx(macro_ap)
    assert got["roc_auc_micro"] == pytest.approx(auc_by_pairs(Y.ravel(), S.ravel()))
    assert got["pr_auc_micro"] == pytest.approx(
        average_precision_by_definition(Y.ravel(), S.ravel())
    )


def test_hand_computed_value():
    # class 0: positives {0.9, 0.6, 0.4, 0.8}, negatives {0.3, 0.2, 0.5, 0.1}: only 0.4 < 0.5 loses
    assert auc_by_pairs(Y[:, 0], S[:, 0]) == pytest.approx(15 / 16)
    assert ranking_metrics(Y[:, :1], S[:, :1])["roc_auc_macro"] == pytest.approx(0.9375)


def test_thresholds_maximise_f1_over_all_cuts():
    thresholds = f1_optimal_thresholds(Y, S)
    for j in range(3):
        best = max(skm.f1_score(Y[:, j], S[:, j] >= t, zero_division=0) for t in np.unique(S[:, j]))
        # the official helper fits with >= along the PR curve, then decides with strict >
        assert skm.f1_score(Y[:, j], S[:, j] >= thresholds[j]) == pytest.approx(best)
    assert (decisions(S, thresholds) == (S > thresholds)).all()


def test_decision_metrics_match_sklearn_on_same_decisions():
    table = evaluate(Y, S).set_index(["metric", "average", "thresholds"])["value"]
    predicted = S > f1_optimal_thresholds(Y, S)
    for average in ("macro", "micro"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            Y, predicted, average=average, zero_division=0
        )
        assert table[("precision", average, "test")] == pytest.approx(p)
        assert table[("recall", average, "test")] == pytest.approx(r)
        assert table[("f1", average, "test")] == pytest.approx(f)


def test_validation_thresholds_are_fitted_on_validation():
    rng = np.random.default_rng(0)
    y_val = rng.random((30, 3)) < 0.4
    s_val = np.clip(y_val * 0.3 + rng.random((30, 3)) * 0.7, 0, 1)
    table = evaluate(Y, S, y_val, s_val).set_index(["metric", "average", "thresholds"])["value"]
    predicted = S > f1_optimal_thresholds(y_val, s_val)
    f_macro = skm.f1_score(Y, predicted, average="macro", zero_division=0)
    assert table[("f1", "macro", "validation")] == pytest.approx(f_macro)
    assert table[("n_tracks", "none", "none")] == 8


def test_class_without_positives_is_left_out_of_macro_auc():
    y = np.column_stack([Y[:, 0], np.zeros(8, bool)])
    s = np.column_stack([S[:, 0], S[:, 1]])
    got = evaluate(y, s).set_index(["metric", "average", "thresholds"])["value"]
    assert got[("roc_auc", "macro", "none")] == pytest.approx(15 / 16)
    assert got[("n_classes_defined", "none", "none")] == 1
    assert np.isinf(f1_optimal_thresholds(y, s)[1])


def test_all_metrics_in_range_for_random_scores():
    rng = np.random.default_rng(1)
    y = rng.random((50, 5)) < 0.3
    table = evaluate(y, rng.random((50, 5)))
    values = table[table["metric"].isin(["roc_auc", "pr_auc", "precision", "recall", "f1"])][
        "value"
    ]
    assert ((values >= 0) & (values <= 1)).all()
