"""Time to first score (issue 20): a finished demo scores a new folder of clips per class.

Usage::

    python bench/bench_score.py [--run DIR] [--clips-per-class 12] [--name fresh]

``DIR`` is a workflow folder after ``bash run.sh`` (default: the repository). The bench writes
``clips_per_class`` fresh demo-synthesised clips of each class of every label set to
``DIR/results/bench_score/<name>/{labelset}/<class>/`` (16 kHz WAV, new artists: music no
classifier saw), adds them as a ``kind: samples`` generator through a config overlay, checks
with a dry run that the plan holds no ``train_classifier`` job, then runs::

    snakemake --cores 2 results/score/{labelset}/<name>/summary.tsv   (every label set)

and prints the wall time, the jobs per rule and the per-rule job seconds from ``benchmarks/``.
A second invocation with the same name finds everything done (the no-op time).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from augeval.data.demo_samples import make_demo_samples  # noqa: E402
from augeval.data.labels import labelset_from_config  # noqa: E402
from augeval.seeding import derive_seed  # noqa: E402

_JOB = re.compile(r"^rule (\w+):", re.MULTILINE)


def planned_jobs(dry_run_output: str) -> Counter:
    """Jobs per rule in a ``snakemake -n`` print-out (one ``rule NAME:`` line per job)."""
    return Counter(m.group(1) for m in _JOB.finditer(dry_run_output))


def snakemake(run: Path, overlay: Path, targets: list[str], *extra: str) -> tuple[str, float]:
    cmd = [
        str(REPO / ".venv" / "bin" / "snakemake"),
        "--cores",
        "2",
        *targets,
        *extra,  # after the targets: --rerun-triggers takes every value up to the next option
        "--configfile",  # last: it takes every argument up to the next option
        "config/config.yaml",
        str(overlay),
    ]
    t0 = time.monotonic()
    done = subprocess.run(cmd, cwd=run, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout + done.stderr, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--run", type=Path, default=REPO)
    ap.add_argument("--clips-per-class", type=int, default=12)
    ap.add_argument("--name", default="fresh")
    ap.add_argument(
        "--rerun-triggers",
        default=None,
        help="passed to snakemake, e.g. mtime: score a demo finished by an older checkout "
        "without rerunning the jobs whose script changed since",
    )
    args = ap.parse_args()
    extra = ("--rerun-triggers", args.rerun_triggers) if args.rerun_triggers else ()
    run = args.run.resolve()
    config = yaml.safe_load((run / "config" / "config.yaml").read_text())
    labels = config["labels"]
    clip_root = run / "results" / "bench_score" / args.name
    for name in config["labelsets"]:
        out = clip_root / name
        if not out.exists():
            labelset = labelset_from_config(name, labels)
            make_demo_samples(
                out,
                labelset.class_tags(labels["tags"]),
                clips_per_class=args.clips_per_class,
                seconds=10,
                sample_rate=16000,
                seed=derive_seed(config["seed"], "bench_score", args.name, name),
                audio_format="wav",
            )
    overlay = run / "results" / "bench_score" / f"{args.name}.yaml"
    overlay.write_text(
        yaml.safe_dump(
            {"generators": {args.name: {"kind": "samples", "dir": f"{clip_root}/{{labelset}}"}}}
        )
    )
    targets = [f"results/score/{ls}/{args.name}/summary.tsv" for ls in config["labelsets"]]
    plan, _ = snakemake(run, overlay, targets, "-n", *extra)
    jobs = planned_jobs(plan)
    print(f"planned jobs: {sum(jobs.values())}  " + ", ".join(f"{r} {n}" for r, n in jobs.items()))
    if jobs.get("train_classifier"):
        sys.exit(
            f"the score plan trains {jobs['train_classifier']} classifier(s): not a finished demo?"
        )
    _, wall = snakemake(run, overlay, targets, *extra)
    n_clips = args.clips_per_class * sum(
        len(labelset_from_config(ls, labels).classes) for ls in config["labelsets"]
    )
    scored = provided = 0
    for target in targets:  # a samples generator's score run takes every clip it provides
        summary = pd.read_csv(run / target, sep="\t")
        row = summary.query("role == 'scored' and `class` == 'all'")
        scored += int(row["n_clips"].sum())
        provided += int(row["n_provided"].sum())
    print(
        f"wrote {n_clips} clips ({args.clips_per_class} per class, {len(targets)} label sets); "
        f"scored {scored} from {provided} provided"
    )
    print(f"wall: {wall:.1f} s")
    _, noop = snakemake(run, overlay, targets, *extra)
    print(f"no-op re-run: {noop:.1f} s")
    for target in targets:
        print(f"-- {target}")
        print((run / target).read_text())


if __name__ == "__main__":
    main()
