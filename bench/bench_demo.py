"""Where a finished run's time went: wall seconds per rule from its ``benchmarks/`` files.

Usage::

    python bench/bench_demo.py [RUN ...]          # RUN: a workflow folder (default: .)

Each RUN is a folder holding ``benchmarks/`` (and ``.snakemake/log/``) of a finished run, e.g.
the repository after ``bash run.sh``, or a copy of it kept from before a change. One RUN prints
``rule jobs total_s mean_s max_s mean_cpu_s max_rss_mb`` (the longest total first) and the sums
(CPU: exact from each job's log, see :mod:`augeval.bench_times`); two or more
print each rule's total side by side with the ratio to the first RUN, so a before/after of the
same demo reads in one table. ``makespan`` is the newest Snakemake log's first to last time
stamp (the wall clock of the whole run; the sum of job seconds exceeds it when jobs overlap).

``--forecast FILE`` (e.g. ``results/plan/cost_forecast_cpu_only.tsv`` of the same config: the
forecast with every rule on the CPU, as the demo runs here) also prints, for the first RUN, each
rule's forecast seconds per job beside its measured mean wall and CPU seconds and their ratios.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from augeval.bench_times import forecast_vs_measured, per_rule, read_benchmarks  # noqa: E402

_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]", re.MULTILINE)


def makespan(run: Path) -> float | None:
    """Seconds from the first to the last time stamp of the run's newest Snakemake log."""
    logs = sorted(
        (run / ".snakemake" / "log").glob("*.snakemake.log"), key=lambda p: p.stat().st_mtime
    )
    if not logs:
        return None
    stamps = [
        datetime.strptime(" ".join(s.split()), "%a %b %d %H:%M:%S %Y")
        for s in _STAMP.findall(logs[-1].read_text())
    ]
    return (stamps[-1] - stamps[0]).total_seconds() if len(stamps) >= 2 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", type=Path, default=[Path(".")])
    parser.add_argument("--forecast", type=Path, help="a cost_forecast*.tsv to compare with")
    args = parser.parse_args()
    tables, cpu_notes = [], []
    for run in args.runs:
        bench = run / "benchmarks" if (run / "benchmarks").is_dir() else run
        if not bench.is_dir():
            sys.exit(f"{bench}: no benchmarks folder (run the workflow first, e.g. bash run.sh)")
        rows = read_benchmarks(bench, REPO / "workflow" / "rules")
        tables.append(per_rule(rows))
        from_log = int((rows["cpu_from"] == "log").sum())
        cpu_notes.append(
            f", job CPU {rows['cpu_s'].sum() / 60:.1f} min (exact from the logs for {from_log}"
            f" of {len(rows)} jobs; the rest Snakemake's sampled cpu_time, an undercount)"
        )
    pd.set_option("display.width", 200)
    if len(tables) == 1:
        print(tables[0].to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    else:
        side = pd.concat(
            [t.set_index("rule")["total_s"].rename(f"run{i}_s") for i, t in enumerate(tables)]
            + [t.set_index("rule")["jobs"].rename(f"run{i}_jobs") for i, t in enumerate(tables)],
            axis=1,
        ).fillna(0)
        for i in range(1, len(tables)):
            side[f"run{i}/run0"] = side[f"run{i}_s"] / side["run0_s"].where(side["run0_s"] > 0)
        side = side.sort_values("run0_s", ascending=False)
        print(side.to_string(float_format=lambda v: f"{v:.2f}"))
    if args.forecast is not None:
        both = forecast_vs_measured(tables[0], pd.read_csv(args.forecast, sep="\t"))
        print(f"\nforecast {args.forecast} vs run0 (per job; ratio = measured / forecast)")
        print(both.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        within = both["cpu_ratio"].between(0.5, 2.0)
        print(f"{int(within.sum())} of {len(both)} rules within 2x on CPU seconds")
    for i, (run, table) in enumerate(zip(args.runs, tables, strict=True)):
        span = makespan(run)
        span_text = f", makespan {span / 60:.1f} min" if span is not None else ""
        print(
            f"run{i} {run}: {int(table['jobs'].sum())} jobs, "
            f"{table['total_s'].sum() / 60:.1f} job-min{span_text}{cpu_notes[i]}"
        )


if __name__ == "__main__":
    main()
