"""Benchmark: one classifier epoch reading the mel cache vs computing the mels on the fly.

Side by side, in one run: the real :func:`augeval.classifier.train.train_classifier` (train pass,
BatchNorm re-estimation, validation pass) for one epoch, fed by

* ``cache``: :class:`augeval.features.MelStore` over shards built by ``build_shard``;
* ``on the fly``: a store with the same interface that decodes the MP3 and computes the mel (same
  :class:`augeval.features.MelExtractor`, reading only the cached span) at every access.

Synthetic MP3s (44.1 kHz stereo, 320 kbps), the demo classifier (MobileNetV2 width 0.35, 256-frame
windows cut at random from 768 cached frames, batch 16), one thread. CPU time of this process is
reported next to wall time. The cache's one-off build is shown too: it serves every epoch of every
variant and trial. The input side alone (the same reads, no model) is timed as well: on a CPU
the demo model's forward/backward dominates a cached epoch. Target: >= 5x.
Usage: ``nice python bench/bench_classifier_epoch.py [--tracks 48]`` (about 40 s on 2 idle cores).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import soundfile as sf  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synth import make_corpus  # noqa: E402

from augeval.classifier.data import fit_frames  # noqa: E402
from augeval.classifier.train import train_classifier  # noqa: E402
from augeval.features import MelExtractor, MelParams, MelStore, build_shard  # noqa: E402

CLASSES = ["happy", "calm", "dark", "sad"]
CLASSIFIER = {  # config/config.yaml's classifier, one epoch
    "pretrained": "none", "width_mult": 0.35, "input_frames": 256, "chunk_frames": 128,
    "batch_size": 16, "crop": "random", "selection_metric": "pr_auc_macro",
    "augment": {"resized_crop_p": 0.33, "specaugment_p": 0.5, "mixup": False},
    "schedule": [{"optimizer": "adam", "lr": 0.001, "epochs": 1}], "bn_batches": 4,
}  # fmt: skip


class OnTheFlyStore:
    """MelStore's interface, computing each mel from its audio file when asked."""

    def __init__(self, paths: dict[str, str], params: MelParams):
        self.paths, self.params, self.extractor = paths, params, MelExtractor(params)

    def length(self, track_id: str) -> int:
        info = sf.info(self.paths[track_id])
        samples = int(info.frames * self.params.sample_rate / info.samplerate)
        return min(self.params.max_frames, 1 + samples // self.params.hop_length)

    def get(self, track_id: str) -> np.ndarray:
        return self.extractor.from_file(self.paths[track_id])

    def window(self, track_id: str, n_frames: int, offset: int = 0) -> np.ndarray:
        return fit_frames(self.get(track_id), n_frames, offset)


def manifest(ids, paths, rng) -> pd.DataFrame:
    labels = [CLASSES[i] for i in rng.integers(0, len(CLASSES), len(ids))]
    return pd.DataFrame({"track_id": ids, "path": paths, "labels": labels})


def epoch(store, train, val, workdir: Path) -> tuple[float, float]:
    workdir.mkdir()
    t0, c0 = time.perf_counter(), time.process_time()
    train_classifier(train, val, CLASSES, store, CLASSIFIER, 96, 0, workdir / "checkpoint.pt")
    return time.perf_counter() - t0, time.process_time() - c0


def epoch_reads(store, train, val, seed: int = 0) -> tuple[float, float]:
    """Only the input side of an epoch: the same reads train_classifier makes, no model."""
    rng = np.random.default_rng(seed)
    n, batch = CLASSIFIER["input_frames"], CLASSIFIER["batch_size"]
    train_ids, val_ids = list(train["track_id"]), list(val["track_id"])
    t0, c0 = time.perf_counter(), time.process_time()
    lengths = [store.length(t) for t in train_ids]
    for i in rng.permutation(len(train_ids)):  # training windows at random offsets
        store.window(train_ids[i], n, int(rng.integers(0, max(lengths[i] - n, 0) + 1)))
    for t in train_ids[: CLASSIFIER["bn_batches"] * batch] + val_ids:  # BN pass, validation
        store.window(t, n)
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=17.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.disable(logging.INFO)
    params = MelParams(max_frames=768)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_corpus(root / "audio", [args.seconds] * args.tracks)
        ids = [f"t{i:04d}" for i in range(args.tracks)]
        n_val = args.tracks // 4
        train = manifest(ids[n_val:], paths[n_val:], rng)
        val = manifest(ids[:n_val], paths[:n_val], rng)
        t0, c0 = time.perf_counter(), time.process_time()
        everything = pd.concat([train, val])
        build_shard(everything, params, root / "shard-0.npy", root / "shard-0.tsv")
        build = time.perf_counter() - t0, time.process_time() - c0
        cache = MelStore([root / "shard-0.tsv"])
        fly = OnTheFlyStore(dict(zip(ids, paths, strict=True)), params)
        results = {"cache": epoch(cache, train, val, root / "a")}
        results["on the fly"] = epoch(fly, train, val, root / "b")
        results["cache (again)"] = epoch(cache, train, val, root / "c")
        reads = {"cache": epoch_reads(cache, train, val)}
        reads["on the fly"] = epoch_reads(fly, train, val)
    print(f"{len(train)} train + {len(val)} validation tracks, demo classifier, 1 thread")
    print(f"  cache build (once)     {build[0]:6.2f} s wall {build[1]:6.2f} s CPU")
    for name, (wall, cpu) in results.items():
        print(f"  epoch, {name:15s} {wall:6.2f} s wall {cpu:6.2f} s CPU")
    cache_wall = min(results["cache"][0], results["cache (again)"][0])
    cache_cpu = min(results["cache"][1], results["cache (again)"][1])
    fly_wall, fly_cpu = results["on the fly"]
    print(f"ratio on-the-fly / cache, whole epoch: {fly_wall / cache_wall:.2f}x wall, "
          f"{fly_cpu / cache_cpu:.2f}x CPU  (target >= 5)")  # fmt: skip
    for name, (wall, cpu) in reads.items():
        print(f"  epoch's mel reads only, {name:10s} {wall:7.3f} s wall {cpu:7.3f} s CPU")
    (cw, cc), (fw, fc) = reads.values()
    print(f"ratio on-the-fly / cache, mel reads only: {fw / cw:.0f}x wall, {fc / cc:.0f}x CPU")


if __name__ == "__main__":
    main()
