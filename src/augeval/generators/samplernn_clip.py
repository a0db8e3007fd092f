"""SampleRNN clip arithmetic, in samples (no torch import: the cost forecast uses it too).

A primed clip starts from ``prime_seconds`` of real audio, rounded down to whole lookbacks (the
top tier's frame, ``prod(frame_sizes)`` samples). ``include_prime`` (the paper's) writes the prime
inside the ``clip_seconds`` clip, so generation samples only the rest; without it the whole clip
is sampled.
"""

from __future__ import annotations

import math


def lookback_samples(frame_sizes) -> int:
    """The top tier's frame, the model's lookback: the product of ``frame_sizes``."""
    return math.prod(int(f) for f in frame_sizes)


def prime_samples(c: dict, sr: int, lookback: int) -> int:
    """The prime's length: ``prime_seconds`` rounded down to a multiple of the lookback (at least
    one lookback)."""
    return max(lookback, int(round(c["prime_seconds"] * sr)) // lookback * lookback)


def clip_samples(c: dict, sr: int) -> int:
    """The written clip's length in samples (prime included when ``include_prime``)."""
    return int(round(c["clip_seconds"] * sr))


def sampled_samples(c: dict, sr: int, lookback: int) -> int:
    """How many samples generation draws per clip (its sequential sample steps): the written
    clip, less the prime when ``include_prime`` puts the prime (copied, not sampled) inside it."""
    n_clip = clip_samples(c, sr)
    return n_clip - prime_samples(c, sr, lookback) if c["include_prime"] else n_clip
