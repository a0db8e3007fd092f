"""Augmentation policy arithmetic on hand-made manifests (expected numbers worked out by hand)."""

import logging

import numpy as np
import pandas as pd
import pytest

from augeval.errors import DataError
from augeval.policy import augmented_train, budget_table, draw_sources

CLASSES = ["a", "b", "c"]


def manifest(rows):
    return pd.DataFrame(
        [
            {"track_id": t, "path": f"/x/{t}.wav", "duration_s": d, "labels": ls, "source": "real"}
            for t, d, ls in rows
        ]
    )


TRAIN = manifest(
    [
        ("t1", 100.0, "a"),
        ("t2", 200.0, "a;b"),
        ("t3", 300.0, "b"),
        ("t4", 150.0, "c"),
        ("t5", 250.0, "a;c"),
        ("t6", 400.0, "b"),
        ("t7", 120.0, "a"),
        ("t8", 80.0, "c"),
    ]
)  # total 1600 s


def test_budget_arithmetic_full_duration():
    table = budget_table(TRAIN, CLASSES, fraction=0.05, clip_seconds=10)
    # 5 % of 1600 s = 80 s; 80 / 3 classes = 26.67 s each; ceil(26.67 / 10) = 3 clips
    assert table["budget_seconds_total"].iloc[0] == pytest.approx(80.0)
    assert table["budget_seconds_class"].tolist() == pytest.approx([80 / 3] * 3)
    assert table["n_clips"].tolist() == [3, 3, 3]
    assert table["generated_seconds_class"].tolist() == [30, 30, 30]
    assert table["train_tracks"].tolist() == [4, 3, 3]


def test_budget_visible_duration_caps_each_track():
    table = budget_table(
        TRAIN, CLASSES, fraction=0.1, clip_seconds=4, duration="visible", visible_seconds=120
    )
    # capped: 100 + 120 + 120 + 120 + 120 + 120 + 120 + 80 = 900 s; 10 % = 90; 30 s per class
    assert table["train_seconds_total"].iloc[0] == pytest.approx(900.0)
    assert table["n_clips"].tolist() == [8, 8, 8]  # ceil(30 / 4) = 8


def test_exact_multiple_is_not_rounded_up():
    table = budget_table(manifest([("t1", 600.0, "a"), ("t2", 600, "b")]), ["a", "b"],
                         fraction=0.1, clip_seconds=6)  # fmt: skip
    assert table["n_clips"].tolist() == [10, 10]  # 120 s / 2 = 60 s = exactly 10 clips of 6 s


def test_sources_without_replacement_and_inherited_labels():
    sources = draw_sources(
        TRAIN, CLASSES, {"a": 2, "b": 2, "c": 2}, source_seconds=10, seed=1, clip_prefix="copy_mood"
    )
    assert len(sources) == 6
    assert sources["track_id"].is_unique  # every track used once
    assert sources["drawn_class"].tolist() == ["a", "a", "b", "b", "c", "c"]
    assert sources["labels"].tolist() == sources["drawn_class"].tolist()
    assert sources["clip_id"].tolist() == [f"copy_mood_{k:05d}" for k in range(6)]
    for row in sources.itertuples():
        track = TRAIN.set_index("track_id").loc[row.track_id]
        assert row.drawn_class in track["labels"].split(";")
        assert 0 <= row.offset_s <= track["duration_s"] - 10


def test_inherit_other_labels_option():
    sources = draw_sources(
        TRAIN, CLASSES, {"a": 4, "b": 0, "c": 0}, source_seconds=10, seed=0, clip_prefix="x",
        inherit_other_labels=True,
    )  # fmt: skip
    by_track = dict(zip(sources["track_id"], sources["labels"], strict=True))
    assert by_track == {"t1": "a", "t2": "a;b", "t5": "a;c", "t7": "a"}


def test_seeded_determinism():
    args = dict(source_seconds=10, clip_prefix="p")
    one = draw_sources(TRAIN, CLASSES, {"a": 2, "b": 2, "c": 2}, seed=5, **args)
    two = draw_sources(TRAIN, CLASSES, {"a": 2, "b": 2, "c": 2}, seed=5, **args)
    other = draw_sources(TRAIN, CLASSES, {"a": 2, "b": 2, "c": 2}, seed=6, **args)
    pd.testing.assert_frame_equal(one, two)
    assert not one.equals(other)


def test_too_few_tracks_reuses_at_distinct_offsets_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="augeval.policy"):
        sources = draw_sources(
            TRAIN, CLASSES, {"a": 1, "b": 1, "c": 7}, source_seconds=20, seed=3, clip_prefix="p"
        )
    c = sources[sources["drawn_class"] == "c"]
    assert len(c) == 7  # never fewer than asked
    assert set(c["track_id"]) <= {"t4", "t5", "t8"}
    excerpts = list(zip(c["track_id"], c["offset_s"], strict=True))
    assert len(set(excerpts)) == 7  # each excerpt distinct
    assert "class c: 7 clips needed" in caplog.text
    # class c is the rarest (3 tracks) so it is served first and keeps all three
    assert {"t4", "t5", "t8"} <= set(c["track_id"])


def test_non_overlapping_offsets_when_they_fit():
    one_track = manifest([("t1", 100.0, "a")])
    sources = draw_sources(one_track, ["a"], {"a": 4}, source_seconds=20, seed=2, clip_prefix="p")
    offsets = sorted(sources["offset_s"])
    assert all(b - a >= 20 - 1e-3 for a, b in zip(offsets, offsets[1:], strict=False))
    assert offsets[-1] <= 80


def test_class_without_tracks_is_an_error():
    with pytest.raises(DataError, match="'d'"):
        draw_sources(TRAIN, ["a", "d"], {"a": 1, "d": 1}, source_seconds=5, seed=0, clip_prefix="p")


def test_augmented_train_appends_and_rejects_id_clash():
    generated = manifest([("copy_00000", 10.0, "a")]).assign(source="copy")
    both = augmented_train(TRAIN, generated)
    assert len(both) == 9 and both["source"].tolist()[-1] == "copy"
    with pytest.raises(DataError, match="collide"):
        augmented_train(TRAIN, manifest([("t1", 10.0, "a")]))


def paired_train():
    """30 tracks of classes a/b/c (some multi-label), 20-290 s long."""
    rng = np.random.default_rng(0)
    labels = ["a", "b", "c", "a;b", "c", "b", "a;c", "b", "c", "a"] * 3
    return manifest(
        [(f"t{k:02d}", float(rng.integers(20, 290)), ls) for k, ls in enumerate(labels)]
    )


def test_generators_share_their_first_sources():
    train = paired_train()
    few = draw_sources(train, CLASSES, dict.fromkeys(CLASSES, 3), source_seconds=10, seed=4,
                       clip_prefix="copy")  # fmt: skip
    many = draw_sources(train, CLASSES, dict.fromkeys(CLASSES, 8), source_seconds=10, seed=4,
                        clip_prefix="noise")  # fmt: skip
    assert few["track_id"].is_unique and many["track_id"].is_unique
    for c in CLASSES:
        a = few[few["drawn_class"] == c][["track_id", "offset_s"]].reset_index(drop=True)
        b = many[many["drawn_class"] == c][["track_id", "offset_s"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b.iloc[:3])  # same tracks, same offsets


def test_a_longer_excerpt_skips_tracks_too_short_for_it():
    train = paired_train()
    dur = train.set_index("track_id")["duration_s"]
    base = draw_sources(train, CLASSES, dict.fromkeys(CLASSES, 10), source_seconds=10, seed=4,
                        clip_prefix="x")  # fmt: skip
    long = draw_sources(train, CLASSES, dict.fromkeys(CLASSES, 3), source_seconds=150, seed=4,
                        clip_prefix="y")  # fmt: skip
    for c in CLASSES:
        b = base[base["drawn_class"] == c].set_index("track_id")["offset_s"]
        g = long[long["drawn_class"] == c].set_index("track_id")["offset_s"]
        # the shared order with the tracks shorter than 150 s left out
        assert list(g.index) == [t for t in b.index if dur[t] >= 150][:3]
        for t in g.index:  # the same position in the room each excerpt has
            assert 0 <= g[t] <= dur[t] - 150
            assert g[t] / (dur[t] - 150) == pytest.approx(b[t] / (dur[t] - 10), abs=1e-3)


def test_the_order_depends_on_the_seed_only():
    train = paired_train()
    args = dict(source_seconds=10, clip_prefix="p")
    one = draw_sources(train, CLASSES, dict.fromkeys(CLASSES, 4), seed=8, **args)
    two = draw_sources(train, CLASSES, dict.fromkeys(CLASSES, 4), seed=9, **args)
    assert list(one["track_id"]) != list(two["track_id"])


def test_reusing_a_track_keeps_its_paired_excerpt():
    one_track = manifest([("t1", 100.0, "a")])
    args = dict(source_seconds=20, seed=2, clip_prefix="p")
    single = draw_sources(one_track, ["a"], {"a": 1}, **args)
    several = draw_sources(one_track, ["a"], {"a": 4}, **args)
    assert several["offset_s"].iloc[0] == single["offset_s"].iloc[0]
    offsets = sorted(several["offset_s"])
    assert all(b - a >= 20 - 1e-3 for a, b in zip(offsets, offsets[1:], strict=False))
