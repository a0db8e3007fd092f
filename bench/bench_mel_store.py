"""Benchmark: reading classifier windows from the sharded mel cache.

Compares, side by side in one run, the memory-mapped :class:`augeval.features.MelStore` against
loading each shard eagerly per access (what a naive cache reader would do), on a synthetic cache of
``--tracks`` tracks x ``--frames`` frames in ``--shards`` shards. Prints seconds per 1000 reads and
the ratio. Usage: ``python bench/bench_mel_store.py [--tracks 400 --frames 4096 --shards 4]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from augeval.features import MelStore


def make_cache(root: Path, tracks: int, frames: int, shards: int) -> list[Path]:
    rng = np.random.default_rng(0)
    indexes = []
    for k in range(shards):
        ids = [f"t{i}" for i in range(k, tracks, shards)]
        mel = rng.normal(-40, 10, (96, frames * len(ids))).astype("f2")
        np.save(root / f"shard-{k}.npy", np.asfortranarray(mel))  # frame-major, as build_shard
        index = pd.DataFrame(
            {"track_id": ids, "shard": f"shard-{k}.npy", "start": np.arange(len(ids)) * frames,
             "n_frames": frames}
        )  # fmt: skip
        index.to_csv(root / f"shard-{k}.tsv", sep="\t", index=False)
        indexes.append(root / f"shard-{k}.tsv")
    return indexes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=400)
    parser.add_argument("--frames", type=int, default=4096)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--reads", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        indexes = make_cache(root, args.tracks, args.frames, args.shards)
        store = MelStore(indexes)
        order = np.random.default_rng(1).integers(0, args.tracks, args.reads)

        t0 = time.perf_counter()
        for i in order:
            store.get(f"t{i}")
        mmap_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        for i in order:
            k = i % args.shards
            np.load(root / f"shard-{k}.npy")[:, (i // args.shards) * args.frames :][
                :, : args.frames
            ]
        eager_s = time.perf_counter() - t0
    per = 1000 / args.reads
    print(f"tracks={args.tracks} frames={args.frames} shards={args.shards} reads={args.reads}")
    print(f"memory-mapped MelStore: {mmap_s * per:.3f} s / 1000 reads")
    print(f"eager shard load:       {eager_s * per:.3f} s / 1000 reads")
    print(f"speed-up (eager / mmap): {eager_s / mmap_s:.1f}x")


if __name__ == "__main__":
    main()
