"""Benchmark: ``snakemake -n`` on the paper-scale config vs an empty one-rule workflow.

Both run as fresh ``python -m snakemake`` processes, interleaved, ``--repeat`` times each; the
best wall time and the best CPU time (user + sys of the child, less sensitive to other jobs on a
shared machine) are kept. The ratio is what planning the paper-scale DAG (~200 jobs, config
validation, 18k metadata rows untouched until jobs run) costs over Snakemake's own start-up.
Target: <= 3x. Usage: ``nice python bench/bench_dryrun.py [--repeat 3]`` (about 20 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
EMPTY = 'rule a:\n    output:\n        "a.txt",\n    shell:\n        "touch {output}"\n'


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env_path = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))
    os.environ["PYTHONPATH"] = env_path
    with tempfile.TemporaryDirectory() as tmp:
        paper, empty = Path(tmp) / "paper", Path(tmp) / "empty"
        for part in ("config", "resources"):
            shutil.copytree(REPO / part, paper / part)
        empty.mkdir()
        (empty / "Snakefile").write_text(EMPTY)
        runs = {
            "paper-scale (config/mtg_jamendo.yaml)": (
                [
                    *SNAKEMAKE,
                    "--snakefile",
                    str(REPO / "Snakefile"),
                    "--configfile",
                    str(paper / "config/mtg_jamendo.yaml"),
                    "-n",
                    "--cores",
                    "4",
                ],
                paper,
            ),  # fmt: skip
            "empty one-rule workflow": ([*SNAKEMAKE, "-n", "--cores", "1"], empty),
        }
        best = {name: [float("inf"), float("inf")] for name in runs}
        jobs = ""
        for _ in range(args.repeat):
            for name, (cmd, cwd) in runs.items():
                wall, cpu, out = timed(cmd, cwd)
                best[name] = [min(best[name][0], wall), min(best[name][1], cpu)]
                if name.startswith("paper"):
                    jobs = out
    total = next(line for line in jobs.splitlines() if line.startswith("total"))
    print(f"paper-scale DAG: {total.split()[1]} jobs")
    for name, (wall, cpu) in best.items():
        print(f"  {name:40s} {wall:6.2f} s wall  {cpu:6.2f} s CPU")
    (pw, pc), (ew, ec) = best.values()
    print(f"ratio paper-scale / empty: {pw / ew:.2f}x wall, {pc / ec:.2f}x CPU  (target <= 3)")


if __name__ == "__main__":
    main()
