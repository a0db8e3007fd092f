"""Benchmark: the demo classifier's training steps with glibc's default malloc vs the workflow's
settings (augeval.malloc: a fixed 32 MiB mmap threshold, no heap trimming).

Each setting runs in its own fresh process (glibc reads the variables at start-up), alternating
A, B, A, B, ... so that machine load hits both alike. A worker trains the demo model
(MobileNetV2 width 0.35 + attention head, 96 mels x 256 frames in chunks of 128, batch 8, Adam)
on random batches for ``--steps`` steps on one thread. Reported per setting: the median wall
time of the steps, system CPU time and minor page faults of the worker (from ``wait4``), and the
ratios. Also its peak RSS, since the heap keeps freed memory.

Usage: ``nice python bench/bench_malloc.py [--steps 30 --reps 3]`` (about 2 min on 2 idle cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from augeval.malloc import SETTINGS  # noqa: E402


def worker(steps: int) -> None:
    import torch

    from augeval.classifier.model import MoodClassifier

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = MoodClassifier(4, n_mels=96, chunk_frames=128, width_mult=0.35)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(8, 96, 256), (torch.rand(8, 4) > 0.5).float()
    for _ in range(3):  # warm-up
        loss = sum(torch.nn.functional.binary_cross_entropy_with_logits(z, y) for z in model(x))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    start = time.perf_counter()
    for _ in range(steps):
        loss = sum(torch.nn.functional.binary_cross_entropy_with_logits(z, y) for z in model(x))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    print(json.dumps({"seconds": time.perf_counter() - start}))


def run(steps: int, extra_env: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | extra_env
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", "--steps", str(steps)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"worker failed with status {status}")
    result = json.loads(out.strip().splitlines()[-1])
    return result | {"sys": usage.ru_stime, "faults": usage.ru_minflt, "rss": usage.ru_maxrss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.steps)
        return
    settings = {"glibc default": {}, "augeval.malloc": dict(SETTINGS)}
    runs: dict[str, list[dict]] = {name: [] for name in settings}
    for _ in range(args.reps):
        for name, extra in settings.items():
            runs[name].append(run(args.steps, extra))
    summary = {}
    print(f"{args.steps} training steps, median of {args.reps} runs per setting")
    print(f"{'setting':<16} {'steps s':>8} {'sys s':>7} {'faults':>10} {'peak RSS MB':>12}")
    for name, rs in runs.items():
        row = {k: statistics.median(r[k] for r in rs) for k in ("seconds", "sys", "faults", "rss")}
        summary[name] = row
        print(
            f"{name:<16} {row['seconds']:8.2f} {row['sys']:7.2f} {row['faults']:10.0f} "
            f"{row['rss'] / 1024:12.0f}"
        )
    a, b = summary["glibc default"], summary["augeval.malloc"]
    print(
        f"ratio default/augeval: steps {a['seconds'] / b['seconds']:.2f}x, "
        f"system time {a['sys'] / max(b['sys'], 1e-9):.2f}x, "
        f"page faults {a['faults'] / max(b['faults'], 1):.2f}x, "
        f"peak RSS {b['rss'] / a['rss']:.2f}x more with augeval.malloc"
    )


if __name__ == "__main__":
    main()
