"""Control generators on real audio files: copy, noise, oracle."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from augeval.audio import write_audio
from augeval.data.manifest import read_manifest, write_manifest
from augeval.errors import ConfigError, DataError
from augeval.generators.base import SOURCE_COLUMNS, GenerateJob
from augeval.generators.controls import loudness_envelope, make_control, pink_noise

SR = 16000


def job(name, sources, cfg, out_dir, seed):
    return GenerateJob(name, "emotion", cfg, sources, out_dir, seed)


@pytest.fixture
def sources(tmp_path):
    t = np.arange(3 * SR) / SR
    ramp = np.linspace(0.05, 0.8, len(t))  # loudness rises over the clip
    tone = (ramp * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    write_audio(tmp_path / "src.wav", tone, SR)
    rows = [
        ("copy_mood_00000", "track_1", str(tmp_path / "src.wav"), 0.5, 2.0, "happy", "happy"),
        ("copy_mood_00001", "track_1", str(tmp_path / "src.wav"), 2.5, 2.0, "calm", "calm;sad"),
    ]
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS), tone


def test_copy_reproduces_the_excerpt_and_tiles_short_ones(tmp_path, sources):
    df, tone = sources
    out = make_control("copy").generate(job("copy", df, {"clip_seconds": 2.0}, tmp_path / "g", 0))
    y0, sr = sf.read(out["path"][0])
    assert sr == SR and len(y0) == 2 * SR
    np.testing.assert_allclose(y0, tone[SR // 2 : SR // 2 + 2 * SR], atol=1e-4)
    y1, _ = sf.read(out["path"][1])  # only 0.5 s left after 2.5 s: tiled to 2 s
    np.testing.assert_allclose(y1[: SR // 2], tone[int(2.5 * SR) :], atol=1e-4)
    np.testing.assert_allclose(y1[SR // 2 : SR], tone[int(2.5 * SR) :], atol=1e-4)
    assert out["labels"].tolist() == ["happy", "calm;sad"]
    assert out["source"].unique().tolist() == ["copy"]
    assert out["source_track_id"].tolist() == ["track_1", "track_1"]
    write_manifest(out, tmp_path / "m.tsv")  # schema-valid manifest
    assert len(read_manifest(tmp_path / "m.tsv")) == 2


def test_noise_follows_the_loudness_envelope_but_not_the_pitch(tmp_path, sources):
    df, tone = sources
    cfg = {"clip_seconds": 2.0, "envelope": "source"}
    out = make_control("noise").generate(job("noise", df[:1], cfg, tmp_path, 0))
    y, _ = sf.read(out["path"][0])
    env = loudness_envelope(y, SR // 10)
    assert env[-SR // 10] > 3 * env[SR // 10]  # louder at the end, like the source
    spectrum = np.abs(np.fft.rfft(y))
    peak = np.argmax(spectrum[1:]) + 1
    assert abs(peak * SR / len(y) - 330) > 20  # the tone's pitch is gone


def _loud_and_quiet_sources(tmp_path, n_per_class):
    """Class ``loud`` sources at 0.5 amplitude, class ``quiet`` ones at 0.02."""
    rng = np.random.default_rng(0)
    rows = []
    for k in range(2 * n_per_class):
        label, level = ("loud", 0.5) if k % 2 == 0 else ("quiet", 0.02)
        path = tmp_path / f"src{k}.wav"
        write_audio(path, (level * np.sin(2 * np.pi * 220 * np.arange(SR) / SR)).astype(np.float32)
                    * (1 + 0.01 * rng.standard_normal(SR)).astype(np.float32), SR)  # fmt: skip
        rows.append((f"noise_emotion_{k:05d}", f"track_{k}", str(path), 0.0, 1.0, label, label))
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


@pytest.mark.parametrize("envelope", ["source", "shuffled"])
def test_shuffled_noise_envelope_carries_no_label(tmp_path, envelope):
    """The source's own envelope hands each noise clip its class's loudness; the shuffled one
    (default) draws it from any class, so loudness no longer predicts the label."""
    df = _loud_and_quiet_sources(tmp_path, 20)
    cfg = {"clip_seconds": 1.0} | ({"envelope": envelope} if envelope == "source" else {})
    out = make_control("noise").generate(job("noise", df, cfg, tmp_path / envelope, 5))
    rms = np.array([np.sqrt(np.mean(sf.read(p)[0] ** 2)) for p in out["path"]])
    loud = rms > 0.1
    assert ((rms[loud] > 0.3) & (rms[loud] < 0.45)).all() and (rms[~loud] < 0.03).all()
    assert loud.sum() == 20  # a permutation: every envelope used exactly once
    in_loud_class = loud[out["labels"] == "loud"].mean()
    if envelope == "source":
        assert in_loud_class == 1.0
    else:  # 20 of 40 drawn without replacement: P(9..11 of 20 in one class) is about 0.53
        assert 0.25 <= in_loud_class <= 0.75
    assert out["labels"].tolist() == df["labels"].tolist()  # the clip keeps its source's label


def test_shuffled_noise_envelope_is_seeded(tmp_path):
    df = _loud_and_quiet_sources(tmp_path, 5)
    cfg = {"clip_seconds": 1.0, "envelope": "shuffled"}
    read = lambda out: [sf.read(p)[0] for p in out["path"]]  # noqa: E731
    a = read(make_control("noise").generate(job("noise", df, cfg, tmp_path / "a", 1)))
    b = read(make_control("noise").generate(job("noise", df, cfg, tmp_path / "b", 1)))
    c = read(make_control("noise").generate(job("noise", df, cfg, tmp_path / "c", 2)))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_pink_noise_slope():
    y = pink_noise(2**16, np.random.default_rng(0))
    power = np.abs(np.fft.rfft(y)) ** 2
    low, high = power[100:200].mean(), power[1000:2000].mean()
    assert 10 * np.log10(low / high) == pytest.approx(10, abs=1.5)  # 1/f: 10 dB per decade


def test_oracle_makes_fresh_music_of_the_drawn_class(tmp_path, sources):
    df, _ = sources
    cfg = {"clip_seconds": 2.0, "class_tags": {"happy": ["happy"], "calm": ["calm", "relaxing"]}}
    a = make_control("oracle").generate(job("oracle", df, cfg, tmp_path / "a", 3))
    b = make_control("oracle").generate(job("oracle", df, cfg, tmp_path / "b", 3))
    ya, yb = sf.read(a["path"][0])[0], sf.read(b["path"][0])[0]
    np.testing.assert_array_equal(ya, yb)  # seeded
    assert len(ya) == 2 * SR and np.abs(ya).max() > 0.05
    other = sf.read(a["path"][1])[0]
    assert not np.allclose(ya, other)
    assert a["labels"].tolist() == ["happy", "calm;sad"]


def write_metadata(path, rows):
    """An MTG-Jamendo-format metadata TSV: ``rows`` of (track id, tags)."""
    lines = ["TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS"]
    for track_id, tags in rows:
        moods = "\t".join(f"mood/theme---{t}" for t in tags)
        lines.append(f"{track_id}\tartist_1\talbum_1\t00/1.mp3\t30.0\t{moods}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_oracle_synthesises_each_clip_with_its_source_tracks_tags(tmp_path, sources):
    """tags: source (the default): a clip is a new track with the source track's tags in the
    metadata's order (primary first), whatever class it was drawn for; emotion's quadrant labels
    carry no tag, so with tags: class it would be a single-tag track."""
    from augeval.synth import synthesise_clip

    df, _ = sources
    meta = write_metadata(tmp_path / "meta.tsv", [("track_1", ["dark", "happy"])])
    cfg = {"clip_seconds": 2.0}
    out = make_control("oracle").generate(
        GenerateJob("oracle", "emotion", cfg, df, tmp_path / "g", 5, metadata=meta)
    )
    for k, row in enumerate(df.itertuples()):
        seed = int(np.random.default_rng([5, k]).integers(2**31))  # the clip's own stream
        number = int(row.clip_id.rsplit("_", 1)[-1])
        want = synthesise_clip(["dark", "happy"], 2.0, sample_rate=SR, seed=seed, number=number)
        got, _ = sf.read(out["path"][k], dtype="float32")
        np.testing.assert_allclose(got, want, atol=1e-4)  # 16-bit WAV
    swapped = synthesise_clip(["happy", "dark"], 2.0, sample_rate=SR, seed=seed, number=number)
    assert not np.allclose(got, swapped, atol=1e-3)  # the primary tag is the metadata's first
    assert out["labels"].tolist() == ["happy", "calm;sad"]  # labels stay the source row's


def test_oracle_with_source_tags_names_what_is_missing(tmp_path, sources):
    df, _ = sources
    cfg = {"clip_seconds": 2.0}
    with pytest.raises(ConfigError, match="corpus metadata.*tags: class"):
        make_control("oracle").generate(job("oracle", df, cfg, tmp_path / "a", 0))
    meta = write_metadata(tmp_path / "meta.tsv", [("track_2", ["sad"])])
    with pytest.raises(DataError, match=r"meta\.tsv: 1 source track.*track_1"):
        make_control("oracle").generate(
            GenerateJob("oracle", "emotion", cfg, df, tmp_path / "b", 0, metadata=meta)
        )
