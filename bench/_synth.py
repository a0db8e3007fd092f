"""Synthetic MTG-Jamendo-like audio for the benchmarks: 44.1 kHz stereo 320 kbps MP3 files whose
durations follow the real split-0 distribution (from the shipped metadata)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
SR = 44100


def real_durations() -> np.ndarray:
    from augeval.data.mtg import read_metadata

    split_dir = REPO / "resources/mtg-jamendo/splits/split-0"
    return np.array(
        [t.duration for s in ("train", "validation", "test")
         for t in read_metadata(split_dir / f"autotagging_moodtheme-{s}.tsv")]
    )  # fmt: skip


def durations_like_the_dataset(n: int, seed: int = 0) -> np.ndarray:
    """``n`` durations at evenly spaced quantiles of the real distribution (shuffled)."""
    d = np.quantile(real_durations(), (np.arange(n) + 0.5) / n)
    return np.random.default_rng(seed).permutation(d)


def music(seconds: float, seed: int) -> np.ndarray:
    """Chords with note changes, a decaying envelope per beat, and a little noise (stereo)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    beat = 60 / rng.uniform(80, 140)
    notes = rng.integers(-12, 12, size=(int(seconds / (4 * beat)) + 2, 3))
    step = (t / (4 * beat)).astype(int)
    y = np.zeros(n)
    for k in range(3):
        freq = 220 * 2 ** (notes[step, k] / 12)
        y += 0.15 * np.sin(2 * np.pi * np.cumsum(freq) / SR)
    y *= 0.6 + 0.4 * np.exp(-(t % beat) * 6)
    y += 0.02 * rng.standard_normal(n)
    return np.stack([y, np.roll(y, 37)], axis=1).astype(np.float32)


def _write(args) -> str:
    path, seconds, seed = args
    sf.write(
        path,
        music(seconds, seed),
        SR,
        format="MP3",
        subtype="MPEG_LAYER_III",
        bitrate_mode="CONSTANT",
        compression_level=0.0,
    )  # fmt: skip  (compression 0 = 320 kbps, as the dataset distributes)
    return path


def make_corpus(root: Path, durations, workers: int = 2) -> list[str]:
    """MP3 files ``root/NN/ID.mp3`` (the dataset's layout), encoded on ``workers`` processes."""
    jobs = []
    for i, seconds in enumerate(durations):
        track = 1000 + i
        path = root / f"{track % 100:02d}" / f"{track}.mp3"
        path.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((str(path), float(seconds), i))
    with ProcessPoolExecutor(min(workers, os.cpu_count() or 1)) as pool:
        return list(pool.map(_write, jobs))
