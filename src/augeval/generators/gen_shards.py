"""Generation in shards: a run's sources split into ``gen_shards`` jobs of whole batches.

A batched generator (SampleRNN, Jukebox) continues ``gen_batch_size`` sources per sampling call.
At paper scale one run is hundreds of such calls, more than one job's time limit, so the
workflow can split a run into ``gen_shards`` jobs (rule ``generate_shard``), each given a
contiguous block of whole batches (:func:`shard_rows`), and gather their manifests into the
run's ``manifest.tsv`` (:func:`gather_manifests`). Batches are cut from the whole run exactly as
one job cuts them, and every clip draws its noise from its own ``(seed, clip_id)`` stream, so the
sharded run writes the same clips and the same manifest as one job.

Within a job, SampleRNN records each finished batch (:func:`batch_marker`): its WAVs first, then
its manifest rows, atomically, so a job killed half-way resumes at the first unfinished batch
(Jukebox has its own per-batch resume).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from augeval.atomic import write_text
from augeval.errors import ConfigError, DataError

SHARD_KEY = "gen_shards"
BATCH_DIR = ".batches"


def shard_count(cfg: dict, where: str = "generator") -> int:
    """``gen_shards`` of a generator's config (1 when absent)."""
    n = cfg.get(SHARD_KEY, 1)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"{where}.{SHARD_KEY} must be an integer >= 1, got {n!r}")
    return n


def shard_batches(n_batches: int, n_shards: int) -> list[int]:
    """Batches per shard: ``n_batches`` split into ``n_shards`` contiguous blocks whose sizes
    differ by at most one (the first ones larger); shards beyond ``n_batches`` are empty."""
    base, extra = divmod(int(n_batches), int(n_shards))
    return [base + (1 if i < extra else 0) for i in range(n_shards)]


def shard_rows(n_rows: int, batch_size: int, n_shards: int, shard: int) -> range:
    """The source rows of shard ``shard``: whole batches of ``batch_size``, as one job cuts them."""
    if not 0 <= shard < n_shards:
        raise ConfigError(f"generation shard {shard} is outside 0..{n_shards - 1}")
    batch_size = max(1, int(batch_size))
    sizes = shard_batches(math.ceil(n_rows / batch_size), n_shards)
    first = sum(sizes[:shard])
    return range(min(first * batch_size, n_rows), min((first + sizes[shard]) * batch_size, n_rows))


def batch_marker(out_dir: str | os.PathLike, clip_ids: Iterable[str]) -> Path:
    """Where a finished batch's manifest rows are kept: named by a digest of its clip ids, so
    the same batch is recognised whichever job (shard) makes it."""
    digest = hashlib.sha256("\n".join(map(str, clip_ids)).encode()).hexdigest()[:20]
    return Path(out_dir) / BATCH_DIR / f"{digest}.tsv"


def read_batch(marker: Path, columns: list[str]) -> pd.DataFrame | None:
    """A finished batch's rows, or None when it is not finished (no marker, or a WAV missing)."""
    if not marker.is_file():
        return None
    rows = pd.read_csv(marker, sep="\t", dtype=str, keep_default_na=False)
    if list(rows.columns) != columns or not all(Path(p).is_file() for p in rows["path"]):
        return None
    return rows


def write_batch(marker: Path, rows: pd.DataFrame) -> None:
    """Record a batch as finished (after its WAVs are written), atomically."""
    write_text(marker, rows.to_csv(sep="\t", index=False))


def gather_manifests(shards: list[str | os.PathLike], out: str | os.PathLike) -> None:
    """Concatenate the shards' manifests, in shard order, into ``out`` (atomically): the same
    bytes as one job's manifest, since each shard writes its rows with the same format."""
    header, body = None, []
    for path in shards:
        lines = Path(path).read_text().splitlines(keepends=True)
        if not lines:
            raise DataError(f"{path}: empty generation shard manifest (no header); rerun it")
        if header is not None and lines[0] != header:
            raise DataError(f"{path}: its columns differ from the first shard's; rerun the run")
        header = lines[0]
        body += lines[1:]
    if header is None:
        raise DataError(f"gathering {out}: no shard manifests given")
    write_text(out, header + "".join(body))
