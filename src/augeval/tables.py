"""Table III (baseline vs each generator), its per-class deltas, and Table I (durations)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augeval.controls_check import MAIN_BLOCK, main_rows, summary_line
from augeval.metrics import (
    ARGMAX,
    METRICS,
    RANKING_FAMILIES,
    TABLE3_METRICS,
    Metric,
    class_values,
    metric_of,
    threshold_modes,
)
from augeval.stats import TrialBootstrap, paired_bootstrap_p, paired_trial_p, percentile_ci

TABLE3 = [METRICS[name] for name in TABLE3_METRICS]  # its columns, in order
HIGHLIGHT_GAIN = 0.01  # the paper marks cells with >= 1 % relative increase over the baseline
ALPHA = 0.05
PAPER_HOURS = {  # Godwin et al. 2021, Table I (train / validation / test)
    "mood": {"train": 160.0, "validation": 22.0, "test": 22.0},
    "emotion": {"train": 157.0, "validation": 20.0, "test": 20.0},
}


def trial_values(table: pd.DataFrame, metric: str, average: str, thresholds: str) -> float:
    """The value of ``metric``/``average`` (``thresholds`` for a decision metric) in one trial's
    metric table."""
    source = metric_of(metric, average).key(thresholds)[2]
    rows = table[
        (table["metric"] == metric)
        & (table["average"] == average)
        & (table["thresholds"] == source)
    ]
    if len(rows) != 1:
        raise ValueError(f"metric table lacks {metric}/{average}/{source}")
    return float(rows["value"].iloc[0])


def table3_columns(thresholds: str | list[str] | tuple[str, ...]) -> list[tuple[Metric, str]]:
    """Table III's ``(metric, decision mode)`` columns: the F1s once per mode of
    ``tables.f1_thresholds`` (in its order), then the AUCs; one mode gives the paper's order."""
    modes = threshold_modes(thresholds)
    return [(m, mode) for mode in modes for m in TABLE3 if not m.ranking] + [
        (m, modes[0]) for m in TABLE3 if m.ranking
    ]


def _boot_column(boot: TrialBootstrap, variant: str, m: Metric, mode: str) -> str:
    """A bootstrap column: ``{name}@{mode}`` when decisions were given per mode, else the name."""
    keyed = f"{m.name}@{mode}"
    return keyed if not m.ranking and keyed in boot.columns(variant) else m.name


def build_table3(
    trial_metrics: dict[str, list[pd.DataFrame]],
    boot: TrialBootstrap | None = None,
    *,
    thresholds: str | list[str] | tuple[str, ...] = "test",
    baseline: str = "baseline",
) -> pd.DataFrame:
    """Long table: one row per variant and metric (each F1 once per decision mode in
    ``thresholds``).

    Columns: mean ± std over trials; ``ci_low``/``ci_high``, the 95 % CI of the trial mean from
    the two-stage bootstrap (:class:`augeval.stats.TrialBootstrap`: trials, then test tracks);
    the relative change over the baseline and the ≥ 1 % highlight; against the baseline, the
    difference's two-stage 95 % CI (``diff_ci_low``/``diff_ci_high``) and three paired
    p-values: ``p_hier`` (two-stage bootstrap: training and test-set variance), ``p_tracks``
    (test tracks only, models fixed) and ``p_trials`` (t-test over trials). ``significant`` is
    ``p_hier < 0.05``."""
    if baseline not in trial_metrics:
        raise ValueError(f"no {baseline!r} variant among {sorted(trial_metrics)}")
    columns = table3_columns(thresholds)
    values = {
        variant: {
            (m.name, mode): [trial_values(t, m.family, m.average, mode) for t in tables]
            for m, mode in columns
        }
        for variant, tables in trial_metrics.items()
    }
    rows = []
    nan2 = (np.nan, np.nan)
    for variant in trial_metrics:
        is_base = variant == baseline
        for m, mode in columns:
            v = np.array(values[variant][(m.name, mode)])
            base = np.array(values[baseline][(m.name, mode)])
            mean, base_mean = float(v.mean()), float(base.mean())
            ci, diff_ci, p_hier, p_tracks = nan2, nan2, np.nan, np.nan
            if boot is not None:
                col = _boot_column(boot, variant, m, mode)
                hier = boot.means(variant, col)
                ci = percentile_ci(hier) if np.isfinite(hier).any() else nan2
                if not is_base:
                    diff = hier - boot.means(baseline, col)
                    diff_ci = percentile_ci(diff) if np.isfinite(diff).any() else nan2
                    p_hier = paired_bootstrap_p(diff)
                    tracks = boot.means(variant, col, hierarchical=False)
                    p_tracks = paired_bootstrap_p(
                        tracks - boot.means(baseline, col, hierarchical=False)
                    )
            rel = np.nan if is_base or base_mean == 0 else (mean - base_mean) / base_mean
            rows.append(
                {
                    "variant": variant,
                    "metric": m.family,
                    "average": m.average,
                    "thresholds": m.key(mode)[2],
                    "mean": mean,
                    "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                    "n_trials": len(v),
                    "ci_low": ci[0],
                    "ci_high": ci[1],
                    "rel_change": rel,
                    "highlight": bool(not is_base and rel >= HIGHLIGHT_GAIN - 1e-12),
                    "diff": np.nan if is_base else mean - base_mean,
                    "diff_ci_low": diff_ci[0],
                    "diff_ci_high": diff_ci[1],
                    "p_hier": p_hier,
                    "p_tracks": p_tracks,
                    "p_trials": np.nan if is_base else paired_trial_p(list(v), list(base)),
                    "significant": bool(not is_base and p_hier < ALPHA),
                }
            )
    return pd.DataFrame(rows)


EQUAL_STEPS = "equal_steps"  # the block of variants retrained with classifier.epoch_size: real
BLOCK_TITLES = {EQUAL_STEPS: "equal optimiser steps (`epoch_size: real`)"}


def block_key(block: str, variant: str) -> str:
    """A variant's key among the bootstrap's runs: its name in the main block, else
    ``{block}:{variant}`` (the same generator trained under another protocol)."""
    return variant if block == MAIN_BLOCK else f"{block}:{variant}"


def build_table3_blocks(
    blocks: dict[str, dict[str, list[pd.DataFrame]]],
    boot: TrialBootstrap | None = None,
    *,
    thresholds: str | list[str] | tuple[str, ...] = "test",
    baseline: str = "baseline",
) -> pd.DataFrame:
    """:func:`build_table3` per block, with a ``block`` column first: ``blocks[block][variant]``
    holds the trial metric tables; block ``main`` holds the baseline. Every other block's
    variants are compared with the main block's baseline (``diff``, ``rel_change``, ``p_hier``,
    ...), on the same bootstrap draws; ``boot``'s runs are keyed by :func:`block_key`. A
    sensitivity block has no baseline row of its own (it reuses the main one)."""
    if MAIN_BLOCK not in blocks:
        raise ValueError(f"no {MAIN_BLOCK!r} block among {sorted(blocks)}")
    base = blocks[MAIN_BLOCK]
    if baseline not in base:
        raise ValueError(f"no {baseline!r} variant in the {MAIN_BLOCK!r} block")
    parts = []
    for block, metrics in blocks.items():
        if block == MAIN_BLOCK:
            table = build_table3(metrics, boot, thresholds=thresholds, baseline=baseline)
        elif not metrics:
            continue
        else:
            if baseline in metrics:
                raise ValueError(f"block {block!r} reuses the main baseline; it has its own")
            keyed = {baseline: base[baseline]} | {
                block_key(block, v): tables for v, tables in metrics.items()
            }
            table = build_table3(keyed, boot, thresholds=thresholds, baseline=baseline)
            table = table[table["variant"] != baseline].copy()
            table["variant"] = table["variant"].str.removeprefix(f"{block}:")
        table.insert(0, "block", block)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


def _cell(r: pd.Series) -> str:
    """A Table III cell: mean ± std, **bold** for the highlight, † for p_hier < 0.05, the CI."""
    text = f"{r['mean']:.4f} ± {r['std']:.4f}"
    if r["highlight"]:
        text = f"**{text}**"
    if r["significant"]:
        text += " †"
    if np.isfinite(r["ci_low"]):
        text += f"<br>[{r['ci_low']:.4f}, {r['ci_high']:.4f}]"
    return text


def _diff_cell(r: pd.Series) -> str:
    text = f"{r['diff']:+.4f}"
    if np.isfinite(r["diff_ci_low"]):
        text += f" [{r['diff_ci_low']:+.4f}, {r['diff_ci_high']:+.4f}]"
    if np.isfinite(r["p_hier"]):
        text += f", p_hier {r['p_hier']:.3f}" + (" †" if r["significant"] else "")
    return text


def _rows_markdown(table: pd.DataFrame, columns, display_names: dict[str, str]) -> list[str]:
    lines = []
    for variant, rows in table.groupby("variant", sort=False):
        cells = [display_names.get(variant, variant)]
        for m, mode in columns:
            pick = (rows["metric"] == m.family) & (rows["average"] == m.average)
            cells.append(_cell(rows[pick & (rows["thresholds"] == m.key(mode)[2])].iloc[0]))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def equal_steps_markdown(
    table: pd.DataFrame, columns, header: list[str], display_names: dict[str, str]
) -> list[str]:
    """The ``equal_steps`` block's section of Table III's MD: its rows as the main table shows
    them, then each variant's gain over the baseline in the main rows beside its gain at equal
    optimiser steps, on the ranking metrics (AUCs)."""
    block = table[table["block"] == EQUAL_STEPS]
    if block.empty:
        return []
    main = main_rows(table)
    base = main[main["variant"] == "baseline"]
    lines = [
        f"#### Sensitivity: {BLOCK_TITLES[EQUAL_STEPS]}",
        "",
        "With `classifier.epoch_size: all` (the paper's protocol) an augmented variant's epoch "
        "holds its generated clips too, so it takes more optimiser steps than the baseline. "
        "Here each augmented variant is trained again on the same train manifest, seeds and "
        "schedule with `epoch_size: real`: every epoch draws as many rows (from all of them) "
        "as real train has, so it takes the baseline's number of steps. The baseline is the "
        "main rows' own, reused: its epochs hold only real rows, so its steps are equal already. "
        "Bold, † and the CIs as above, against that baseline.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += _rows_markdown(base, columns, display_names)
    lines += _rows_markdown(block, columns, display_names)
    lines += [
        "",
        "Gain over the baseline (difference of trial means, two-stage 95 % CI, p_hier): the "
        "main rows (more steps) beside equal steps. A gain that shrinks to nothing at equal "
        "steps was extra training, not the generated data.",
        "",
        "| variant | metric | gain, main rows | gain, equal steps |",
        "|---|---|---|---|",
    ]
    for variant, rows in block.groupby("variant", sort=False):
        for m, _ in columns:
            if not m.ranking:
                continue
            pick = (rows["metric"] == m.family) & (rows["average"] == m.average)
            main_pick = (
                (main["variant"] == variant)
                & (main["metric"] == m.family)
                & (main["average"] == m.average)
            )
            if not main_pick.any():
                continue
            lines.append(
                f"| {display_names.get(variant, variant)} | {m.label} | "
                f"{_diff_cell(main[main_pick].iloc[0])} | {_diff_cell(rows[pick].iloc[0])} |"
            )
    return lines + [""]


def table3_markdown(
    table: pd.DataFrame,
    labelset: str,
    n_boot: int | None = None,
    display_names: dict[str, str] | None = None,
    *,
    controls: pd.DataFrame | None = None,
    min_trials: int = 0,
) -> str:
    """Markdown Table III: mean ± std per cell; **bold** = ≥ 1 % relative gain over the baseline,
    † = two-stage (trials, test tracks) paired bootstrap p < 0.05; the two-stage 95 % CI is given
    below each value. ``display_names`` maps a variant to the name shown (e.g. "jukebox
    (untrained)"); default: the variant itself. Above the table: the controls check's summary
    (``controls``, :func:`augeval.controls_check.check_controls`) and a low-power warning when
    there are fewer than ``min_trials`` trials. A table of :func:`build_table3_blocks` shows its
    main rows, then a section per sensitivity block (:func:`equal_steps_markdown`)."""
    display_names = display_names or {}
    n_trials = int(table["n_trials"].max())
    modes = list(dict.fromkeys(table.loc[~table["metric"].isin(RANKING_FAMILIES), "thresholds"]))
    columns = table3_columns(modes)
    header = ["variant"] + [
        m.label if m.ranking or len(modes) == 1 else f"{m.label} ({_MODE_TAGS[mode]})"
        for m, mode in columns
    ]
    lines = [f"### Table III — {labelset}", ""]
    if controls is not None and len(controls):
        lines += [summary_line(controls), ""]
    if n_trials < min_trials:
        lines += [
            f"**Low power:** {n_trials} trial(s), fewer than {min_trials} (`tables.min_trials`): "
            "the seed-to-seed variance is barely estimated, so † and the CIs are unreliable.",
            "",
        ]
    lines += [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += _rows_markdown(main_rows(table), columns, display_names)
    lines += [
        "",
        f"Mean ± standard deviation over {n_trials} trial(s); below: 95 % CI of the trial mean "
        "from a two-stage bootstrap (trials, then test tracks"
        f"{f'; {n_boot} resamples' if n_boot else ''}). **Bold**: ≥ 1 % relative increase "
        "over the baseline (as in the paper's Table III). †: p_hier < 0.05, the two-stage paired "
        "bootstrap against the baseline, counting training (seed) and test-set variance (the TSV "
        "also has p_tracks, test tracks only, and p_trials, a t-test over trials). "
        + _f1_note(modes),
        "",
    ]
    if "block" in table.columns:
        lines += equal_steps_markdown(table, columns, header, display_names)
    return "\n".join(lines)


_MODE_TAGS = {ARGMAX: "argmax", "test": "thr. test", "validation": "thr. validation"}
_ARGMAX_RULE = (
    "each track's top-1 class against the first of its true classes, scored as single-label "
    "F1 (the decisions of the paper's own classifier code, hence of its Table III)"
)


def _f1_note(modes: list[str]) -> str:
    """The footnote sentence saying how each F1 column's decisions were made."""
    if modes == [ARGMAX]:
        return f"F1 decisions are argmax: {_ARGMAX_RULE}."
    if len(modes) == 1:
        return f"F1 decisions use per-class F1-optimal thresholds fitted on the {modes[0]} split."
    parts = []
    for mode in modes:
        if mode == ARGMAX:
            parts.append(f"F1 (argmax): {_ARGMAX_RULE}.")
        else:
            official = " (the official MediaEval 2019 helper)" if mode == "test" else ""
            parts.append(
                f"F1 ({_MODE_TAGS[mode]}): per-class F1-optimal thresholds fitted on the "
                f"{mode} split{official}."
            )
    return " ".join(parts)


def per_class_table(
    y: np.ndarray,
    scores: dict[str, list[np.ndarray]],
    classes: list[str],
    baseline: str = "baseline",
) -> pd.DataFrame:
    """Per class and variant: ROC-AUC and PR-AUC (mean over trials) and the change over the
    baseline. Classes without positive (or negative) test tracks get NaN."""
    rows = []
    per = {}
    for variant, trials in scores.items():
        values = {f: [class_values(f, y, s) for s in trials] for f in RANKING_FAMILIES}
        for j, c in enumerate(classes):
            per[(variant, c)] = {f: float(np.mean([v[j] for v in values[f]])) for f in values}
    for variant in scores:
        for j, c in enumerate(classes):
            value, base = per[(variant, c)], per[(baseline, c)]
            rows.append(
                {
                    "class": c,
                    "variant": variant,
                    "n_test_positives": int(y[:, j].sum()),
                    **value,
                    **{f"delta_{f}": value[f] - base[f] for f in RANKING_FAMILIES},
                }
            )
    return pd.DataFrame(rows)


def durations_table(
    manifests: dict[tuple[str, str], pd.DataFrame],
    visible_seconds: float,
    rejected: dict[tuple[str, str], int] | None = None,
) -> pd.DataFrame:
    """Hours per label set and split: whole tracks, classifier-visible part, paper's Table I.

    ``rejected`` counts the tracks left out for unusable audio (``data.on_bad_audio: skip``).
    """
    rows = []
    for (labelset, split), df in manifests.items():
        seconds = df["duration_s"].astype(float)
        rows.append(
            {
                "labelset": labelset,
                "split": split,
                "tracks": len(df),
                "rejected_tracks": (rejected or {}).get((labelset, split), 0),
                "hours_full": seconds.sum() / 3600,
                "hours_visible": seconds.clip(upper=visible_seconds).sum() / 3600,
                "visible_seconds_per_track": visible_seconds,
                "paper_hours": PAPER_HOURS.get(labelset, {}).get(split, np.nan),
            }
        )
    return pd.DataFrame(rows)
