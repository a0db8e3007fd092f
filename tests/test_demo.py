"""Tests of the synthetic demo corpus: real files in tmp_path, tiny corpora."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from augeval.data.demo import make_demo_corpus
from augeval.errors import ConfigError
from augeval.synth import DEMO_TAG_PROFILES

HEADER = "TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS"
SPLITS = ("train", "validation", "test")
ROW = re.compile(
    r"^track_(\d{7})\tartist_\d{6}\talbum_\d{6}\t(\d{2})/(\d+)\.(flac|wav)\t(\d+\.\d)"
    r"((?:\tmood/theme---[a-z]+)+)$"
)
# The 56 mood/theme tags of MTG-Jamendo's autotagging_moodtheme.tsv.
REAL_MOODTHEME_TAGS = set(
    "action adventure advertising background ballad calm children christmas commercial cool "
    "corporate dark deep documentary drama dramatic dream emotional energetic epic fast film fun "
    "funny game groovy happy heavy holiday hopeful inspiring love meditative melancholic melodic "
    "motivational movie nature party positive powerful relaxing retro romantic sad sexy slow soft "
    "soundscape space sport summer trailer travel upbeat uplifting".split()
)
TAGS = ["happy", "calm", "dark", "sad"]


def _rows(path: Path) -> list[list[str]]:
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER
    return [line.split("\t") for line in lines[1:]]


def _tags(row: list[str]) -> set[str]:
    return {col.removeprefix("mood/theme---") for col in row[5:]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("demo")
    return make_demo_corpus(out, tags=TAGS, n_tracks=32, clip_seconds=(2.0, 3.0), seed=3)


def test_returned_paths_exist(corpus: dict[str, Path]) -> None:
    assert set(corpus) == {"audio_dir", "metadata", *SPLITS}
    assert corpus["metadata"].name == "autotagging_moodtheme.tsv"
    for split in SPLITS:
        assert corpus[split].name == f"autotagging_moodtheme-{split}.tsv"
        assert corpus[split].parent.name == "split-0"
        assert corpus[split].is_file()
    assert corpus["audio_dir"].is_dir()


def test_metadata_format(corpus: dict[str, Path]) -> None:
    text = corpus["metadata"].read_text()
    assert text.endswith("\n") and not text.endswith("\n\n")
    rows = _rows(corpus["metadata"])
    assert len(rows) == 32
    n_two = 0
    for row in rows:
        match = ROW.match("\t".join(row))
        assert match, row
        number, nn, file_number, ext, duration, _ = match.groups()
        assert ext == "flac"
        assert int(file_number) == int(number)
        assert nn == f"{int(number) % 100:02d}"
        tag_cols = row[5:]
        assert tag_cols == sorted(tag_cols) and len(set(tag_cols)) == len(tag_cols)
        assert _tags(row) <= set(TAGS)
        n_two += len(tag_cols) == 2
        info = sf.info(corpus["audio_dir"] / row[3])
        assert abs(info.duration - float(duration)) <= 0.05
        assert 2.0 - 0.05 <= float(duration) <= 3.0 + 0.05
    assert n_two == round(0.3 * 32)  # default multi_label_fraction
    numbers = [int(row[0][6:]) for row in rows]
    assert numbers == sorted(set(numbers))


def test_splits_partition_the_corpus(corpus: dict[str, Path]) -> None:
    all_rows = {tuple(r) for r in _rows(corpus["metadata"])}
    split_rows = [{tuple(r) for r in _rows(corpus[s])} for s in SPLITS]
    assert set().union(*split_rows) == all_rows
    assert sum(len(rows) for rows in split_rows) == len(all_rows)


def test_splits_are_artist_disjoint(corpus: dict[str, Path]) -> None:
    artists = [{row[1] for row in _rows(corpus[s])} for s in SPLITS]
    assert not artists[0] & artists[1]
    assert not artists[0] & artists[2]
    assert not artists[1] & artists[2]


def test_every_tag_in_every_split(corpus: dict[str, Path]) -> None:
    for split in SPLITS:
        present = set().union(*(_tags(row) for row in _rows(corpus[split])))
        assert present == set(TAGS), split


def test_audio_files(corpus: dict[str, Path]) -> None:
    files = sorted(corpus["audio_dir"].rglob("*"))
    audio = [f for f in files if f.is_file()]
    assert len(audio) == 32
    assert not [f for f in audio if f.name.startswith(".")]  # no temp files left behind
    for path in audio:
        info = sf.info(path)
        assert (info.channels, info.samplerate, info.subtype, info.format) == (
            1,
            16000,
            "PCM_16",
            "FLAC",
        )
        x, _ = sf.read(path)
        assert x.ndim == 1 and np.all(np.isfinite(x))
        assert np.sqrt(np.mean(x**2)) > 1e-3  # not silent
        assert np.max(np.abs(x)) < 1.0  # not clipped


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_deterministic(tmp_path: Path) -> None:
    kwargs = dict(tags=["happy", "sad"], n_tracks=8, clip_seconds=(1.0, 1.5), seed=7)
    make_demo_corpus(tmp_path / "a", **kwargs)
    make_demo_corpus(tmp_path / "b", **kwargs)
    make_demo_corpus(tmp_path / "c", **{**kwargs, "seed": 8})
    a, b, c = (_tree(tmp_path / name) for name in "abc")
    assert a == b
    assert (tmp_path / "c" / "autotagging_moodtheme.tsv").read_bytes() != a[
        "autotagging_moodtheme.tsv"
    ]
    assert sorted(v for k, v in a.items() if k.startswith("audio")) != sorted(
        v for k, v in c.items() if k.startswith("audio")
    )


def test_options(tmp_path: Path) -> None:
    paths = make_demo_corpus(
        tmp_path,
        tags=["energetic", "relaxing"],
        n_tracks=12,
        clip_seconds=(1.0, 1.0),
        sample_rate=22050,
        n_artists=8,
        multi_label_fraction=0.0,
        audio_format="wav",
        seed=1,
    )
    rows = _rows(paths["metadata"])
    assert len({row[1] for row in rows}) == 8
    assert all(len(row) == 6 for row in rows)
    for row in rows:
        assert row[3].endswith(".wav") and row[4] == "1.0"
        info = sf.info(paths["audio_dir"] / row[3])
        assert (info.format, info.samplerate, info.frames) == ("WAV", 22050, 22050)


def _features(path: Path) -> tuple[float, float, float]:
    """RMS, spectral centroid (Hz) and onset rate (per second) from plain numpy.

    Onsets are peaks of the spectral flux of the RMS-normalised signal above a fixed threshold.
    """
    x, sr = sf.read(path)
    rms = float(np.sqrt(np.mean(x**2)))
    frame, hop = 1024, 256
    n = 1 + (x.size - frame) // hop
    frames = np.stack([x[i * hop : i * hop + frame] for i in range(n)]) / rms * np.hanning(frame)
    mag = np.abs(np.fft.rfft(frames, axis=1))
    freqs = np.fft.rfftfreq(frame, 1 / sr)
    centroid = float(np.sum(mag * freqs) / np.sum(mag))
    flux = np.maximum(np.diff(np.log1p(10 * mag), axis=0), 0).mean(axis=1)
    peaks = (flux[1:-1] > 0.15) & (flux[1:-1] >= flux[:-2]) & (flux[1:-1] > flux[2:])
    return rms, centroid, float(peaks.sum() / (x.size / sr))


def _mean_features(tmp_path: Path, tags: list[str]) -> dict[str, np.ndarray]:
    paths = make_demo_corpus(
        tmp_path, tags=tags, n_tracks=24, clip_seconds=(3.0, 4.0), multi_label_fraction=0.0
    )
    by_tag: dict[str, list[tuple[float, float, float]]] = {t: [] for t in tags}
    for row in _rows(paths["metadata"]):
        by_tag[row[5].removeprefix("mood/theme---")].append(_features(paths["audio_dir"] / row[3]))
    return {t: np.mean(v, axis=0) for t, v in by_tag.items()}


def test_arousal_is_audible(tmp_path: Path) -> None:
    means = _mean_features(tmp_path, ["energetic", "calm"])
    rms_e, _, onsets_e = means["energetic"]
    rms_c, _, onsets_c = means["calm"]
    assert rms_e > 2 * rms_c
    assert onsets_e > 3 * onsets_c


def test_valence_brightness_is_audible(tmp_path: Path) -> None:
    means = _mean_features(tmp_path, ["happy", "dark"])
    assert means["happy"][1] > 1.2 * means["dark"][1]


def test_profiles_are_real_tags_and_follow_the_circumplex() -> None:
    assert set(DEMO_TAG_PROFILES) <= REAL_MOODTHEME_TAGS
    required = "happy positive uplifting energetic calm relaxing dark dramatic epic melancholic sad"
    assert set(required.split()) | {"romantic"} <= set(DEMO_TAG_PROFILES)
    quadrants = {
        (1, 1): ["happy", "positive", "uplifting"],
        (-1, 1): ["calm", "relaxing"],
        (1, -1): ["dark", "dramatic"],
        (-1, -1): ["melancholic", "sad"],
    }
    for (arousal, valence), names in quadrants.items():
        for name in names:
            p = DEMO_TAG_PROFILES[name]
            assert np.sign(p.arousal) == arousal and np.sign(p.valence) == valence, name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tags": ["happy", "jazzy"]}, "supported tags: .*calm"),
        ({"tags": ["happy"]}, "at least 2 tags"),
        ({"tags": ["happy", "happy"]}, "distinct"),
        ({"n_tracks": 5}, "too small"),
        ({"n_artists": 4}, "n_artists"),
        ({"split_fractions": (0.8, 0.2, 0.0)}, "split_fractions"),
        ({"audio_format": "mp3"}, "audio_format"),
        ({"clip_seconds": (3.0, 2.0)}, "clip_seconds"),
    ],
)
def test_config_errors(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"tags": ["happy", "sad"], "n_tracks": 12, "clip_seconds": (1.0, 1.0), **kwargs}
    with pytest.raises(ConfigError, match=message):
        make_demo_corpus(tmp_path, **args)
    assert not list(tmp_path.iterdir())  # nothing written


def test_split_fractions_key_defaults_to_the_corpus_default_and_shapes_the_splits(tmp_path):
    import inspect

    from augeval import config_schema

    schema = config_schema.fill({"n_tracks": 12, "clip_seconds": [1, 1]}, "data.demo")
    default = inspect.signature(make_demo_corpus).parameters["split_fractions"].default
    assert tuple(schema["split_fractions"]) == default
    paths = make_demo_corpus(
        tmp_path, tags=["energetic", "relaxing"], n_tracks=40, clip_seconds=(1.0, 1.0),
        n_artists=20, split_fractions=(0.3, 0.2, 0.5), multi_label_fraction=0.0, seed=3,
    )  # fmt: skip
    counts = {s: len(_rows(paths[s])) for s in ("train", "validation", "test")}
    # half the artists (so about half the tracks) in test; the default gives it a fifth
    assert sum(counts.values()) == 40 and counts["test"] >= 0.45 * 40, counts
