"""MP3 decoding (MTG-Jamendo's format) through soundfile/libsndfile, on real MP3 files made here."""

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from augeval.audio import read_audio
from augeval.data.mtg import read_metadata
from augeval.data.prepare import prepare_manifest
from augeval.errors import DataError
from augeval.features import MelExtractor, MelParams

SR = 44100  # MTG-Jamendo's MP3s are 44.1 kHz stereo


def stepping_tones(seconds: float, seed: int = 0) -> np.ndarray:
    """Stereo test music: a semitone staircase (left) and the same at half level (right).

    Tonal, noise-free content makes the encoder use its bit reservoir, which is what breaks naive
    MP3 seeking (with added noise the seek happens to come out exact).
    """
    t = np.arange(int(SR * seconds)) / SR
    freq = 220 * 2 ** ((np.floor(t * 4) + seed) / 12)
    left = 0.3 * np.sin(2 * np.pi * np.cumsum(freq) / SR)
    right = 0.5 * left
    return np.stack([left, right], axis=1).astype(np.float32)


def write_mp3(path, audio):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, SR, format="MP3", subtype="MPEG_LAYER_III")
    return path


def test_soundfile_writes_and_reads_real_mp3(tmp_path):
    path = write_mp3(tmp_path / "48" / "948.mp3", stepping_tones(1.0))
    assert path.read_bytes()[:3] == b"ID3" or path.read_bytes()[0] == 0xFF  # MPEG stream
    info = sf.info(path)
    assert (info.format, info.channels, info.samplerate) == ("MP3", 2, SR)


def test_mp3_decodes_to_the_encoded_music_at_12k(tmp_path):
    src = stepping_tones(4.0)
    path = write_mp3(tmp_path / "48" / "948.mp3", src)
    y = read_audio(path, 12000)
    reference = resample_poly(src.mean(axis=1), 40, 147)  # 44100 -> 12000, independent resampler
    assert y.dtype == np.float32 and abs(len(y) - len(reference)) <= 1
    n = min(len(y), len(reference))
    assert np.corrcoef(y[:n], reference[:n])[0, 1] > 0.999


@pytest.mark.parametrize("offset_s", [0.07, 0.3, 1.5, 2.27])
def test_mp3_offset_reads_match_the_full_decode(tmp_path, offset_s):
    path = write_mp3(tmp_path / "00" / "100.mp3", stepping_tones(3.0))
    full = sf.read(path, dtype="float32")[0].mean(axis=1)
    part = read_audio(path, SR, offset_s=offset_s, max_seconds=0.5)
    start = int(round(offset_s * SR))
    np.testing.assert_allclose(part, full[start : start + len(part)], atol=1e-6)
    assert len(part) == int(np.ceil(0.5 * SR))


def test_mel_cache_reads_mp3(tmp_path):
    path = write_mp3(tmp_path / "01" / "1.mp3", stepping_tones(2.0))
    params = MelParams(max_frames=50)
    mel = MelExtractor(params).from_file(path)
    assert mel.shape == (96, 50) and np.isfinite(mel).all()


def test_existing_mp3_directory_is_used_as_is(tmp_path, mtg_sample, emotion_mapping):
    """No download: data.audio_root pointing at NN/ID.mp3 files is enough."""
    root = tmp_path / "mtg-audio"
    tracks = read_metadata(mtg_sample)
    for i, t in enumerate(tracks):
        write_mp3(root / t.path, stepping_tones(0.3, seed=i))
    tags = sorted({tag for t in tracks for tag in t.tags})
    out = tmp_path / "mood.tsv"
    df = prepare_manifest(mtg_sample, "mood", tags, emotion_mapping, root, out)
    assert len(df) == len(tracks) and out.is_file()
    assert all(read_audio(p, 12000).size > 0 for p in df["path"])
    (root / tracks[3].path).unlink()
    with pytest.raises(DataError, match="1 audio file"):
        prepare_manifest(mtg_sample, "mood", tags, emotion_mapping, root, out)
