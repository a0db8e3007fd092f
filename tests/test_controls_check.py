"""Controls check on hand-made Table III rows: pass, fail and underpowered cases, the rows a study
without a control omits, and the summary line at the top of Table III's MD."""

import numpy as np
import pandas as pd
import pytest

from augeval.controls_check import COLUMNS, check_controls, controls_of, overall, summary_line
from augeval.tables import build_table3, table3_markdown

BASE = {"roc_auc": 0.70, "pr_auc": 0.30}


def rows(variant, diffs, n_trials=5):
    """Table III rows of ``variant``: ``diffs[metric] = (diff, ci_low, ci_high, p_hier)``."""
    out = []
    for metric, base in BASE.items():
        d, lo, hi, p = diffs.get(metric, (np.nan,) * 4) if diffs else (np.nan,) * 4
        mean = base if diffs is None else base + d
        out.append(
            {"variant": variant, "metric": metric, "average": "macro", "thresholds": "none",
             "mean": mean, "n_trials": n_trials, "diff_ci_low": lo, "diff_ci_high": hi,
             "p_hier": p}
        )  # fmt: skip
        out.append({**out[-1], "average": "micro", "mean": 0.5})  # never read
    return out


def table(**variants):
    n = variants.pop("n_trials", 5)
    all_rows = rows("baseline", None, n)
    for v, diffs in variants.items():
        all_rows += rows(v, diffs, n)
    return pd.DataFrame(all_rows)


def check(t, controls, min_trials=3, margin=0.01):
    return check_controls(t, controls, min_trials=min_trials, margin=margin)


def verdicts(result):
    keys = zip(result["control"], result["metric"], strict=True)
    return dict(zip(keys, result["verdict"], strict=True))


def test_pass_cases_and_columns():
    t = table(
        oracle={"roc_auc": (0.05, 0.02, 0.08, 0.001), "pr_auc": (0.03, 0.001, 0.06, 0.04)},
        copy={"roc_auc": (-0.004, -0.009, 0.002, 0.2), "pr_auc": (0.01, -0.005, 0.03, 0.3)},
        noise={"roc_auc": (0.002, -0.01, 0.009, 0.6), "pr_auc": (-0.05, -0.08, -0.02, 0.001)},
    )
    result = check(t, {"oracle": "oracle", "copy": "copy", "noise": "noise"})
    assert list(result.columns) == COLUMNS
    assert set(result["verdict"]) == {"pass"} and overall(result) == "pass"
    assert result["expectation"].tolist() == [
        "oracle above baseline", "oracle above baseline", "copy not below baseline",
        "copy not below baseline", "noise not above baseline", "noise not above baseline",
    ]  # fmt: skip
    first = result.iloc[0]
    assert first["metric"] == "roc_auc_macro" and first["control_mean"] == pytest.approx(0.75)
    assert first["baseline_mean"] == pytest.approx(0.70) and first["diff"] == pytest.approx(0.05)
    assert first["p_hier"] == 0.001
    assert summary_line(result).startswith("**Controls check: pass** (6 pass, 0 fail, 0 under")


def test_fail_cases():
    t = table(
        oracle={"roc_auc": (-0.04, -0.07, -0.01, 0.01), "pr_auc": (0.002, -0.004, 0.008, 0.5)},
        copy={"roc_auc": (-0.05, -0.08, -0.02, 0.002), "pr_auc": (0.0, -0.004, 0.004, 1.0)},
        noise={"roc_auc": (0.03, 0.01, 0.05, 0.004), "pr_auc": (0.0, -0.004, 0.004, 1.0)},
    )
    got = verdicts(check(t, {"oracle": "oracle", "copy": "copy", "noise": "noise"}))
    assert got == {
        ("oracle", "roc_auc_macro"): "fail",  # significantly below
        ("oracle", "pr_auc_macro"): "fail",  # a gain of 0.01 or more is ruled out
        ("copy", "roc_auc_macro"): "fail",  # significantly below
        ("copy", "pr_auc_macro"): "pass",
        ("noise", "roc_auc_macro"): "fail",  # significantly above
        ("noise", "pr_auc_macro"): "pass",
    }
    result = check(t, {"oracle": "oracle", "copy": "copy", "noise": "noise"})
    line = summary_line(result)
    assert line.startswith("**Controls check: FAIL** (2 pass, 4 fail, 0 underpowered")
    assert "noise not above baseline on roc_auc_macro (diff +0.0300, p_hier 0.004)" in line
    assert "not to be trusted" in line


def test_underpowered_cases():
    wide = {"roc_auc": (0.01, -0.02, 0.04, 0.5), "pr_auc": (-0.01, -0.04, 0.02, 0.5)}
    t = table(oracle=wide, copy=wide, noise=wide)
    controls = {"oracle": "oracle", "copy": "copy", "noise": "noise"}
    result = check(t, controls)
    assert set(result["verdict"]) == {"underpowered"}  # every CI holds 0 and the margin
    assert "wider than the margin" in result["reason"].iloc[0]
    # a CI that would pass, with too few trials, is underpowered too
    clear = table(oracle={"roc_auc": (0.05, 0.02, 0.08, 0.0), "pr_auc": (0.05, 0.02, 0.08, 0.0)},
                  n_trials=2)  # fmt: skip
    result = check(clear, {"oracle": "oracle"})
    assert set(result["verdict"]) == {"underpowered"}
    assert result["reason"].iloc[0] == "2 trial(s) < tables.min_trials = 3"
    assert set(check(clear, {"oracle": "oracle"}, min_trials=2)["verdict"]) == {"pass"}
    # no bootstrap: no CI, no verdict
    none = table(oracle={"roc_auc": (0.05, np.nan, np.nan, np.nan)})
    assert set(check(none, {"oracle": "oracle"})["verdict"]) == {"underpowered"}
    # a wider margin decides what a narrow one cannot
    assert verdicts(check(t, {"noise": "noise"}, margin=0.05))[("noise", "roc_auc_macro")] == (
        "pass"
    )
    assert overall(check(t, controls)) == "underpowered"


def test_controls_come_from_the_registry_and_missing_ones_have_no_rows():
    kinds = {"oracle": "oracle", "samplernn": "samplernn", "white": "noise", "byo": "samples"}
    assert controls_of(kinds) == {"oracle": "oracle", "white": "noise"}
    t = table(white={"roc_auc": (0.0, -0.005, 0.005, 1.0), "pr_auc": (0.0, -0.005, 0.005, 1.0)})
    result = check(t, {"white": "noise"})
    assert len(result) == 2 and set(result["kind"]) == {"noise"}
    assert check(t, {}).empty and list(check(t, {}).columns) == COLUMNS
    assert summary_line(check(t, {})) == ""


def metric_table(roc, pr):
    rows = [("roc_auc", "macro", "none", roc), ("roc_auc", "micro", "none", roc),
            ("pr_auc", "macro", "none", pr), ("pr_auc", "micro", "none", pr)]  # fmt: skip
    rows += [("f1", avg, "test", 0.2) for avg in ("macro", "micro")]
    return pd.DataFrame(rows, columns=["metric", "average", "thresholds", "value"])


def test_table3_markdown_opens_with_the_check_and_warns_of_low_power():
    trials = {
        "baseline": [metric_table(0.70, 0.30), metric_table(0.72, 0.31)],
        "noise": [metric_table(0.71, 0.30), metric_table(0.73, 0.32)],
    }
    t3 = build_table3(trials)  # no bootstrap: no CI, so no verdict
    result = check(t3, {"noise": "noise"}, min_trials=2)
    assert set(result["verdict"]) == {"underpowered"}
    md = table3_markdown(t3, "emotion", controls=result, min_trials=3).splitlines()
    assert md[2].startswith("**Controls check: underpowered** (0 pass, 0 fail, 2 underpowered")
    assert md[4].startswith("**Low power:** 2 trial(s), fewer than 3 (`tables.min_trials`)")
    plain = table3_markdown(t3, "emotion").splitlines()
    assert plain[2].startswith("| variant |")
