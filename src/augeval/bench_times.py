"""Per-rule wall time of a finished run, from Snakemake's ``benchmark:`` files.

Every rule in ``workflow/rules/*.smk`` writes one benchmark TSV per job (columns ``s``,
``max_rss``, …). :func:`rule_templates` reads each rule's benchmark path template from the rule
files; :func:`read_benchmarks` matches the files of a ``benchmarks/`` folder to their rules, and
:func:`per_rule` sums them per rule. ``bench/bench_demo.py`` prints the breakdown (and two runs
side by side); the cost forecast compares its figures with it.

A job's CPU seconds come from the last line of its log (``logs/X.log`` beside
``benchmarks/X.tsv``, written by :func:`augeval.logs.run_logged`), which is exact. Snakemake's
own ``cpu_time`` is only the fallback: its sampler looks every 0.5 s for a job's first 15 s and
then every 30 s, so a 40 s job reports the CPU of its first ~15 s (measured on the demo: 12-14 s
for trainings of 25-60 s wall).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from augeval.logs import read_resources

_RULE = re.compile(r"^(?:rule (\w+):|use rule \w+ as (\w+) with:)", re.MULTILINE)
_BENCH = re.compile(r"^\s+benchmark:\s*\n\s+\"([^\"]+)\"", re.MULTILINE)


def rule_templates(rules_dir: str | Path) -> dict[str, str]:
    """``{benchmark path template: rule}`` of every rule with a ``benchmark:`` (first rule wins
    where a ``use rule`` twin shares its template)."""
    out: dict[str, str] = {}
    for smk in sorted(Path(rules_dir).glob("*.smk")):
        text = smk.read_text()
        heads = list(_RULE.finditer(text))
        for i, head in enumerate(heads):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
            bench = _BENCH.search(text, head.end(), end)
            if bench:
                out.setdefault(bench.group(1), head.group(1) or head.group(2))
    return out


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join(".+?" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{body}$")


def read_benchmarks(bench_dir: str | Path, rules_dir: str | Path) -> pd.DataFrame:
    """One row per benchmark file: ``rule file s cpu_s cpu_from max_rss_mb`` (``rule`` is ``?``
    where no template matches; ``cpu_s``: the job's CPU seconds from its log's resources line,
    ``cpu_from`` = ``log``, else Snakemake's sampled ``cpu_time``, ``cpu_from`` = ``benchmark``;
    see the module docstring). ``bench_dir`` is the run's ``benchmarks/`` folder; the logs are
    looked for in ``logs/`` beside it."""
    root = Path(bench_dir)
    # the most specific template first (fewest wildcards, longest literal text)
    templates = sorted(
        rule_templates(rules_dir).items(),
        key=lambda kv: (kv[0].count("{"), -len(re.sub(r"\{[^}]+\}", "", kv[0]))),
    )
    compiled = [(_pattern(t), rule) for t, rule in templates]
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        rel = "benchmarks/" + path.relative_to(root).as_posix()
        rule = next((r for pat, r in compiled if pat.match(rel)), "?")
        table = pd.read_csv(path, sep="\t")
        rss = pd.to_numeric(table.get("max_rss"), errors="coerce")
        cpu = pd.to_numeric(table.get("cpu_time"), errors="coerce")
        logged = read_resources(root.parent / "logs" / path.relative_to(root).with_suffix(".log"))
        if logged is not None:
            cpu_s, cpu_from = logged["cpu"], "log"
        else:
            cpu_s, cpu_from = (float(cpu.sum()) if cpu is not None else float("nan")), "benchmark"
        rows.append(
            (
                rule,
                rel,
                float(table["s"].sum()),
                cpu_s,
                cpu_from,
                float(rss.max()) if rss is not None else None,
            )
        )
    return pd.DataFrame(rows, columns=["rule", "file", "s", "cpu_s", "cpu_from", "max_rss_mb"])


def per_rule(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """``rule jobs total_s mean_s max_s mean_cpu_s max_rss_mb``, the longest total first."""
    grouped = benchmarks.groupby("rule")
    out = pd.DataFrame(
        {
            "jobs": grouped.size(),
            "total_s": grouped["s"].sum(),
            "mean_s": grouped["s"].mean(),
            "max_s": grouped["s"].max(),
            "mean_cpu_s": grouped["cpu_s"].mean(),
            "max_rss_mb": grouped["max_rss_mb"].max(),
        }
    )
    return out.sort_values("total_s", ascending=False).reset_index()


def forecast_vs_measured(measured: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """Per rule present in both: jobs forecast and run, the forecast seconds per job, the
    measured mean wall and CPU seconds per job, and ``cpu_ratio`` = measured CPU / forecast and
    ``wall_ratio`` = measured wall / forecast (the forecast's unit costs are CPU seconds of one
    thread, see resources/costs.yaml). ``measured``: :func:`per_rule`; ``forecast``: a
    ``cost_forecast*.tsv`` (``rule jobs forecast_hours_per_job forecast_hours_total ...``); the
    forecast per job is its mean job (total / jobs) where the total is given. Largest first."""
    fc = forecast.set_index("rule")
    m = measured.set_index("rule")
    rules = [r for r in fc.index if r in m.index]
    # the mean job, as measured is: a rule's forecast_hours_per_job is its job nearest to the
    # runtime limit (e.g. SampleRNN's generation among the generate_clips_gpu jobs)
    if "forecast_hours_total" in fc:
        hours = fc.loc[rules, "forecast_hours_total"].astype(float) / fc.loc[rules, "jobs"]
    else:
        hours = fc.loc[rules, "forecast_hours_per_job"].astype(float)
    per_job = hours * 3600
    out = pd.DataFrame(
        {
            "jobs_forecast": fc.loc[rules, "jobs"].astype(int),
            "jobs_run": m.loc[rules, "jobs"].astype(int),
            "forecast_s": per_job,
            "wall_s": m.loc[rules, "mean_s"],
            "cpu_s": m.loc[rules, "mean_cpu_s"],
        }
    )
    out["cpu_ratio"] = out["cpu_s"] / out["forecast_s"]
    out["wall_ratio"] = out["wall_s"] / out["forecast_s"]
    return out.sort_values("forecast_s", ascending=False).rename_axis("rule").reset_index()
