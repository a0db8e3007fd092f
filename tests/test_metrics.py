"""MediaEval 2019 metrics against independent computations (pair counting, direct definitions)."""

import numpy as np
import pytest
import yaml
from sklearn import metrics as skm

from augeval.metrics import (
    METRICS,
    RANKING_FAMILIES,
    RANKING_METRICS,
    TABLE3_METRICS,
    THRESHOLD_MODES,
    argmax_decisions,
    argmax_metrics,
    class_values,
    compute,
    decisions,
    evaluate,
    f1_optimal_thresholds,
    fit_thresholds,
    fitted_mode,
    get_metric,
    metric_of,
    ranking_metrics,
    threshold_modes,
)
from augeval.paths import SCHEMA_DIR

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


def counted_prf(y, predicted, average):
    """Precision, recall, F1 from true/false positive counts (0 where a ratio is 0/0)."""
    tp, fp = (y & predicted).sum(0), (~y & predicted).sum(0)
    fn = (y & ~predicted).sum(0)
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    ratio = lambda a, b: np.where(b > 0, a / np.maximum(b, 1), 0.0)  # noqa: E731
    return {
        "precision": ratio(tp, tp + fp).mean(),
        "recall": ratio(tp, tp + fn).mean(),
        "f1": ratio(2 * tp, 2 * tp + fp + fn).mean(),
    }


def test_every_registered_name_round_trips():
    assert list(METRICS) == [
        "roc_auc_macro", "roc_auc_micro", "pr_auc_macro", "pr_auc_micro",
        "precision_macro", "recall_macro", "f1_macro",
        "precision_micro", "recall_micro", "f1_micro",
    ]  # fmt: skip
    for name, m in METRICS.items():
        assert name == m.name == f"{m.family}_{m.average}"
        assert get_metric(name) is m and metric_of(m.family, m.average) is m
        assert m.ranking == (m.family in ("roc_auc", "pr_auc"))
        assert m.threshold_modes == (() if m.ranking else ("test", "validation"))
        expected = "none" if m.ranking else "validation"
        assert m.key("validation") == (m.family, m.average, expected)
    assert set(RANKING_METRICS) == {
        "roc_auc_macro",
        "roc_auc_micro",
        "pr_auc_macro",
        "pr_auc_micro",
    }
    with pytest.raises(ValueError, match="unknown metric 'f2_macro'"):
        get_metric("f2_macro")
    with pytest.raises(ValueError, match="thresholds 'train'"):
        get_metric("f1_macro").key("train")


def test_table3_columns_and_labels():
    labels = [get_metric(name).label for name in TABLE3_METRICS]
    assert labels == [
        "F1 macro", "F1 micro", "PR-AUC macro", "PR-AUC micro", "ROC-AUC macro", "ROC-AUC micro",
    ]  # fmt: skip


def test_compute_ranking_metrics_match_independent_definitions():
    for average, y, s in (("macro", Y, S), ("micro", Y.ravel()[:, None], S.ravel()[:, None])):
        auc = np.mean([auc_by_pairs(y[:, j], s[:, j]) for j in range(y.shape[1])])
        ap = np.mean([average_precision_by_definition(y[:, j], s[:, j]) for j in range(y.shape[1])])
        assert compute(f"roc_auc_{average}", Y, S) == pytest.approx(auc)
        assert compute(f"pr_auc_{average}", Y, S) == pytest.approx(ap)


def test_compute_decision_metrics_match_counts():
    cut = np.array([0.45, 0.5, 0.55])
    predicted = S > cut
    for average in ("macro", "micro"):
        expected = counted_prf(Y, predicted, average)
        for family, value in expected.items():
            name = f"{family}_{average}"
            assert compute(name, Y, S, cut) == pytest.approx(value)
            assert compute(name, Y, predicted) == compute(name, Y, S, cut)  # decisions given
            assert compute(name, Y, predicted.astype(int)) == compute(name, Y, predicted)
    # class 0 at 0.45: predicted rows 0, 2, 5, 7; positives 0, 2, 4, 7 -> tp 3, fp 1, fn 1
    assert compute("f1_macro", Y[:, :1], S[:, :1], [0.45]) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="needs thresholds"):
        compute("f1_macro", Y, S)


def test_undefined_ranking_metrics_are_nan_and_left_out_of_macro():
    y = np.column_stack([Y[:, 0], np.zeros(8, bool), np.ones(8, bool)])
    s = S.copy()
    assert compute("roc_auc_macro", y, s) == pytest.approx(15 / 16)  # only class 0 is defined
    nothing = np.zeros_like(Y)
    for name in RANKING_METRICS:
        assert np.isnan(compute(name, nothing, S))
    with pytest.raises(ValueError, match="undefined"):
        ranking_metrics(nothing, S)
    roc = class_values("roc_auc", y, s)
    assert roc[0] == pytest.approx(15 / 16) and np.isnan(roc[1:]).all()
    pr = class_values("pr_auc", Y, S)
    assert pr == pytest.approx(
        [average_precision_by_definition(Y[:, j], S[:, j]) for j in range(3)]
    )
    with pytest.raises(ValueError, match="per-class metric"):
        class_values("f1", Y, S)


def test_fit_thresholds_uses_the_named_split():
    rng = np.random.default_rng(3)
    y_val = rng.random((20, 3)) < 0.5
    s_val = rng.random((20, 3))
    test, val = fit_thresholds("test", (Y, S)), fit_thresholds("validation", (Y, S), (y_val, s_val))
    for j in range(3):  # each is the best cut of its own split by F1 (fit >=, decide >)
        for y, s, cut in ((Y, S, test), (y_val, s_val, val)):
            best = max(skm.f1_score(y[:, j], s[:, j] >= t) for t in np.unique(s[:, j]))
            assert skm.f1_score(y[:, j], s[:, j] >= cut[j]) == pytest.approx(best)
    with pytest.raises(ValueError, match="validation labels"):
        fit_thresholds("validation", (Y, S))
    with pytest.raises(ValueError, match="thresholds 'train'"):
        fit_thresholds("train", (Y, S))


def test_metric_table_rows_in_a_fixed_order():
    """The metric TSVs' layout (read by summaries, Table III, CAS and the sweep)."""
    table = evaluate(Y, S, Y, S)
    expected = [(m, a, "none") for m in ("roc_auc", "pr_auc") for a in ("macro", "micro")]
    for mode in ("test", "validation"):
        expected += [
            (m, a, mode) for a in ("macro", "micro") for m in ("precision", "recall", "f1")
        ]
    expected += [("n_classes_defined", "none", "none"), ("n_tracks", "none", "none")]
    rows = table[["metric", "average", "thresholds"]].itertuples(index=False, name=None)
    assert list(rows) == expected


def test_config_schema_offers_exactly_the_registered_choices():
    props = yaml.safe_load((SCHEMA_DIR / "config.schema.yaml").read_text())["properties"]
    enum = lambda section, key: set(props[section]["properties"][key]["enum"])  # noqa: E731
    assert enum("sweep", "metric") == set(RANKING_METRICS)
    assert enum("classifier", "selection_metric") == set(RANKING_METRICS)
    assert enum("distance", "gain_metric") == set(RANKING_FAMILIES)
    one, many = props["tables"]["properties"]["f1_thresholds"]["anyOf"]  # a mode, or a list
    assert set(one["enum"]) == set(many["items"]["enum"]) == set(THRESHOLD_MODES)


# --- argmax decisions (the paper's own code: top-1 class vs the first true class) -------------

# 4 tracks x 3 classes. First true class per row: 0, 1, 1 (of {1, 2}), 2.
ARGMAX_Y = np.array([[1, 0, 1], [0, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
# Top-1 per row: 2, 1, 0 (0.3 = 0.3: the lower index wins), 2.
ARGMAX_S = np.array([[0.2, 0.1, 0.7], [0.1, 0.8, 0.1], [0.3, 0.3, 0.2], [0.1, 0.2, 0.6]])


def test_argmax_decisions_take_the_first_true_and_the_top_class():
    true_class, predicted_class = argmax_decisions(ARGMAX_Y, ARGMAX_S)
    assert true_class.tolist() == [0, 1, 1, 2]
    assert predicted_class.tolist() == [2, 1, 0, 2]


def test_argmax_metrics_golden_values():
    """Worked out by hand from true = [0, 1, 1, 2], predicted = [2, 1, 0, 2].

    class 0: true {t0},     predicted {t2}     -> tp 0, fp 1, fn 1 -> P 0,   R 0,   F1 0
    class 1: true {t1, t2}, predicted {t1}     -> tp 1, fp 0, fn 1 -> P 1,   R 1/2, F1 2/3
    class 2: true {t3},     predicted {t0, t3} -> tp 1, fp 1, fn 0 -> P 1/2, R 1,   F1 2/3
    macro: P (0 + 1 + 1/2) / 3 = 1/2, R (0 + 1/2 + 1) / 3 = 1/2, F1 (0 + 2/3 + 2/3) / 3 = 4/9
    micro: 2 of 4 tracks right (t1, t3) -> P = R = F1 = 1/2 (single-label: micro = accuracy).
    Track 0 counts as wrong although its class 2 is true: only the first true class (0) counts.
    (Thresholded, score > 0.5: tp 3 (t0/2, t1/1, t3/2), fp 0, fn 3 (t0/0, t2/1, t2/2) -> F1 micro
    2·3 / (2·3 + 0 + 3) = 2/3: the rules differ.)
    """
    expected = {
        "precision_macro": 1 / 2,
        "recall_macro": 1 / 2,
        "f1_macro": 4 / 9,
        "precision_micro": 1 / 2,
        "recall_micro": 1 / 2,
        "f1_micro": 1 / 2,
    }
    for name, value in expected.items():
        assert compute(name, ARGMAX_Y, ARGMAX_S, "argmax") == pytest.approx(value), name
    assert compute("f1_micro", ARGMAX_Y, ARGMAX_S, np.full(3, 0.5)) == pytest.approx(2 / 3)
    table = argmax_metrics(ARGMAX_Y, ARGMAX_S)
    assert list(table.itertuples(index=False, name=None)) == [
        (get_metric(n).family, get_metric(n).average, "argmax", pytest.approx(expected[n]))
        for n in ("precision_macro", "recall_macro", "f1_macro",
                  "precision_micro", "recall_micro", "f1_micro")
    ]  # fmt: skip


def test_argmax_macro_runs_over_the_classes_that_occur():
    """true = [0, 1, 0, 1], predicted = [0, 1, 1, 0]; class 2 is neither a first true class nor
    predicted. Classes 0 and 1: tp 1, fp 1, fn 1 -> F1 1/2 each; macro over the two that occur
    = 1/2 (not (1/2 + 1/2 + 0) / 3 = 1/3, as a one-hot matrix over all 3 classes would give)."""
    y = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 1]], dtype=bool)
    s = np.array([[0.6, 0.3, 0.5], [0.2, 0.7, 0.1], [0.4, 0.5, 0.1], [0.5, 0.4, 0.45]])
    assert compute("f1_macro", y, s, "argmax") == pytest.approx(1 / 2)
    assert compute("f1_micro", y, s, "argmax") == pytest.approx(2 / 4)
    # A track without any true class reads as class 0 (np.argmax of an all-zero row), as in
    # the paper's code: here it is "right" because class 0 is also its top score.
    y = np.array([[0, 0, 0], [0, 1, 0]], dtype=bool)
    s = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]])
    assert compute("f1_micro", y, s, "argmax") == 1.0


def test_argmax_is_a_decision_mode_that_fits_nothing():
    assert THRESHOLD_MODES == ("test", "validation", "argmax")
    assert get_metric("f1_macro").key("argmax") == ("f1", "macro", "argmax")
    assert get_metric("roc_auc_macro").key("argmax") == ("roc_auc", "macro", "none")
    with pytest.raises(ValueError, match="fit no thresholds"):
        fit_thresholds("argmax", (Y, S))
    with pytest.raises(ValueError, match="'top1'"):
        compute("f1_macro", Y, S, "top1")
    rows = evaluate(Y, S, Y, S)  # the per-trial metric TSVs: fitted modes only
    assert "argmax" not in set(rows["thresholds"])
    assert threshold_modes("test") == ("test",)
    assert threshold_modes(["argmax", "test"]) == ("argmax", "test")
    for bad in ([], ["argmax", "argmax"], ["train"], "train"):
        with pytest.raises(ValueError, match="f1_thresholds"):
            threshold_modes(bad)
    assert fitted_mode("validation") == "validation"
    assert fitted_mode(["argmax", "validation", "test"]) == "validation"
    assert fitted_mode(["argmax"]) == "test"


def test_numpy_ranking_metrics_equal_sklearn_and_the_definitions_with_ties():
    from augeval.metrics import binary_average_precision, binary_roc_auc

    rng = np.random.default_rng(7)
    for case in range(300):
        n = int(rng.integers(2, 60))
        y = rng.random(n) < rng.uniform(0.05, 0.95)
        if y.all() or not y.any():
            y[0] = not y[0]
        s = rng.random(n)
        if case % 2:  # heavy ties: one decimal, as a saturated classifier gives
            s = np.round(s, 1)
        auc, ap = binary_roc_auc(y, s), binary_average_precision(y, s)
        assert auc == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
        assert auc == pytest.approx(auc_by_pairs(y, s), abs=1e-12)
        assert ap == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)
        assert ap == pytest.approx(average_precision_by_definition(y, s), abs=1e-12)
    y, s = np.array([True, False, True]), np.array([0.2, 0.4, 0.9])
    for bad, message in [
        ((y, np.array([0.2, np.nan, 0.9])), "NaN"),
        ((np.zeros(3, bool), s), "positive"),
        ((np.ones(3, bool), s), "negative"),
        ((y, s[:2]), "3 labels but 2 scores"),
    ]:
        with pytest.raises(ValueError, match=message):
            binary_roc_auc(*bad)
    with pytest.raises(ValueError, match="NaN"):
        binary_average_precision(y, np.array([0.2, np.inf, 0.9]))


def test_ranking_metrics_do_not_import_scikit_learn():
    # a training job scores validation every epoch: scikit-learn's import is ~1.1 CPU-s per job
    import subprocess
    import sys

    from helpers import REPO

    code = (
        "import sys; import numpy as np; from augeval.metrics import ranking_metrics; "
        "y = np.eye(3, dtype=bool)[[0, 1, 2, 0, 1, 2]]; ranking_metrics(y, np.random.rand(6, 3)); "
        "print('sklearn' in sys.modules)"
    )
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
