"""Controls check: can this evaluation tell generators apart at all?

The study's control generators (registry kinds with ``control``) have known answers. Real music
no classifier saw (``oracle``) should help: **oracle above baseline**. Duplicated real train clips
(``copy``) add no new information but should not hurt: **copy not below baseline**. Noise
(``noise``) carries no music: **noise not above baseline**. Each expectation is checked on
ROC-AUC macro and PR-AUC macro, from Table III's rows (:func:`augeval.tables.build_table3`):
the difference ``diff`` = control mean - baseline mean over trials, its two-stage bootstrap 95 %
CI ``[lo, hi]`` (trials, then test tracks) and ``p_hier``.

Verdict, with ``margin`` = the smallest difference that matters (``tables.controls_margin``),
decided in this order:

* ``underpowered`` when the study has fewer than ``min_trials`` trials (``tables.min_trials``:
  two trials give one seed-to-seed difference, too few to estimate the training variance), or
  when there is no CI (``tables.n_bootstrap: 0``);
* ``pass``: above: ``lo > 0`` (significantly above, ``p_hier`` < 0.05 up to the percentile's
  interpolation); not below: ``lo > -margin`` (a loss of ``margin`` or more is ruled out);
  not above: ``hi < margin`` (a gain of ``margin`` or more is ruled out);
* ``fail``: above: ``hi < margin`` (a gain that matters is ruled out); not below: ``hi < 0``
  (significantly below); not above: ``lo > 0`` (significantly above);
* ``underpowered`` otherwise: the CI holds both 0 and the margin on the expectation's side, so
  it is wider than ``margin`` and the data cannot decide.

A study without a given control has no rows for it; two generators of one kind get a row each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from augeval.generators.registry import REGISTRY

# the control kinds with an expectation, and what each expects of control - baseline
EXPECTATIONS = {
    "oracle": ("above", "oracle above baseline"),
    "copy": ("not_below", "copy not below baseline"),
    "noise": ("not_above", "noise not above baseline"),
}

# Table III's TSV names the block of each row (column ``block``): the main rows, or a
# sensitivity block such as ``equal_steps`` (augeval.tables.build_table3_blocks).
MAIN_BLOCK = "main"


def main_rows(table3: pd.DataFrame) -> pd.DataFrame:
    """Table III's main rows (all rows of a table without a ``block`` column)."""
    if "block" not in table3.columns:
        return table3
    return table3[table3["block"] == MAIN_BLOCK]


CHECKED = (("roc_auc", "macro"), ("pr_auc", "macro"))  # (metric, average) of Table III rows
COLUMNS = [
    "expectation",
    "control",
    "kind",
    "metric",
    "control_mean",
    "baseline_mean",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_hier",
    "n_trials",
    "verdict",
    "reason",
]


def controls_of(kinds: dict[str, str]) -> dict[str, str]:
    """The generators (``{name: kind}``, in order) whose kind is a checked control."""
    return {g: k for g, k in kinds.items() if REGISTRY[k].control and k in EXPECTATIONS}


def verdict(
    direction: str, lo: float, hi: float, n_trials: int, min_trials: int, margin: float
) -> tuple[str, str]:
    """``(verdict, reason)`` of one expectation (module docstring)."""
    if n_trials < min_trials:
        return "underpowered", f"{n_trials} trial(s) < tables.min_trials = {min_trials}"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "underpowered", "no bootstrap CI (tables.n_bootstrap = 0, or undefined metric)"
    ci = f"95 % CI of the difference [{lo:+.4f}, {hi:+.4f}]"
    if direction == "above":
        if lo > 0:
            return "pass", f"{ci} is above 0"
        if hi < margin:
            return "fail", f"{ci} rules out a gain of {margin:g} or more"
    elif direction == "not_below":
        if lo > -margin:
            return "pass", f"{ci} rules out a loss of {margin:g} or more"
        if hi < 0:
            return "fail", f"{ci} is below 0"
    elif direction == "not_above":
        if hi < margin:
            return "pass", f"{ci} rules out a gain of {margin:g} or more"
        if lo > 0:
            return "fail", f"{ci} is above 0"
    else:
        raise ValueError(f"unknown expectation {direction!r}")
    return "underpowered", f"{ci} holds 0 and {margin:g}: wider than the margin, undecided"


def check_controls(
    table3: pd.DataFrame,
    controls: dict[str, str],
    *,
    min_trials: int,
    margin: float,
    baseline: str = "baseline",
) -> pd.DataFrame:
    """One row per (control, checked metric) of ``controls`` = ``{variant: kind}`` (see
    :func:`controls_of`), columns :data:`COLUMNS`, from Table III's long table."""
    rows = []
    table3 = main_rows(table3)  # a sensitivity block's rows are not the controls' evidence
    for control, kind in controls.items():
        direction, expectation = EXPECTATIONS[kind]
        for metric, average in CHECKED:
            pick = (table3["metric"] == metric) & (table3["average"] == average)
            found = {v: table3[pick & (table3["variant"] == v)] for v in (control, baseline)}
            for v, r in found.items():
                if len(r) != 1:
                    raise ValueError(f"Table III has {len(r)} rows for {v} {metric} {average}")
            row, base = found[control].iloc[0], found[baseline].iloc[0]
            lo, hi = float(row["diff_ci_low"]), float(row["diff_ci_high"])
            n_trials = int(row["n_trials"])
            result, reason = verdict(direction, lo, hi, n_trials, min_trials, margin)
            rows.append(
                {
                    "expectation": expectation,
                    "control": control,
                    "kind": kind,
                    "metric": f"{metric}_{average}",
                    "control_mean": float(row["mean"]),
                    "baseline_mean": float(base["mean"]),
                    "diff": float(row["mean"]) - float(base["mean"]),
                    "diff_ci_low": lo,
                    "diff_ci_high": hi,
                    "p_hier": float(row["p_hier"]),
                    "n_trials": n_trials,
                    "verdict": result,
                    "reason": reason,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def overall(check: pd.DataFrame) -> str:
    """``FAIL`` if any row fails, else ``underpowered`` if any is, else ``pass``."""
    verdicts = set(check["verdict"])
    return (
        "FAIL" if "fail" in verdicts else "underpowered" if "underpowered" in verdicts else "pass"
    )


def summary_line(check: pd.DataFrame) -> str:
    """One sentence for the top of Table III and of the report ('' without controls)."""
    if check.empty:
        return ""
    word = overall(check)
    counts = check["verdict"].value_counts()
    tally = ", ".join(f"{counts.get(v, 0)} {v}" for v in ("pass", "fail", "underpowered"))
    line = f"**Controls check: {word}** ({tally} of {len(check)} expectations)."
    failed = check[check["verdict"] == "fail"]
    if len(failed):
        items = "; ".join(
            f"{r.expectation} on {r.metric} (diff {r.diff:+.4f}, p_hier {r.p_hier:.3g})"
            for r in failed.itertuples()
        )
        line += (
            f" Failed: {items}. This evaluation does not rank the controls as it must, so its "
            "differences between generators are not to be trusted."
        )
    elif word == "underpowered":
        line += " Some expectations cannot be decided: see the reasons in the controls check TSV."
    return line
