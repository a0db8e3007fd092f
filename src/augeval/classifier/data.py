"""Classifier inputs: fixed-length mel windows cut from the cache (tiled when too short)."""

from __future__ import annotations

import numpy as np

DB_SCALE = 100.0  # the model reads dB / 100


def fit_frames(mel: np.ndarray, n_frames: int, offset: int = 0) -> np.ndarray:
    """A ``(n_mels, n_frames)`` window of ``mel`` starting at ``offset``.

    A mel shorter than ``n_frames`` is tiled (repeated along time) to fill the window, as the
    reference pipeline does for short clips.
    """
    length = mel.shape[1]
    if length == 0:
        raise ValueError("empty mel-spectrogram")
    if length < n_frames:
        reps = -(-n_frames // length)
        return np.tile(mel, (1, reps))[:, :n_frames]
    offset = min(max(offset, 0), length - n_frames)
    return mel[:, offset : offset + n_frames]


def random_offset(length: int, n_frames: int, rng: np.random.Generator) -> int:
    return int(rng.integers(0, length - n_frames + 1)) if length > n_frames else 0
