"""Mel-spectrogram parameters against librosa's reference implementation; shard cache round trip."""

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from augeval.audio import read_audio, write_audio
from augeval.errors import AudioError, DataError
from augeval.features import MelExtractor, MelParams, MelStore, build_shard, shard_rows


def tone_mix(sr, seconds, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    y = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1320 * t)
    return (y + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


def test_mel_matches_librosa_reference():
    params = MelParams()
    y = tone_mix(params.sample_rate, 3.0)
    ours = MelExtractor(params)(y)
    ref = librosa.power_to_db(
        librosa.feature.melspectrogram(
            y=y, sr=12000, n_fft=512, hop_length=256, n_mels=96, fmin=0, fmax=6000,
            htk=False, norm="slaney", power=2.0, center=True, pad_mode="constant",
        ),
        ref=1.0, amin=1e-10, top_db=None,
    )  # fmt: skip
    assert ours.shape == ref.shape == (96, 1 + len(y) // 256)
    loud = ref > ref.max() - 60  # compare where there is energy; dB differences blow up near 0
    assert np.abs(ours - ref)[loud].max() < 0.05


def test_read_audio_resamples_and_mixes_down(tmp_path):
    stereo = np.stack([tone_mix(16000, 1.0), tone_mix(16000, 1.0, seed=1)], axis=1)
    path = tmp_path / "x.wav"
    sf.write(path, stereo, 16000)
    y = read_audio(path, 12000, max_seconds=0.5)
    assert y.ndim == 1 and abs(len(y) - 6000) <= 1 and y.dtype == np.float32


@pytest.mark.parametrize("content", [None, b"", b"not audio at all" * 10])
def test_bad_audio_names_the_file(tmp_path, content):
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioError, match="bad.wav"):
        read_audio(path, 12000)


def test_shards_partition_tracks():
    ids = [f"t{i}" for i in range(7)]
    parts = [shard_rows(ids, k, 3) for k in range(3)]
    assert sorted(sum(parts, [])) == sorted(ids)
    assert all(not set(a) & set(b) for a in parts for b in parts if a is not b)


def test_shard_round_trip_and_store(tmp_path):
    params = MelParams(max_frames=40)
    rows = []
    for i, seconds in enumerate([0.4, 2.0]):
        path = tmp_path / f"{i}.flac"
        write_audio(path, tone_mix(16000, seconds, seed=i), 16000)
        rows.append({"track_id": f"track_{i}", "path": str(path)})
    build_shard(pd.DataFrame(rows), params, tmp_path / "shard-0.npy", tmp_path / "shard-0.tsv")
    store = MelStore([tmp_path / "shard-0.tsv"])
    assert len(store) == 2 and "track_1" in store
    short, long = store.get("track_0"), store.get("track_1")
    assert short.shape == (96, 1 + int(0.4 * 12000) // 256) and long.shape == (96, 40)
    direct = MelExtractor(params).from_file(rows[1]["path"])
    np.testing.assert_allclose(long, direct.astype(np.float16).astype(np.float32))
    with pytest.raises(DataError, match="track_9"):
        store.get("track_9")
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary files left behind
