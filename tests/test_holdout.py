"""The oracle's artist-disjoint hold-out (augeval.data.holdout), on hand-made metadata."""

import pytest

from augeval.data.holdout import carve_holdout
from augeval.data.mtg import Track
from augeval.errors import ConfigError, DataError

TAGS = ["happy", "sad", "calm", "dark"]


def make_tracks(spec):
    """spec: list of (artist, tags) -> Tracks with ids t000, t001, ..."""
    return [
        Track(f"t{i:03d}", artist, "al", f"00/{i}.mp3", 30.0, tuple(tags))
        for i, (artist, tags) in enumerate(spec)
    ]


def corpus():
    # 20 artists x 3 tracks; tags cycle so each tag has 5 artists. Artist a19 alone has "rare".
    spec = []
    for a in range(20):
        for k in range(3):
            tag = TAGS[a % 4] if a != 19 else "rare"
            spec.append((f"a{a:02d}", [tag] + (["happy"] if k == 2 else [])))
    return make_tracks(spec)


def test_pool_and_train_partition_the_tracks_and_share_no_artist():
    tracks = corpus()
    kept, pool = carve_holdout(tracks, TAGS + ["rare"], fraction=0.2, seed=1)
    assert sorted(t.track_id for t in kept + pool) == sorted(t.track_id for t in tracks)
    assert not {t.artist_id for t in kept} & {t.artist_id for t in pool}
    # Whole artists of 3 tracks each: at least ceil(0.2 * 60) = 12 tracks, overshoot < one artist.
    assert 12 <= len(pool) < 12 + 3


def test_every_tag_with_two_artists_reaches_the_pool_and_stays_in_train():
    kept, pool = carve_holdout(corpus(), TAGS + ["rare"], fraction=0.05, seed=3)
    for tag in TAGS:
        assert any(tag in t.tags for t in pool), tag
        assert any(tag in t.tags for t in kept), tag
    # "rare" has one artist only: moving it would empty train, so it stays.
    assert any("rare" in t.tags for t in kept)
    assert not any("rare" in t.tags for t in pool)


def test_seeded_and_deterministic():
    a = carve_holdout(corpus(), TAGS, fraction=0.2, seed=5)
    b = carve_holdout(corpus(), TAGS, fraction=0.2, seed=5)
    c = carve_holdout(corpus(), TAGS, fraction=0.2, seed=6)
    assert a == b
    assert [t.artist_id for t in a[1]] != [t.artist_id for t in c[1]]


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1])
def test_fraction_outside_the_open_unit_interval_is_a_config_error(fraction):
    with pytest.raises(ConfigError, match="holdout_fraction"):
        carve_holdout(corpus(), TAGS, fraction=fraction, seed=0)


def test_one_artist_cannot_be_split():
    tracks = make_tracks([("solo", ["happy"])] * 4)
    with pytest.raises(DataError, match="artist"):
        carve_holdout(tracks, TAGS, fraction=0.5, seed=0)


def test_a_large_fraction_never_empties_a_tag_in_train():
    kept, pool = carve_holdout(corpus(), TAGS, fraction=0.9, seed=2)
    for tag in TAGS:
        assert any(tag in t.tags for t in kept), tag
    assert len(pool) > len(kept)
