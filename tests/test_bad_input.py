"""Bad input: each case makes the bad thing on disk and asserts what the pipeline does with it.

Audio cases run through the same early check the workflow runs (rule check_audio), under both
``data.on_bad_audio`` policies, and the usable ones through the mel cache reader. The table in
README.md ("Bad input") lists these cases, the behaviour and the test names.
"""

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from augeval.classifier.data import fit_frames
from augeval.data.checks import audit_split, check_audio_file, check_splits
from augeval.data.labels import make_labelset
from augeval.data.mtg import Track, format_metadata
from augeval.data.prepare import check_split_audio, prepare_manifest, write_rejected
from augeval.errors import AudioError, DataError
from augeval.features import MelExtractor, MelParams
from augeval.generators.samplernn import _read_prime

SR = 12000
READ_SECONDS = 3.0
MIN_SECONDS = 1.0
RNG = np.random.default_rng(0)


def tone(seconds, sr=SR, channels=1):
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 440 * t)
    return np.stack([y * (0.5 + 0.1 * c) for c in range(channels)], axis=1) if channels > 1 else y


def wav(path, y, sr=SR, subtype="PCM_16"):
    sf.write(path, y, sr, subtype=subtype)


def make_missing(path):
    pass


def make_zero_length(path):
    path.write_bytes(b"")


def make_truncated_header(path):
    wav(path, tone(2))
    path.write_bytes(path.read_bytes()[:20])  # cut inside the RIFF/fmt header


def make_corrupt_header(path):
    wav(path, tone(2))
    data = bytearray(path.read_bytes())
    data[8:16] = b"XXXXXXXX"  # 'WAVEfmt ' overwritten
    path.write_bytes(bytes(data))


def make_truncated_data(path):
    wav(path, tone(4))  # the metadata says 4 s
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 4])  # the download stopped after 1 s


def make_non_audio(path):
    path.write_bytes(b"<html><body>404 Not Found</body></html>\n" * 50)


def make_nan(path):
    y = tone(2).astype(np.float32)
    y[100:200] = np.nan
    wav(path, y, subtype="FLOAT")


def make_inf(path):
    y = tone(2).astype(np.float32)
    y[5000] = np.inf
    wav(path, y, subtype="FLOAT")


def make_silence(path):
    wav(path, np.zeros(2 * SR))


def make_too_short(path):
    wav(path, tone(0.4))


def make_wrong_rate(path):
    wav(path, tone(2, sr=44100), sr=44100)


def make_stereo(path):
    wav(path, tone(2, channels=2))


def make_multichannel(path):
    wav(path, tone(2, channels=6))


def make_shorter_than_crop(path):
    wav(path, tone(1.5))  # above data.min_seconds, below the 3 s read window / a 4 s prime


def make_very_long(path):
    wav(path, tone(15 * 60, sr=8000), sr=8000)  # 15 min; only the head is decoded


# name, maker, metadata duration, status, reason pattern
CASES = [
    ("missing_file", make_missing, 2.0, "rejected", "missing file"),
    ("zero_length", make_zero_length, 2.0, "rejected", r"empty file \(0 bytes\)"),
    ("truncated_header", make_truncated_header, 2.0, "rejected", "not decodable audio"),
    ("corrupt_header", make_corrupt_header, 2.0, "rejected", "not decodable audio"),
    ("truncated_data", make_truncated_data, 4.0, "rejected", "truncated"),
    ("non_audio_bytes", make_non_audio, 2.0, "rejected", "not decodable audio"),
    ("nan_samples", make_nan, 2.0, "rejected", "NaN or infinite"),
    ("inf_samples", make_inf, 2.0, "rejected", "NaN or infinite"),
    ("silence", make_silence, 2.0, "rejected", "silent"),
    ("too_short", make_too_short, 0.4, "rejected", "too short"),
    ("wrong_sample_rate", make_wrong_rate, 2.0, "fixed", "resampled 44100 Hz to 12000 Hz"),
    ("stereo", make_stereo, 2.0, "fixed", "downmixed 2 channels"),
    ("multichannel", make_multichannel, 2.0, "fixed", "downmixed 6 channels"),
    ("shorter_than_crop", make_shorter_than_crop, 1.5, "ok", "^$"),
    ("very_long", make_very_long, 900.0, "fixed", "resampled 8000 Hz"),
]
REJECTED = [c for c in CASES if c[3] == "rejected"]
USABLE = [c for c in CASES if c[3] != "rejected"]


def make_case(tmp_path, case):
    name, maker, *_ = case
    path = tmp_path / f"{name}.wav"
    maker(path)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_audio_check_classifies_each_case(tmp_path, case):
    name, _, duration, status, reason = case
    path = make_case(tmp_path, case)
    t0 = time.monotonic()
    check = check_audio_file(path, SR, READ_SECONDS, MIN_SECONDS, duration)
    assert check.status == status, check
    assert re.search(reason, check.reason), check.reason
    assert time.monotonic() - t0 < 5  # even the 15-min file: only its head is decoded


@pytest.mark.parametrize("case", USABLE, ids=[c[0] for c in USABLE])
def test_usable_cases_give_a_full_mel(tmp_path, case):
    """Fixed audio really is fixed where it is read: mono, resampled, bounded read."""
    path = make_case(tmp_path, case)
    params = MelParams(sample_rate=SR, n_fft=512, hop_length=256, n_mels=32, max_frames=96)
    mel = MelExtractor(params).from_file(path)
    seconds = sf.info(str(path)).duration
    assert mel.shape == (32, min(96, int(seconds * SR) // 256 + 1))
    assert np.isfinite(mel).all() and mel.max() > -60  # a tone, not silence
    window = fit_frames(mel, 256)  # the classifier tiles a short mel to its input length
    assert window.shape == (32, 256)


def test_shorter_than_prime_is_left_padded(tmp_path):
    path = tmp_path / "short.wav"
    make_shorter_than_crop(path)  # 1.5 s
    prime = _read_prime(str(path), 0.0, 4.0, 4 * 8000, 8000)  # a 4 s prime at 8 kHz
    assert prime.shape == (32000,)
    assert np.all(prime[: 32000 - 12000] == 0) and np.abs(prime[-12000:]).max() > 0.1


def split_of(tmp_path, cases):
    """Tracks for ``cases`` (plus one good track per class) with their audio under tmp_path."""
    tracks = []
    for i, case in enumerate(cases):
        make_case(tmp_path, case)
        tag = ("happy", "sad")[i % 2]
        tracks.append(Track(case[0], f"artist_{i}", "album", f"{case[0]}.wav", case[2], (tag,)))
    for tag in ("happy", "sad"):
        wav(tmp_path / f"good_{tag}.wav", tone(2))
        tracks.append(Track(f"good_{tag}", "artist_x", "album", f"good_{tag}.wav", 2.0, (tag,)))
    return tracks


MOOD = make_labelset("mood", ["happy", "sad"])


def audit(tmp_path, tracks, policy):
    return audit_split(
        tracks,
        [MOOD],
        tmp_path,
        sample_rate=SR,
        read_seconds=READ_SECONDS,
        min_seconds=MIN_SECONDS,
        policy=policy,
        where="train.tsv",
    )


@pytest.mark.parametrize("case", REJECTED, ids=[c[0] for c in REJECTED])
def test_policy_error_stops_naming_file_and_reason(tmp_path, case):
    tracks = split_of(tmp_path, [case])
    with pytest.raises(AudioError) as err:
        audit(tmp_path, tracks, "error")
    message = str(err.value)
    assert f"{case[0]}.wav" in message and re.search(case[4], message)
    assert "on_bad_audio: skip" in message  # says what to do


def test_policy_skip_drops_and_lists_every_rejected_track(tmp_path):
    audio = tmp_path / "audio"
    audio.mkdir()
    tracks = split_of(audio, CASES)
    meta = {}
    for split in ("train", "validation", "test"):
        meta[split] = tmp_path / f"{split}.tsv"
        meta[split].write_text(format_metadata(tracks if split == "train" else []))
    common = dict(sample_rate=SR, read_seconds=READ_SECONDS, min_seconds=MIN_SECONDS)
    audits = {}
    for split in meta:
        audits[split] = tmp_path / f"audit_{split}.tsv"
        check_split_audio(meta, split, [MOOD], audio, audits[split], policy="skip", **common)
    mapping = Path(__file__).resolve().parents[1] / "config/emotion_mapping.tsv"
    manifest = prepare_manifest(
        meta["train"], "mood", ["happy", "sad"], mapping, audio, tmp_path / "train_manifest.tsv",
        audit=audits["train"],
    )  # fmt: skip
    rejected = write_rejected(audits, "mood", tmp_path / "rejected.tsv")
    expected_rejected = {c[0] for c in REJECTED}
    assert set(rejected["track_id"]) == expected_rejected  # every skipped track is listed
    assert (rejected["split"] == "train").all() and (rejected["reason"] != "").all()
    kept = {c[0] for c in USABLE} | {"good_happy", "good_sad"}
    assert set(manifest["track_id"]) == kept  # nothing else is dropped
    on_disk = pd.read_csv(tmp_path / "rejected.tsv", sep="\t")
    assert list(on_disk.columns) == ["split", "track_id", "path", "reason"]
    assert len(on_disk) == len(expected_rejected)
    fixed = pd.read_csv(audits["train"], sep="\t", keep_default_na=False)
    assert set(fixed.loc[fixed["status"] == "fixed", "track_id"]) == {
        c[0] for c in CASES if c[3] == "fixed"
    }


def test_policy_skip_that_empties_a_class_names_the_class(tmp_path):
    nan_case = next(c for c in CASES if c[0] == "nan_samples")
    make_case(tmp_path, nan_case)
    wav(tmp_path / "ok.wav", tone(2))
    tracks = [
        Track("t_sad", "a1", "b", "nan_samples.wav", 2.0, ("sad",)),
        Track("t_happy", "a2", "b", "ok.wav", 2.0, ("happy",)),
    ]
    meta = tmp_path / "train.tsv"
    meta.write_text(format_metadata(tracks))
    table = audit(tmp_path, tracks, "skip")
    table.to_csv(tmp_path / "audit.tsv", sep="\t", index=False)
    mapping = Path(__file__).resolve().parents[1] / "config/emotion_mapping.tsv"
    with pytest.raises(DataError, match=r"class\(es\) \['sad'\]"):
        prepare_manifest(
            meta, "mood", ["happy", "sad"], mapping, tmp_path, tmp_path / "m.tsv",
            audit=tmp_path / "audit.tsv",
        )  # fmt: skip
    assert not (tmp_path / "m.tsv").exists()


def test_unknown_policy_is_a_config_error(tmp_path):
    from augeval.errors import ConfigError

    with pytest.raises(ConfigError, match="on_bad_audio.*allowed: error, skip"):
        audit(tmp_path, [], "ignore")


# ---- metadata ---------------------------------------------------------------------------------


def test_track_in_two_splits_is_an_error():
    t = Track("track_1", "artist_1", "album", "1.mp3", 10.0, ("sad",))
    u = Track("track_2", "artist_2", "album", "2.mp3", 10.0, ("sad",))
    with pytest.raises(DataError, match=r"two splits.*track_1 \(train, test\)"):
        check_splits({"train": [t, u], "validation": [], "test": [t]})


def test_artist_in_two_splits_is_a_warning(caplog):
    t = Track("track_1", "artist_1", "album", "1.mp3", 10.0, ("sad",))
    u = Track("track_2", "artist_1", "album", "2.mp3", 10.0, ("sad",))
    check_splits({"train": [t], "validation": [u], "test": []})  # no error
    assert "artist_1" in caplog.text and "more than one split" in caplog.text


@pytest.mark.parametrize("rel", ["../outside.mp3", "a/../../outside.mp3", "/etc/passwd"])
def test_paths_outside_audio_root_are_rejected(tmp_path, rel):
    from augeval.data.manifest import build_manifest

    tracks = [Track("track_1", "a", "b", rel, 1.0, ("sad",))]
    with pytest.raises(DataError, match="outside data.audio_root"):
        build_manifest(tracks, MOOD, tmp_path / "audio", where="train.tsv")
    with pytest.raises(DataError, match="outside data.audio_root"):
        audit(tmp_path / "audio", tracks, "skip")  # never a skip: the metadata itself is wrong


def test_empty_class_after_filtering_names_the_class(tmp_path):
    wav(tmp_path / "a.wav", tone(2))
    meta = tmp_path / "train.tsv"
    meta.write_text(format_metadata([Track("t1", "a", "b", "a.wav", 2.0, ("happy",))]))
    mapping = Path(__file__).resolve().parents[1] / "config/emotion_mapping.tsv"
    with pytest.raises(DataError, match=r"no track has class\(es\) \['sad'\]"):
        prepare_manifest(meta, "mood", ["happy", "sad"], mapping, tmp_path, tmp_path / "m.tsv")


def test_check_duration_off_accepts_audio_shorter_than_the_metadata(tmp_path):
    # a sound 2 s file whose metadata says 200 s: a cut download, unless the corpus is a stand-in
    wav(tmp_path / "short.wav", tone(2))
    track = Track("short", "artist_0", "album", "short.wav", 200.0, ("happy",))
    common = dict(sample_rate=SR, read_seconds=READ_SECONDS, min_seconds=MIN_SECONDS)
    checked = audit_split([track], [MOOD], tmp_path, policy="skip", where="meta.tsv", **common)
    assert checked["status"].tolist() == ["rejected"]
    assert "metadata says 200 s" in checked["reason"].iloc[0]
    kept = audit_split(
        [track], [MOOD], tmp_path, policy="error", where="meta.tsv", check_duration=False, **common
    )
    assert kept["status"].tolist() == ["ok"] and kept["reason"].tolist() == [""]
