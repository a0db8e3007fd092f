"""Parsing real MTG-Jamendo metadata rows (tests/data, CC BY-NC-SA 4.0, see its README)."""

import pytest

from augeval.data.mtg import HEADER, format_metadata, read_metadata
from augeval.errors import DataError


def test_reads_real_rows_with_variable_tag_columns(mtg_sample):
    tracks = read_metadata(mtg_sample)
    assert len(tracks) == 10
    first = tracks[0]
    assert (first.track_id, first.artist_id, first.album_id) == (
        "track_0000948",
        "artist_000087",
        "album_000149",
    )
    assert first.path == "48/948.mp3" and first.duration == pytest.approx(212.7)
    assert first.tags == ("background",)
    by_id = {t.track_id: t for t in tracks}
    assert by_id["track_0111026"].tags == ("calm", "energetic", "happy", "inspiring", "uplifting")
    assert by_id["track_1091337"].tags[-1] == "slow"


def test_crlf_line_endings_do_not_leak_into_tags(mtg_sample):
    assert b"\r\n" in mtg_sample.read_bytes()  # the fixture keeps the original line endings
    for track in read_metadata(mtg_sample):
        assert all("\r" not in tag for tag in track.tags)


def test_format_round_trip(tmp_path, mtg_sample):
    tracks = read_metadata(mtg_sample)
    out = tmp_path / "copy.tsv"
    out.write_text(format_metadata(tracks))
    assert read_metadata(out) == tracks
    assert out.read_text().splitlines()[0].split("\t") == list(HEADER)


@pytest.mark.parametrize(
    "content, message",
    [
        ("A\tB\n", "header"),
        (
            "\t".join(HEADER) + "\ntrack_1\ta\tb\tp.mp3\tnot-a-number\tmood/theme---sad\n",
            "DURATION",
        ),
        ("\t".join(HEADER) + "\ntrack_1\ta\tb\tp.mp3\t1.0\tgenre---rock\n", "tag column"),
        (
            "\t".join(HEADER)
            + "\ntrack_1\ta\tb\tp.mp3\t1.0\tmood/theme---sad\ntrack_1\ta\tb\tq.mp3\t1.0\n",
            "duplicate",
        ),
    ],
)
def test_bad_metadata_names_file_and_problem(tmp_path, content, message):
    bad = tmp_path / "bad.tsv"
    bad.write_text(content)
    with pytest.raises(DataError, match=message) as err:
        read_metadata(bad)
    assert "bad.tsv" in str(err.value)


def test_missing_metadata_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_metadata(tmp_path / "nope.tsv")
