"""Deterministic seeds derived from the config seed and the job's wildcards."""

from __future__ import annotations

import hashlib


def derive_seed(base: int, *parts: object) -> int:
    """A 31-bit seed from ``base`` and any labels (e.g. label set, variant, trial)."""
    text = "/".join([str(base), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF


def set_deterministic(threads: int | None = None) -> None:
    """Make torch pick deterministic kernels, so a job's outputs repeat bit for bit on CPU.

    ``warn_only`` keeps a CUDA op without a deterministic kernel running (with a warning) rather
    than failing a long GPU job; cuBLAS needs its workspace setting for deterministic matmuls.
    The project uses no ``DataLoader`` worker processes: its loaders draw from generators seeded
    per item (see ``augeval.generators.samplernn``), so no worker seeding is needed.
    """
    import os

    import torch

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    if threads is not None:
        torch.set_num_threads(threads)
