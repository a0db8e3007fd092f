"""Deterministic seeds derived from the config seed and the job's wildcards."""

from __future__ import annotations

import hashlib


def derive_seed(base: int, *parts: object) -> int:
    """A 31-bit seed from ``base`` and any labels (e.g. label set, variant, trial)."""
    text = "/".join([str(base), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF
