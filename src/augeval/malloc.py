"""glibc malloc settings for the workflow's jobs (read by glibc when a process starts).

By default glibc serves a request above a *dynamic* mmap threshold with its own ``mmap`` and
returns it with ``munmap`` when freed. PyTorch's CPU allocator hands large tensor buffers straight
to malloc, so each training step maps, zero-fills (page faults) and unmaps the same few
megabytes again. A fixed 32 MiB threshold (the largest glibc accepts) with trimming of the heap
top turned off keeps those buffers in the heap for reuse. ``bench/bench_malloc.py`` measures it
on the demo classifier's training step, side by side: fewer page faults and less system time.

Setting only the trim threshold is worse than the default: it also freezes the mmap threshold at
its 128 KiB start, so every buffer above it is mapped anew. The two go together.

The settings are only defaults: a variable already in the environment is left as it is, and
other C libraries (musl, macOS) ignore them.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum on 64-bit: 4 * 1024 * 1024 * sizeof(long)
TRIM_THRESHOLD = 4 * 1024**3

SETTINGS = {
    "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD),
    "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD),
}


def apply_malloc_defaults(env: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Add :data:`SETTINGS` to ``env`` where it has none of them (they act in child processes
    started afterwards); return what was added. An environment that sets either one keeps
    its own choice and gets neither, since they only make sense together."""
    if any(key in env for key in SETTINGS):
        return {}
    env.update(SETTINGS)
    return dict(SETTINGS)
