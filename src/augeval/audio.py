"""Audio I/O through soundfile (WAV, FLAC, MP3 via libsndfile) with mixdown and resampling.

libsndfile (>= 1.1, bundled with soundfile 0.12+) decodes MP3 with mpg123, so MTG-Jamendo's
``NN/ID.mp3`` files are read like any other format. After a seek, an MP3 decoder lacks the bit
reservoir and overlap of the preceding frames, so the first ~1.5 k samples come out wrong;
:func:`read_audio` therefore seeks :data:`MP3_PREROLL` samples early and drops them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from augeval.atomic import atomic_path
from augeval.errors import AudioError

MP3_PREROLL = 8192  # samples decoded and discarded before an MP3 offset (7 MPEG-1 frames)


def read_audio(
    path: str | os.PathLike,
    sample_rate: int,
    *,
    offset_s: float = 0.0,
    max_seconds: float | None = None,
) -> np.ndarray:
    """Decode ``path`` to mono float32 at ``sample_rate``, reading only what is needed.

    Raises :class:`AudioError` naming the file for a missing, unreadable, empty or non-finite file.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file not found: {path} (check data.audio_root and the manifest)")
    try:
        with sf.SoundFile(path) as f:
            native_sr = f.samplerate
            start = min(int(round(offset_s * native_sr)), f.frames)
            preroll = min(start, MP3_PREROLL) if f.format == "MP3" else 0
            f.seek(start - preroll)
            n = -1 if max_seconds is None else int(np.ceil(max_seconds * native_sr)) + preroll
            data = f.read(frames=n, dtype="float32", always_2d=True)[preroll:]
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise AudioError(
            f"cannot decode audio file {path}: {exc}; replace or re-download it"
        ) from exc
    if data.shape[0] == 0:
        raise AudioError(f"audio file {path} has no samples at offset {offset_s} s")
    mono = mixdown(data)
    if not np.isfinite(mono).all():
        raise AudioError(f"audio file {path} contains NaN or infinite samples")
    if native_sr != sample_rate:
        mono = resample(mono, native_sr, sample_rate)
    return mono


def mixdown(data: np.ndarray) -> np.ndarray:
    """Mean over channels of ``(frames, channels)`` audio.

    Summing column by column is ~30x faster than ``data.mean(axis=1)``, which reduces over a
    length-2 axis once per frame (0.13 s per 87 s of stereo, more than the mel itself).
    """
    mono = data[:, 0].copy()
    for channel in range(1, data.shape[1]):
        mono += data[:, channel]
    if data.shape[1] > 1:
        mono *= np.float32(1.0 / data.shape[1])
    return mono


def resample(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling (torchaudio's windowed sinc)."""
    if orig_sr == target_sr:
        return y.astype(np.float32, copy=False)
    import torch  # here, not at the top: jobs that only read metadata never pay its import
    import torchaudio.functional as AF

    out = AF.resample(
        torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)), orig_sr, target_sr
    )
    return out.numpy()


def write_audio(path: str | os.PathLike, y: np.ndarray, sample_rate: int) -> None:
    """Atomically write mono float audio as 16-bit PCM (format from the file extension)."""
    y = np.asarray(y, dtype=np.float32)
    if not np.isfinite(y).all():
        raise AudioError(f"refusing to write non-finite samples to {path}")
    with atomic_path(path) as tmp:
        sf.write(tmp, np.clip(y, -1.0, 1.0), sample_rate, subtype="PCM_16")
