"""Table III builder and statistics on hand-made metric tables and constructed cases."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from augeval.stats import (
    bootstrap_trials,
    paired_bootstrap_p,
    paired_trial_p,
    table_metrics,
)
from augeval.tables import build_table3, per_class_table, table3_markdown


def metric_table(f1_test, f1_val, pr_macro, pr_micro, roc_macro, roc_micro):
    rows = [
        ("roc_auc", "macro", "none", roc_macro),
        ("roc_auc", "micro", "none", roc_micro),
        ("pr_auc", "macro", "none", pr_macro),
        ("pr_auc", "micro", "none", pr_micro),
    ]
    for avg in ("macro", "micro"):
        rows += [("f1", avg, "test", f1_test), ("f1", avg, "validation", f1_val)]
    return pd.DataFrame(rows, columns=["metric", "average", "thresholds", "value"])


TRIALS = {
    "baseline": [metric_table(0.20, 0.18, 0.30, 0.35, 0.70, 0.75),
                 metric_table(0.22, 0.20, 0.32, 0.37, 0.72, 0.77)],
    # +1.2 % on ROC-AUC macro (0.7185 / 0.71 - 1 = 0.01197...), -10 % on F1
    "good": [metric_table(0.18, 0.17, 0.31, 0.36, 0.7185, 0.76),
             metric_table(0.198, 0.19, 0.33, 0.38, 0.7185, 0.78)],
    # +0.5 % on ROC-AUC macro: not highlighted
    "meh": [metric_table(0.21, 0.19, 0.30, 0.35, 0.7135, 0.75),
            metric_table(0.21, 0.19, 0.32, 0.37, 0.7135, 0.77)],
}  # fmt: skip


def cell(table, variant, metric, average):
    sel = table[(table.variant == variant) & (table.metric == metric) & (table.average == average)]
    return sel.iloc[0]


def test_means_std_and_relative_change():
    table = build_table3(TRIALS)
    base = cell(table, "baseline", "roc_auc", "macro")
    assert base["mean"] == pytest.approx(0.71) and base["std"] == pytest.approx(
        np.std([0.70, 0.72], ddof=1)
    )
    good = cell(table, "good", "roc_auc", "macro")
    assert good["rel_change"] == pytest.approx(0.7185 / 0.71 - 1)
    assert good["highlight"]
    assert not cell(table, "meh", "roc_auc", "macro")["highlight"]
    assert not cell(table, "good", "f1", "macro")["highlight"]  # a decrease is never marked
    assert not table[table.variant == "baseline"]["highlight"].any()


def test_f1_threshold_source_is_selectable():
    test = build_table3(TRIALS, thresholds="test")
    val = build_table3(TRIALS, thresholds="validation")
    assert cell(test, "baseline", "f1", "macro")["mean"] == pytest.approx(0.21)
    assert cell(val, "baseline", "f1", "macro")["mean"] == pytest.approx(0.19)
    assert set(val[val.metric == "f1"]["thresholds"]) == {"validation"}


def test_markdown_bolds_exactly_the_highlighted_cells():
    md = table3_markdown(build_table3(TRIALS), "emotion")
    good_row = next(line for line in md.splitlines() if line.startswith("| good"))
    assert good_row.count("**") == 2 * 4  # ROC macro and micro, PR macro and micro are >= +1 %
    assert "**0.7185 ± 0.0000**" in good_row
    baseline_row = next(line for line in md.splitlines() if line.startswith("| baseline"))
    assert "**" not in baseline_row


def test_markdown_uses_display_names_and_marks_an_untrained_jukebox():
    from augeval.generators import variant_display_names

    names = variant_display_names(
        {"good": {"kind": "jukebox", "init": "random", "tiny": True}, "bad": {"kind": "noise"}}
    )
    assert names == {"baseline": "baseline", "good": "good (untrained)", "bad": "bad"}
    assert variant_display_names({"jukebox": {"init": "random"}})["jukebox"] == (
        "jukebox (untrained)"
    )
    assert variant_display_names({"jukebox": {}})["jukebox"] == "jukebox"  # pretrained
    rows = table3_markdown(build_table3(TRIALS), "emotion", display_names=names).splitlines()
    assert any(line.startswith("| good (untrained) |") for line in rows)
    assert not any(line.startswith("| good |") for line in rows)


def constructed_runs(effect, n=120, seed=0):
    """Two trials each of a baseline and a variant whose scores carry ``effect`` more signal."""
    rng = np.random.default_rng(seed)
    y = rng.random((n, 3)) < 0.3
    runs = {}
    for variant, gain in (("baseline", 0.0), ("variant", effect)):
        trials = []
        for t in range(2):
            noise = np.random.default_rng([seed, t, int(gain * 100)]).random((n, 3))
            scores = (0.5 + gain) * y + noise
            trials.append((scores, scores > 1.0))
        runs[variant] = trials
    return y, runs


def test_bootstrap_detects_a_real_difference_and_not_a_null_one():
    y, runs = constructed_runs(effect=0.5)
    boot = bootstrap_trials(y, runs, n_boot=60, seed=1)
    for hierarchical in (False, True):
        diff = boot.means("variant", "roc_auc_macro", hierarchical) - boot.means(
            "baseline", "roc_auc_macro", hierarchical
        )
        assert paired_bootstrap_p(diff) < 0.05
    y, same = constructed_runs(effect=0.0)
    same["variant"] = same["baseline"]  # identical predictions: difference exactly 0
    boot = bootstrap_trials(y, same, n_boot=50, seed=1)
    diff = boot.means("variant", "roc_auc_macro") - boot.means("baseline", "roc_auc_macro")
    assert paired_bootstrap_p(diff) == 1.0


def test_ci_contains_the_mean_and_significance_is_flagged():
    y, runs = constructed_runs(effect=0.5)
    boot = bootstrap_trials(y, runs, n_boot=60, seed=2)

    trials = {
        v: [
            pd.DataFrame(
                [(k.rsplit("_", 1)[0], k.rsplit("_", 1)[1], "none" if "auc" in k else "test", x)
                 for k, x in table_metrics(y, s, d).items()],
                columns=["metric", "average", "thresholds", "value"],
            )
            for s, d in rs
        ]
        for v, rs in runs.items()
    }  # fmt: skip
    table = build_table3(trials, boot)
    for row in table.itertuples():
        assert row.ci_low - 1e-12 <= row.mean <= row.ci_high + 1e-12
    row = cell(table, "variant", "roc_auc", "macro")
    assert row["significant"] and row["p_hier"] < 0.05 and row["p_tracks"] < 0.05
    assert 0 < row["diff_ci_low"] <= row["diff"] <= row["diff_ci_high"]


def test_paired_t_test_over_trials():
    assert np.isnan(paired_trial_p([0.5], [0.4]))
    p = paired_trial_p([0.80, 0.82, 0.81, 0.83], [0.70, 0.71, 0.72, 0.70])
    assert p < 0.01


def test_per_class_deltas():
    y = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], bool)
    base = np.array(
        [[0.6, 0.4], [0.7, 0.3], [0.8, 0.2], [0.5, 0.5]]
    )  # class a: 3 of 4 pairs ranked right
    better = np.array([[0.9, 0.1], [0.1, 0.9], [0.8, 0.2], [0.2, 0.8]])  # AUC 1.0
    table = per_class_table(y, {"baseline": [base], "v": [better]}, ["a", "b"])
    row = table[(table["class"] == "a") & (table.variant == "v")].iloc[0]
    assert row["roc_auc"] == 1.0 and row["delta_roc_auc"] == pytest.approx(0.25)


def direct_table_metrics(y, s, d):
    """The six Table III numbers by direct sklearn calls (every class defined)."""
    out = {}
    for name, score in (("roc_auc", skm.roc_auc_score), ("pr_auc", skm.average_precision_score)):
        out[f"{name}_macro"] = score(y, s, average="macro")
        out[f"{name}_micro"] = score(y.ravel(), s.ravel())
    for average in ("macro", "micro"):
        out[f"f1_{average}"] = skm.f1_score(y, d, average=average, zero_division=0)
    return out


def test_bootstrap_draws_one_resample_of_tracks_per_round():
    """Same draws as one ``integers(0, n, n)`` per round (the track-only bootstrap of before),
    every trial of every variant on that resample, each value what sklearn gives on the
    resampled arrays (weighted forms: equal up to float rounding)."""
    y, runs = constructed_runs(effect=0.2, n=40)
    assert table_metrics(y, *runs["variant"][0]) == direct_table_metrics(y, *runs["variant"][0])
    boot = bootstrap_trials(y, runs, n_boot=5, seed=4)
    rng = np.random.default_rng(4)
    for b in range(5):
        idx = rng.integers(0, len(y), len(y))
        for variant, trials in runs.items():
            rows = [direct_table_metrics(y[idx], s[idx], d[idx]) for s, d in trials]
            for t, expected in enumerate(rows):
                for name, value in expected.items():
                    assert boot.values[variant][name][b, t] == pytest.approx(value, abs=1e-12)
            for name in rows[0]:
                track_mean = boot.means(variant, name, hierarchical=False)[b]
                assert track_mean == pytest.approx(np.mean([r[name] for r in rows]), abs=1e-12)


def test_markdown_header_and_per_class_columns():
    md = table3_markdown(build_table3(TRIALS), "emotion").splitlines()
    assert md[2] == (
        "| variant | F1 macro | F1 micro | PR-AUC macro | PR-AUC micro | ROC-AUC macro | "
        "ROC-AUC micro |"
    )
    assert md[-1].endswith("fitted on the test split.")
    md = table3_markdown(build_table3(TRIALS, thresholds="validation"), "emotion")
    assert md.endswith("fitted on the validation split.\n")
    y = np.array([[1, 0], [0, 0], [1, 0], [0, 0]], bool)  # class b has no positive
    s = np.array([[0.6, 0.4], [0.7, 0.3], [0.8, 0.2], [0.5, 0.5]])
    table = per_class_table(y, {"baseline": [s, s], "v": [s, 1 - s]}, ["a", "b"])
    assert list(table.columns) == [
        "class", "variant", "n_test_positives", "roc_auc", "pr_auc", "delta_roc_auc",
        "delta_pr_auc",
    ]  # fmt: skip
    assert list(zip(table["class"], table["variant"], strict=True)) == [
        ("a", "baseline"), ("b", "baseline"), ("a", "v"), ("b", "v"),
    ]  # fmt: skip
    a = table.iloc[2]
    assert a["roc_auc"] == pytest.approx(np.mean([0.75, 0.25]))  # 1 - s reverses the ranking
    assert table[table["class"] == "b"][["roc_auc", "pr_auc"]].isna().all().all()


def with_argmax(table, f1_argmax):
    rows = [("f1", avg, "argmax", f1_argmax) for avg in ("macro", "micro")]
    extra = pd.DataFrame(rows, columns=["metric", "average", "thresholds", "value"])
    return pd.concat([table, extra], ignore_index=True)


def test_argmax_and_test_f1_side_by_side():
    trials = {
        v: [with_argmax(t, f) for t, f in zip(ts, fs, strict=True)]
        for (v, ts), fs in zip(
            TRIALS.items(), ([0.06, 0.07], [0.08, 0.08], [0.05, 0.06]), strict=True
        )
    }
    table = build_table3(trials, thresholds=["argmax", "test"])
    base = table[table.variant == "baseline"]
    assert list(zip(base.metric, base.average, base.thresholds, strict=True)) == [
        ("f1", "macro", "argmax"), ("f1", "micro", "argmax"),
        ("f1", "macro", "test"), ("f1", "micro", "test"),
        ("pr_auc", "macro", "none"), ("pr_auc", "micro", "none"),
        ("roc_auc", "macro", "none"), ("roc_auc", "micro", "none"),
    ]  # fmt: skip
    assert base.iloc[0]["mean"] == pytest.approx(0.065) and base.iloc[2]["mean"] == pytest.approx(
        0.21
    )
    good = table[(table.variant == "good") & (table.thresholds == "argmax")].iloc[0]
    assert good["rel_change"] == pytest.approx(0.08 / 0.065 - 1) and good["highlight"]
    md = table3_markdown(table, "mood").splitlines()
    assert md[2] == (
        "| variant | F1 macro (argmax) | F1 micro (argmax) | F1 macro (thr. test) | "
        "F1 micro (thr. test) | PR-AUC macro | PR-AUC micro | ROC-AUC macro | ROC-AUC micro |"
    )
    good_row = next(line for line in md if line.startswith("| good"))
    assert good_row.split(" | ")[1] == "**0.0800 ± 0.0000**"
    assert "F1 (argmax): each track's top-1 class against the first of its true classes" in md[-1]
    assert md[-1].endswith(
        "F1 (thr. test): per-class F1-optimal thresholds fitted on the test split (the official "
        "MediaEval 2019 helper)."
    )
    only = table3_markdown(build_table3(trials, thresholds="argmax"), "mood").splitlines()
    assert only[2].startswith("| variant | F1 macro | F1 micro | PR-AUC macro |")
    assert "F1 decisions are argmax:" in only[-1]


def test_one_mode_per_mode_decisions_change_no_number():
    """The demo (f1_thresholds: test) now hands make_table3's bootstrap its decisions per mode:
    every bootstrap value and every Table III cell must be what the one-array form gave."""
    y, runs = constructed_runs(effect=0.2, n=40)
    per_mode = {v: [(s, {"test": d}) for s, d in trials] for v, trials in runs.items()}
    old = bootstrap_trials(y, runs, n_boot=8, seed=5)
    new = bootstrap_trials(y, per_mode, n_boot=8, seed=5)
    for variant in runs:
        for name in old.columns(variant):
            key = name if "auc" in name else f"{name}@test"
            assert new.values[variant][key].tolist() == old.values[variant][name].tolist()
    trials = {
        v: [
            pd.DataFrame(
                [(k.rsplit("_", 1)[0], k.rsplit("_", 1)[1], "none" if "auc" in k else "test", x)
                 for k, x in table_metrics(y, s, d).items()],
                columns=["metric", "average", "thresholds", "value"],
            )
            for s, d in rs
        ]
        for v, rs in runs.items()
    }  # fmt: skip
    pd.testing.assert_frame_equal(
        build_table3(trials, new, thresholds=("test",)), build_table3(trials, old)
    )


def test_bootstrap_remakes_argmax_decisions_on_each_resample():
    y, runs = constructed_runs(effect=0.2, n=40)
    both = {v: [(s, {"argmax": "argmax", "test": d}) for s, d in ts] for v, ts in runs.items()}
    boot = bootstrap_trials(y, both, n_boot=4, seed=6)
    rng = np.random.default_rng(6)
    from augeval.metrics import compute

    for b in range(4):
        idx = rng.integers(0, len(y), len(y))
        for variant, trials in runs.items():
            for t, (s, _) in enumerate(trials):
                for name in ("f1_macro", "f1_micro"):
                    expected = compute(name, y[idx], s[idx], "argmax")
                    got = boot.values[variant][f"{name}@argmax"][b, t]
                    assert got == pytest.approx(expected, abs=1e-12)
