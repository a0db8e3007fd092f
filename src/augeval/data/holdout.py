"""An artist-disjoint hold-out carved from the train split: the oracle control's pool of real music.

At paper scale the ``oracle`` control needs "fresh real music of the class that the classifier
never saw". :func:`carve_holdout` moves whole artists out of the train split, so the pool shares no
artist with what the classifiers train on; the baseline and every variant then train on the same
reduced split (a fair comparison), and the oracle copies excerpts of the held-out tracks.

Selection, seeded and deterministic:

1. Coverage: for each configured tag, rarest first, that the pool does not have yet, move one
   random artist holding the tag, so the oracle can draw every class.
2. Fill: move further artists in a seeded random order until the pool holds at least
   ``fraction`` of the train tracks.

An artist is never moved if that would leave a configured tag with no train track (the classifier
must still see every class). The resulting sizes are logged and can be read in the two metadata
files the rule writes.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict

import numpy as np

from augeval.data.mtg import Track
from augeval.errors import ConfigError, DataError

log = logging.getLogger("augeval.data")


def carve_holdout(
    tracks: list[Track], tags: list[str], fraction: float, seed: int
) -> tuple[list[Track], list[Track]]:
    """Split ``tracks`` into (kept, held_out), artist-disjoint; both keep the input order."""
    if not 0 < fraction < 1:
        raise ConfigError(f"generators.oracle.holdout_fraction must be in (0, 1), got {fraction!r}")
    wanted = set(tags)
    by_artist: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(tracks):
        by_artist[t.artist_id].append(i)
    artists = sorted(by_artist)
    if len(artists) < 2:
        raise DataError(
            f"the train split has {len(artists)} artist(s); an artist-disjoint hold-out needs at "
            "least 2 (drop generators.oracle.holdout_fraction)"
        )
    remaining = defaultdict(int)  # configured tag -> train tracks still holding it
    for t in tracks:
        for tag in set(t.tags) & wanted:
            remaining[tag] += 1

    def artist_tags(a: str) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for i in by_artist[a]:
            for tag in set(tracks[i].tags) & wanted:
                counts[tag] += 1
        return counts

    held: set[str] = set()
    pool_tags: set[str] = set()

    def can_move(a: str) -> bool:
        return all(remaining[tag] > n for tag, n in artist_tags(a).items())

    def move(a: str) -> None:
        held.add(a)
        for tag, n in artist_tags(a).items():
            remaining[tag] -= n
            pool_tags.add(tag)

    rng = np.random.default_rng(seed)
    order = [artists[k] for k in rng.permutation(len(artists))]
    for tag in sorted(wanted, key=lambda g: (remaining[g], g)):
        if tag in pool_tags or remaining[tag] == 0:
            continue
        candidates = [a for a in order if a not in held and tag in artist_tags(a) and can_move(a)]
        if not candidates:
            log.warning(
                "hold-out: tag %r has too few train artists to give the oracle pool any of it "
                "without removing it from train; the oracle cannot draw it",
                tag,
            )
            continue
        move(candidates[0])
    target = math.ceil(fraction * len(tracks))
    for a in order:
        if sum(len(by_artist[h]) for h in held) >= target:
            break
        if a not in held and can_move(a):
            move(a)
    kept = [t for t in tracks if t.artist_id not in held]
    pool = [t for t in tracks if t.artist_id in held]
    if not kept:
        raise DataError("the hold-out took every train track; lower holdout_fraction")
    log.info(
        "hold-out: %d of %d artists, %d of %d train tracks (%.1f %%, target %.1f %%) moved to the "
        "oracle pool; %d tracks remain for training",
        len(held), len(artists), len(pool), len(tracks), 100 * len(pool) / len(tracks),
        100 * fraction, len(kept),
    )  # fmt: skip
    return kept, pool
