"""The report's front page: the study's verdict on one page.

Per label set (:func:`front_page`):

* **Table III's headline** (:func:`headline`): the best generator on ``report.headline_metric``
  (the controls excluded: they are reference points, not models), its gain over the baseline
  with the bootstrap CI and its trial-aware p-value (``p_hier``, the hierarchical bootstrap over
  trials and test tracks, when Table III's TSV has it; else the paired bootstrap over test tracks,
  said so), and every variant's value on that metric;
* **the controls check** (``results/tables/controls_check_{labelset}.tsv``: one row per
  expectation with a ``verdict`` pass / fail / underpowered), or "not computed";
* **the score summary**: per generator the ``all`` row of its score view (recognisability with
  its interval, confidence, FD and KAD beside their real-vs-real floors) and its clip flags
  (near copies, silent, clipping).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from augeval.controls_check import main_rows
from augeval.errors import DataError
from augeval.metrics import METRICS
from augeval.tables import ALPHA

VERDICT_COLOURS = {"pass": "#1a7f37", "fail": "#b00020", "underpowered": "#9a6700"}


def _p_column(table: pd.DataFrame) -> tuple[str, str]:
    """Table III's trial-aware p-value column, or the paired bootstrap's when it has none."""
    if "p_hier" in table.columns:
        return "p_hier", "hierarchical bootstrap over trials and test tracks"
    return "p_bootstrap", "paired bootstrap over test tracks (not trial-aware)"


def headline(
    table: pd.DataFrame, metric: str, controls: Sequence[str], baseline: str = "baseline"
) -> dict:
    """The best non-control generator on ``metric`` (a :data:`augeval.metrics.METRICS` name) in
    Table III's long TSV, and every variant's row on it (``rows``, best first, baseline last).

    Returns ``best`` (its row, or None when only controls were run), ``baseline`` (its row),
    ``rows``, ``p_column`` / ``p_test`` (which p-value and what it tests) and ``verdict``: a
    sentence saying whether the best generator differs significantly from the baseline."""
    if metric not in METRICS:
        raise DataError(f"report.headline_metric: {metric!r} is not one of {sorted(METRICS)}")
    m = METRICS[metric]
    need = ["variant", "metric", "average", "thresholds", "mean", "std", "rel_change"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise DataError(f"Table III TSV lacks column(s) {missing}; rerun make_table3")
    table = main_rows(table)  # the verdict is the main rows' (a sensitivity block is extra)
    rows = table[(table["metric"] == m.family) & (table["average"] == m.average)]
    if rows.empty:
        raise DataError(f"Table III TSV has no {metric} rows (report.headline_metric)")
    rows = rows[rows["thresholds"] == rows["thresholds"].iloc[0]]  # an F1: its first mode
    p_col, p_test = _p_column(rows)
    if baseline not in set(rows["variant"]):
        raise DataError(f"Table III TSV has no {baseline!r} row")
    base = rows[rows["variant"] == baseline].iloc[0]
    others = rows[rows["variant"] != baseline].sort_values("mean", ascending=False)
    models = others[~others["variant"].isin(list(controls))]
    best = models.iloc[0] if len(models) else None
    if best is None:
        verdict = "Only controls were run: no generator to judge."
    else:
        p = float(best[p_col])
        name = best.get("display_name", best["variant"])
        gain = f"{best['rel_change']:+.1%} {m.label} over the baseline"
        if not np.isfinite(p):
            verdict = f"Best generator: {name}, {gain}; no p-value (too few trials or resamples)."
        elif p < ALPHA:
            word = "a significant gain" if best["mean"] > base["mean"] else "significantly worse"
            verdict = f"Best generator: {name}, {gain}: {word} ({p_col} = {_p(p)} < {ALPHA})."
        else:
            verdict = (
                f"Best generator: {name}, {gain}: not significantly different from the "
                f"baseline ({p_col} = {_p(p)} ≥ {ALPHA})."
            )
    return {
        "metric": m.label,
        "best": best,
        "baseline": base,
        "rows": pd.concat([others, rows[rows["variant"] == baseline]]),
        "p_column": p_col,
        "p_test": p_test,
        "verdict": verdict,
    }


def controls_summary(check: pd.DataFrame | None) -> str:
    """One sentence on the controls check (None: it was not computed)."""
    if check is None:
        return "Controls check: not computed."
    if "verdict" not in check.columns:
        raise DataError("controls check TSV lacks a verdict column")
    counts = check["verdict"].value_counts()
    n = len(check)
    if n == 0:
        return "Controls check: no expectation could be tested (no control generator)."
    if counts.get("fail", 0):
        return (
            f"Controls check FAILED: {counts['fail']} of {n} expectations fail; the study's "
            "numbers are not to be trusted until that is explained."
        )
    if counts.get("underpowered", 0):
        return (
            f"Controls check: {counts.get('pass', 0)} of {n} pass, {counts['underpowered']} "
            "underpowered (the study cannot tell; more trials or test tracks are needed)."
        )
    return f"Controls check: all {n} expectations pass."


def score_rows(summaries: dict[str, pd.DataFrame], clips: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per generator: its score view's ``all`` row and its clips' flag counts."""
    rows = []
    for generator, summary in summaries.items():
        pick = summary[(summary["role"] == "scored") & (summary["class"] == "all")]
        if pick.empty:
            raise DataError(f"score summary of {generator} has no scored 'all' row")
        r = pick.iloc[0]
        c = clips[generator]
        rows.append(
            {
                "generator": generator,
                "n_clips": len(c),
                # tables written before the score run took every clip: the main run's
                "n_provided": int(r["n_provided"]) if "n_provided" in r else len(c),
                "clips_scored": str(r.get("clips_scored", "main run")),
                "recognisability": r["recognisability"],
                "recognisability_lo": r["recognisability_lo"],
                "recognisability_hi": r["recognisability_hi"],
                "confidence": r["confidence"],
                "fd": r["fd"],
                "fd_floor": r["fd_floor"],
                "kad": r["kad"],
                "kad_floor": r["kad_floor"],
                "near_copies": int(c["near_copy"].astype(str).str.lower().eq("true").sum())
                if "near_copy" in c
                else 0,
                "silent": int(c["silent"].astype(str).str.lower().eq("true").sum())
                if "silent" in c
                else 0,
                "clipping": int(c["clipping"].astype(str).str.lower().eq("true").sum())
                if "clipping" in c
                else 0,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ HTML


def _p(p: float) -> str:
    return "nan" if not math.isfinite(p) else (f"{p:.3f}" if p >= 0.001 else "< 0.001")


def _f(x, fmt="{:.3f}") -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return html.escape(str(x))
    return "–" if not math.isfinite(x) else fmt.format(x)


def _table(header: list[str], body: list[list[str]], classes: list[str] | None = None) -> str:
    # a column name may break after its underscores (control_<wbr>mean), a number never
    head = "".join(f"<th>{html.escape(h).replace('_', '_<wbr>')}</th>" for h in header)
    lines = []
    for k, cells in enumerate(body):
        cls = f" class='{classes[k]}'" if classes and classes[k] else ""
        lines.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    return f"<div class='wide'>{table}</div>"  # scrolls sideways inside the page if it must


def _headline_html(h: dict, display: dict[str, str], controls: Sequence[str]) -> str:
    e = html.escape
    body, marks = [], []
    for _, r in h["rows"].iterrows():
        variant = r["variant"]
        ci = ""
        if "ci_low" in r and np.isfinite(float(r["ci_low"])):
            ci = f"[{_f(r['ci_low'], '{:.4f}')}, {_f(r['ci_high'], '{:.4f}')}]"
        role = "baseline" if variant == "baseline" else "control" if variant in controls else ""
        name = r["display_name"] if "display_name" in r else display.get(variant, variant)
        body.append(
            [
                e(str(name)) + (f" <small>({role})</small>" if role else ""),
                f"{_f(r['mean'], '{:.4f}')} ± {_f(r['std'], '{:.4f}')}",
                ci,
                "" if variant == "baseline" else _f(r["rel_change"], "{:+.1%}"),
                "" if variant == "baseline" else _p(float(r[h["p_column"]])),
            ]
        )
        best = h["best"] is not None and variant == h["best"]["variant"]
        marks.append("best" if best else "")
    table = _table(
        ["variant", f"{h['metric']} (mean ± std over trials)", "95 % CI", "vs baseline", "p"],
        body,
        marks,
    )
    return (
        f"<p class='verdict'>{e(h['verdict'])}</p>{table}"
        f"<p class='note'>p: {e(h['p_column'])}, {e(h['p_test'])}; CI: bootstrap over test "
        "tracks. Controls (copy, noise, oracle) are reference points and are not ranked.</p>"
    )


def _controls_html(check: pd.DataFrame | None) -> str:
    e = html.escape
    sentence = controls_summary(check)
    failed = check is not None and (check.get("verdict") == "fail").any()
    out = f"<p class='verdict{' failed' if failed else ''}'>{e(sentence)}</p>"
    if check is None or check.empty:
        return out
    header = [c for c in check.columns]
    body = []
    for _, r in check.iterrows():
        cells = []
        for c in header:
            v = r[c]
            if c == "verdict":
                colour = VERDICT_COLOURS.get(str(v), "#222")
                cells.append(f"<b style='color:{colour}'>{e(str(v))}</b>")
            elif isinstance(v, float):
                cells.append(_p(v) if c.startswith("p") else _f(v, "{:.4f}"))
            else:
                cells.append(e(str(v)))
        body.append(cells)
    return out + _table(header, body)


def _scope(r) -> str:
    """Which clips were scored: every one provided (from how many files) or the main run's."""
    if r["clips_scored"] == "all provided":
        return f"all provided, {r['n_provided']} files"
    return str(r["clips_scored"])


def _score_html(rows: pd.DataFrame, display: dict[str, str]) -> str:
    if rows.empty:
        return "<p class='note'>No generator scored.</p>"
    body = [
        [
            html.escape(display.get(r["generator"], r["generator"])),
            f"{r['n_clips']} <small>({html.escape(_scope(r))})</small>",
            f"{_f(r['recognisability'])} [{_f(r['recognisability_lo'])}, "
            f"{_f(r['recognisability_hi'])}]",
            _f(r["confidence"]),
            f"{_f(r['fd'])} <small>({_f(r['fd_floor'])})</small>",
            f"{_f(r['kad'], '{:.4f}')} <small>({_f(r['kad_floor'], '{:.4f}')})</small>",
            f"{r['near_copies']} / {r['silent']} / {r['clipping']}",
        ]
        for _, r in rows.iterrows()
    ]
    return _table(
        [
            "generator",
            "clips",
            "recognisability [95 % CI]",
            "confidence",
            "FD (real floor)",
            "KAD (real floor)",
            "near copies / silent / clipping",
        ],
        body,
    ) + (
        "<p class='note'>The baseline classifiers' view of each generator's clips, no training "
        "(results/score/): recognisability = share of (clip, trial) pairs whose top class is the "
        "class drawn, macro over classes; FD / KAD to real clips of the class, beside what two "
        "real subsets of the same size score. Listen in the gallery (category Listen).</p>"
    )


def front_page(
    *,
    labelsets: Sequence[str],
    table3: dict[str, pd.DataFrame],
    controls_check: dict[str, pd.DataFrame | None],
    scores: dict[str, pd.DataFrame],
    metric: str,
    controls: Sequence[str],
    display_names: dict[str, str],
    trials: int,
) -> str:
    """The front page's HTML (self-contained, no script). ``scores``: per label set the output
    of :func:`score_rows`."""
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>augeval verdict</title><style>{_CSS}</style></head><body>",
        "<h1>Verdict</h1>",
        f"<p class='note'>{trials} trial(s) per variant; headline metric {e(metric)}. "
        "Table III, the controls check and the score view in brief; the full tables and "
        "figures are the report's other items.</p>",
    ]
    for labelset in labelsets:
        h = headline(table3[labelset], metric, controls)
        parts += [
            f"<section><h2>{e(labelset)}</h2>",
            "<h3>Table III headline</h3>",
            _headline_html(h, display_names, controls),
            "<h3>Controls check</h3>",
            _controls_html(controls_check.get(labelset)),
            "<h3>Score of the clips (baseline classifiers)</h3>",
            _score_html(scores[labelset], display_names),
            "</section>",
        ]
    parts.append("</body></html>")
    return "".join(parts)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:1.2em;color:#222;background:#fff;"
    "max-width:70em}h2{border-bottom:2px solid #ccc;margin-top:1.4em}h3{margin:.9em 0 .3em}"
    ".wide{max-width:100%;overflow-x:auto}"
    "table{border-collapse:collapse;font-size:.85em}th,td{border:1px solid #ddd;"
    "padding:.25em .6em;text-align:left;overflow-wrap:break-word}th{background:#f4f4f4}"
    "tr.best{background:#e8f5e9;font-weight:600}.verdict{font-size:1.05em;font-weight:600}.failed{color:#b00020}"
    ".note{color:#555;font-size:.82em}small{color:#666;font-weight:normal}"
)
