import pytest

from augeval.data.labels import emotion_label, make_labelset, read_emotion_mapping
from augeval.data.manifest import build_manifest, label_matrix, read_manifest, write_manifest
from augeval.data.mtg import read_metadata
from augeval.errors import ConfigError, DataError

QUADRANTS = (
    "activated_pleasant",
    "deactivated_pleasant",
    "activated_unpleasant",
    "deactivated_unpleasant",
)


def test_mapping_file_has_the_papers_nine_tags(emotion_mapping):
    mapping = read_emotion_mapping(emotion_mapping)
    assert mapping.quadrants == QUADRANTS
    assert sorted(mapping.tag_to_quadrant) == sorted(
        [
            "happy",
            "positive",
            "uplifting",
            "calm",
            "relaxing",
            "dark",
            "dramatic",
            "melancholic",
            "sad",
        ]
    )


@pytest.mark.parametrize(
    "tags, expected",
    [
        (["happy"], "activated_pleasant"),
        (["calm", "happy"], "deactivated_pleasant"),  # alphabetically first mapped tag wins
        (["dark", "sad"], "activated_unpleasant"),
        (["film", "melancholic"], "deactivated_unpleasant"),
        (["background", "film"], None),
    ],
)
def test_emotion_first_tag_rule(emotion_mapping, tags, expected):
    assert emotion_label(tags, read_emotion_mapping(emotion_mapping)) == expected


def test_emotion_drop_rule(emotion_mapping):
    mapping = read_emotion_mapping(emotion_mapping)
    assert emotion_label(["calm", "happy"], mapping, "drop") is None
    assert emotion_label(["happy", "uplifting"], mapping, "drop") == "activated_pleasant"
    with pytest.raises(ConfigError, match="multi_quadrant"):
        emotion_label(["happy"], mapping, "vote")


def test_manifests_from_real_rows(tmp_path, mtg_sample, emotion_mapping):
    tracks = read_metadata(mtg_sample)
    mood = make_labelset("mood", ["calm", "happy", "sad", "dark", "relaxing"])
    df = build_manifest(tracks, mood, "/data/audio")
    # rows without any configured tag are dropped; labels keep the configured class order
    assert list(df["track_id"]) == [
        "track_0028191", "track_0111026", "track_0045570", "track_1091337", "track_0329405",
        "track_0004639", "track_0031517",
    ]  # fmt: skip
    assert df.loc[0, "labels"] == "calm;happy"
    assert df.loc[0, "path"] == "/data/audio/91/28191.mp3"
    y = label_matrix(df, mood.classes)
    assert y.sum() == 11 and y[3].tolist() == [False, False, True, True, False]

    emotion = make_labelset("emotion", [], emotion_mapping)
    de = build_manifest(tracks, emotion, "/a")
    assert dict(zip(de["track_id"], de["labels"], strict=True)) == {
        "track_0028191": "deactivated_pleasant",
        "track_0111026": "deactivated_pleasant",
        "track_0045570": "activated_unpleasant",
        "track_1091337": "activated_unpleasant",
        "track_0329405": "deactivated_pleasant",
        "track_0002263": "deactivated_unpleasant",
        "track_0004639": "deactivated_pleasant",
        "track_0031517": "activated_pleasant",
        "track_0015998": "activated_unpleasant",
    }
    out = tmp_path / "m.tsv"
    write_manifest(de, out)
    assert read_manifest(out, emotion.classes).equals(de)


def test_manifest_validation_names_row_and_field(tmp_path, mtg_sample):
    df = build_manifest(read_metadata(mtg_sample), make_labelset("mood", ["calm", "sad"]), "/a")
    df.loc[1, "duration_s"] = -3.0
    with pytest.raises(DataError, match=r"row 3 .*duration_s"):
        write_manifest(df, tmp_path / "bad.tsv")
    assert not (tmp_path / "bad.tsv").exists()
    with pytest.raises(DataError, match="outside the label set"):
        read_manifest_from(tmp_path, "track_1\ta.wav\t1.0\tnot_a_class\treal\n", ["calm"])


def read_manifest_from(tmp_path, row, classes):
    path = tmp_path / "m.tsv"
    path.write_text("track_id\tpath\tduration_s\tlabels\tsource\n" + row)
    return read_manifest(path, classes)


def test_bad_mapping_file(tmp_path):
    bad = tmp_path / "map.tsv"
    bad.write_text("tag\tquadrant\nhappy\tA\nhappy\tB\n")
    with pytest.raises(ConfigError, match="two quadrants"):
        read_emotion_mapping(bad)
    with pytest.raises(ConfigError, match="not found"):
        read_emotion_mapping(tmp_path / "none.tsv")
