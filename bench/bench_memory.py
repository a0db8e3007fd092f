"""Benchmark: peak memory of the cache and training stages at two dataset sizes.

Each measurement runs in a fresh process, which reports its peak resident set (``VmHWM``) and the
peak of its anonymous (heap) part, sampled every 10 ms (``RssAnon``; the rest is file pages:
shared libraries and memory-mapped cache shards, which the kernel can drop at any time).

* cache stage: :func:`augeval.features.build_shard` over N and 4N tracks of 90 s audio (paper
  ``max_frames`` 4096), beside the in-memory concatenation it replaced (all mels held, then
  ``np.concatenate`` + ``np.save``);
* training stage: one epoch of :func:`augeval.classifier.train.train_classifier` (demo model,
  256-frame windows) over a 4096-frame-per-track cache of N and 4N tracks.

Bounded means the heap peak does not grow with N. Usage: ``nice python bench/bench_memory.py
[--tracks 60]`` (about 1.5 min on 2 idle cores).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

MiB = 2**20


def status(field: str) -> int:
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith(field + ":"))
    return int(line.split()[1]) * 1024


class PeakAnon:
    def __init__(self):
        self.peak, self._stop = status("RssAnon"), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, status("RssAnon"))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, status("RssAnon"))


def child(stage: str, n: int, workdir: Path) -> dict:
    import numpy as np
    import pandas as pd
    import torch

    from augeval.audio import write_audio
    from augeval.features import MelExtractor, MelParams, build_shard

    torch.set_num_threads(1)
    params = MelParams(max_frames=4096)
    baseline = {"hwm": status("VmHWM"), "anon": status("RssAnon")}
    if stage.startswith("cache"):
        audio = workdir / "track.wav"
        if not audio.exists():
            rng = np.random.default_rng(0)
            write_audio(audio, 0.1 * rng.standard_normal(90 * 22050), 22050)
        manifest = pd.DataFrame({"track_id": [f"t{i}" for i in range(n)], "path": str(audio)})
        with PeakAnon() as anon:
            if stage == "cache":
                build_shard(manifest, params, workdir / "s.npy", workdir / "s.tsv")
            else:  # the previous build_shard: every mel in memory, then one concatenate + save
                extractor = MelExtractor(params)
                mels = [extractor.from_file(p).astype(np.float16) for p in manifest["path"]]
                np.save(workdir / "s.npy", np.concatenate(mels, axis=1))
    else:
        import logging

        from augeval.classifier.train import train_classifier
        from augeval.features import MelStore

        logging.disable(logging.INFO)
        frames = 4096
        rng = np.random.default_rng(0)
        with open(workdir / f"train-{n}.npy", "wb") as out:  # plain writes: no mapped pages
            header = {"descr": "<f2", "fortran_order": True, "shape": (96, n * frames)}
            np.lib.format.write_array_header_1_0(out, header)
            for _ in range(n):
                out.write(rng.normal(-40, 10, (frames, 96)).astype("<f2").tobytes())
        ids = [f"t{i:05d}" for i in range(n)]
        pd.DataFrame(
            {"track_id": ids, "shard": f"train-{n}.npy", "start": np.arange(n) * frames,
             "n_frames": frames}
        ).to_csv(workdir / f"train-{n}.tsv", sep="\t", index=False)  # fmt: skip
        classes = ["a", "b", "c", "d"]
        labels = [classes[i % 4] for i in range(n)]
        df = pd.DataFrame({"track_id": ids, "labels": labels})
        cfg = {
            "pretrained": "none", "width_mult": 0.35, "input_frames": 256, "chunk_frames": 128,
            "batch_size": 16, "crop": "random", "selection_metric": "pr_auc_macro",
            "schedule": [{"optimizer": "adam", "lr": 0.001, "epochs": 1}], "bn_batches": 4,
        }  # fmt: skip
        baseline = {"hwm": status("VmHWM"), "anon": status("RssAnon")}
        with PeakAnon() as anon:
            store = MelStore([workdir / f"train-{n}.tsv"])
            n_val = n // 4
            train_classifier(
                df[n_val:], df[:n_val], classes, store, cfg, 96, 0, workdir / f"ck-{n}.pt"
            )
    return {"hwm": status("VmHWM"), "anon": anon.peak, "base_anon": baseline["anon"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=60)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, n, workdir = args.child
        print(json.dumps(child(stage, int(n), Path(workdir))))
        return
    sizes = (args.tracks, 4 * args.tracks)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for stage in ("cache", "cache-in-memory", "train"):
            for n in sizes:
                t0 = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, __file__, "--child", stage, str(n), tmp],
                    capture_output=True, text=True, check=True,
                ).stdout  # fmt: skip
                rows.append((stage, n, json.loads(out), time.perf_counter() - t0))
    print("stage                      tracks  peak RSS  peak heap (RssAnon)  heap above start")
    for stage, n, m, seconds in rows:
        print(f"{stage:26s} {n:6d} {m['hwm'] / MiB:7.0f} MiB {m['anon'] / MiB:9.0f} MiB"
              f" {(m['anon'] - m['base_anon']) / MiB:14.0f} MiB   ({seconds:.0f} s)")  # fmt: skip
    for stage in ("cache", "cache-in-memory", "train"):
        small, large = [m for s, _, m, _ in rows if s == stage]
        growth = (large["anon"] - small["anon"]) / MiB
        print(f"{stage}: heap peak grows {growth:+.0f} MiB from {sizes[0]} to {sizes[1]} tracks "
              f"(peak RSS ratio {large['hwm'] / small['hwm']:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
