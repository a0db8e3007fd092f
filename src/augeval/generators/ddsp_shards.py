"""Which excerpts each DDSP feature shard job computes (pure arithmetic, no heavy imports).

A feature *part* is ``train``, ``validation`` or ``sources-<run>``. Its excerpts
(:func:`augeval.generators.ddsp_features.part_excerpts`) are cut into :func:`shard_count`
contiguous, near-equal blocks (:func:`shard_bounds`); shard ``s`` of ``n`` rows covers rows
``s * n // k`` to ``(s + 1) * n // k``. The shard count depends only on the config, so the
workflow knows every shard job when it builds the DAG (before any manifest or plan exists),
and a cost forecast can count them from metadata alone: :func:`part_excerpt_count` gives a part's
excerpts from its number of table rows, :func:`excerpts_per_shard` their split over the shards.

Defaults of ``feature_shards`` and ``max_val_clips``: the schema's ``generators.ddsp`` block.
"""

from __future__ import annotations

# The settings a feature cache depends on (defaults: the schema's generators.ddsp block).
FEATURE_KEYS = (
    "sample_rate",
    "hop",
    "f0_method",
    "f0_min",
    "f0_max",
    "f0_resolution",
    "f0_frame_length",
    "loudness_n_fft",
)
# What a feature shard job reads from its generator's config: the feature settings and the
# excerpt table's (so that changing, say, the learning rate does not recompute features).
# CREPE's settings count only with f0_method crepe (a pyin cache keeps its former settings).
CREPE_KEYS = ("crepe_model", "crepe_batch_size", "crepe_voicing_threshold")
SHARD_KEYS = (*FEATURE_KEYS, *CREPE_KEYS, "clip_seconds", "excerpts_per_track", "max_val_clips")


def part_kind(part: str) -> str:
    """``train``, ``validation`` or ``sources`` (for ``sources-<run>``)."""
    if part in ("train", "validation"):
        return part
    if part.startswith("sources-") and len(part) > len("sources-"):
        return "sources"
    raise ValueError(f"ddsp feature part {part!r}: expected train, validation or sources-<run>")


def shard_count(cfg: dict, part: str) -> int:
    """Shard jobs of ``part``: ``feature_shards`` for train and sources; one for validation,
    whose ``max_val_clips`` excerpts (256 at paper scale) are a small part of one train shard.
    ``cfg``: the generator's config, defaults filled."""
    if part_kind(part) == "validation":
        return 1
    return int(cfg["feature_shards"])


def part_excerpt_count(cfg: dict, part: str, n_rows: int) -> int:
    """Excerpts of ``part`` whose table (manifest or sources) has ``n_rows`` rows: one per source;
    ``excerpts_per_track`` per track for train (an upper bound: a track shorter than
    ``clip_seconds`` gives one), and at most ``max_val_clips`` of those for validation."""
    kind = part_kind(part)
    if kind == "sources":
        return int(n_rows)
    n = int(n_rows) * int(cfg["excerpts_per_track"])
    return min(n, int(cfg["max_val_clips"])) if kind == "validation" else n


def shard_bounds(n_excerpts: int, n_shards: int, shard: int) -> tuple[int, int]:
    """Rows ``[start, stop)`` of shard ``shard`` among ``n_shards`` contiguous near-equal blocks."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"ddsp feature shard {shard} outside 0..{n_shards - 1}")
    return shard * n_excerpts // n_shards, (shard + 1) * n_excerpts // n_shards


def excerpts_per_shard(n_excerpts: int, n_shards: int) -> list[int]:
    """Excerpts computed by each of the ``n_shards`` shards of a part of ``n_excerpts``."""
    return [b - a for a, b in (shard_bounds(n_excerpts, n_shards, s) for s in range(n_shards))]


def part_shard_sizes(cfg: dict, part: str, n_rows: int) -> list[int]:
    """Excerpts of each shard job of ``part`` (table of ``n_rows`` rows): one entry per job of
    rule ``ddsp_feature_shard``. ``cfg``: the generator's config, defaults filled."""
    return excerpts_per_shard(part_excerpt_count(cfg, part, n_rows), shard_count(cfg, part))
