"""Checks on the input data, run once and early (rule ``check_audio``, before any manifest).

Audio: every track a configured label set uses is opened and the part the pipeline reads first
(``features.max_frames`` worth, from the start) is decoded. Each track ends up ``ok``, ``fixed``
(usable after a documented repair: stereo is downmixed, another sample rate is resampled) or
``rejected`` with a reason. ``data.on_bad_audio`` decides what a rejection does: ``error`` stops
the workflow listing every bad file and its reason; ``skip`` leaves the track out and records it in
``results/data/{labelset}/rejected.tsv``. The decision per case is tabled in the README.

Silence is judged by energy over that window, as the mel cache will see it (downmixed to mono), not
by its peak: lossy codecs leave noise in digital silence (a real OGG Vorbis file of silence peaks at
-78.5 dBFS), and a lone click or a DC offset says nothing about music. The window is cut into
:data:`FRAME_SECONDS` frames; a frame is *sound* when its RMS, with the frame's mean (DC) removed,
is at least :data:`ACTIVE_FRAME_DBFS`; a window with less than :data:`MIN_ACTIVE_FRACTION` of its
frames sound is rejected as silent. Quiet music (a soft piano piece at -40 dBFS RMS) is well above
this; codec noise (about -90 dBFS RMS) and a near-silent fade are below. A track silent at its
start for longer than the window is rejected even if music comes later: the classifier never reads
that music.

Splits: a track listed in two splits is an error (it would leak test data into training); an artist
in two splits is a warning (the official MTG-Jamendo splits are artist-disjoint, so a shared
artist means the metadata is not an official split).
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import soundfile as sf

from augeval.data.labels import LabelSet
from augeval.data.mtg import Track
from augeval.errors import AudioError, ConfigError, DataError

log = logging.getLogger("augeval.data")

POLICIES = ("error", "skip")
AUDIT_COLUMNS = ["track_id", "path", "status", "reason", "labelsets"]
REJECTED_COLUMNS = ["split", "track_id", "path", "reason"]
FRAME_SECONDS = 0.1  # frames the checked window is cut into to measure its energy
ACTIVE_FRAME_DBFS = -60.0  # a frame with (DC-removed) RMS at least this is sound, else silence
MIN_ACTIVE_FRACTION = 0.25  # a window with less than this fraction of sound frames is silent
_FLOOR_DBFS = -200.0  # the level reported for all-zero audio


@dataclass(frozen=True)
class AudioCheck:
    status: str  # ok | fixed | rejected
    reason: str = ""


@dataclass(frozen=True)
class Loudness:
    """Levels of a decoded window: peak and RMS in dBFS, and the fraction of frames with sound."""

    peak_dbfs: float
    rms_dbfs: float  # DC removed per frame
    active_fraction: float
    seconds: float

    @property
    def silent(self) -> bool:
        return self.active_fraction < MIN_ACTIVE_FRACTION


def _dbfs(x: float) -> float:
    return 20 * math.log10(x) if x > 0 else _FLOOR_DBFS


def measure_loudness(data: np.ndarray, sample_rate: int) -> Loudness:
    """Peak, RMS and sound-frame fraction of ``data`` (frames x channels, or mono), downmixed.

    Frames are :data:`FRAME_SECONDS` long and non-overlapping (a window shorter than one frame is
    one frame; a last partial frame is dropped); each frame's mean is removed before its RMS, so a
    DC offset is not sound. A frame is sound when its RMS is at least :data:`ACTIVE_FRAME_DBFS`.
    """
    mono = np.asarray(data, dtype=np.float64)
    if mono.ndim == 2:
        mono = mono.mean(axis=1)
    n = len(mono)
    size = max(1, min(n, int(round(FRAME_SECONDS * sample_rate))))
    frames = mono[: (n // size) * size].reshape(-1, size)
    power = frames.var(axis=1)  # mean square about each frame's own mean
    threshold = 10 ** (ACTIVE_FRAME_DBFS / 10)  # in power
    return Loudness(
        peak_dbfs=_dbfs(float(np.abs(mono).max())) if n else _FLOOR_DBFS,
        rms_dbfs=_dbfs(math.sqrt(float(power.mean()))) if len(power) else _FLOOR_DBFS,
        active_fraction=float((power >= threshold).mean()) if len(power) else 0.0,
        seconds=n / sample_rate,
    )


def silence_reason(level: Loudness) -> str:
    return (
        f"silent: {level.active_fraction:.1%} of the first {level.seconds:.1f} s (the part the "
        f"mel cache reads) is sound, less than the {MIN_ACTIVE_FRACTION:.0%} needed (sound: "
        f"{FRAME_SECONDS:g} s frames with RMS >= {ACTIVE_FRAME_DBFS:g} dBFS, DC removed); "
        f"RMS {level.rms_dbfs:.1f} dBFS, peak {level.peak_dbfs:.1f} dBFS"
    )


def check_audio_file(
    path: str | os.PathLike,
    sample_rate: int,
    read_seconds: float,
    min_seconds: float,
    expected_seconds: float | None = None,
) -> AudioCheck:
    """Open ``path`` and decode its first ``read_seconds``; say whether and how it can be used.

    ``expected_seconds`` (the metadata's DURATION) catches a file cut short: one shorter than
    90 % of it minus half a second is rejected as truncated. Never raises for a bad file: the
    problem is returned as a ``rejected`` check with the reason.
    """
    path = Path(path)
    if not path.is_file():
        return AudioCheck("rejected", "missing file")
    if path.stat().st_size == 0:
        return AudioCheck("rejected", "empty file (0 bytes)")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        return AudioCheck("rejected", f"not decodable audio (corrupt header or not audio: {exc})")
    if info.frames <= 0 or info.samplerate <= 0:
        return AudioCheck("rejected", "no audio samples (header only)")
    seconds = info.frames / info.samplerate
    if expected_seconds is not None and seconds < 0.9 * expected_seconds - 0.5:
        return AudioCheck(
            "rejected",
            f"truncated: {seconds:.2f} s of audio but the metadata says {expected_seconds:g} s",
        )
    if seconds < min_seconds:
        return AudioCheck(
            "rejected", f"too short: {seconds:.3f} s < data.min_seconds {min_seconds:g} s"
        )
    want = min(info.frames, int(math.ceil(read_seconds * info.samplerate)))
    try:
        with sf.SoundFile(str(path)) as f:
            data = f.read(frames=want, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        return AudioCheck("rejected", f"truncated or corrupt audio data ({exc})")
    if data.shape[0] < want:
        return AudioCheck(
            "rejected",
            f"truncated: the header promises {info.frames} frames but only {data.shape[0]} "
            "could be decoded",
        )
    if not np.isfinite(data).all():
        return AudioCheck("rejected", "NaN or infinite samples")
    level = measure_loudness(data, info.samplerate)
    if level.silent:
        return AudioCheck("rejected", silence_reason(level))
    fixes = []
    if info.channels > 1:
        fixes.append(f"downmixed {info.channels} channels to mono")
    if info.samplerate != sample_rate:
        fixes.append(f"resampled {info.samplerate} Hz to {sample_rate} Hz when read")
    return AudioCheck("fixed", "; ".join(fixes)) if fixes else AudioCheck("ok")


def resolve_audio_path(audio_root: str | os.PathLike, rel_path: str, where: str) -> Path:
    """``audio_root / rel_path``; a path that is absolute or climbs out of the root is an error."""
    parts = PurePosixPath(rel_path.replace("\\", "/"))
    if parts.is_absolute() or Path(rel_path).is_absolute() or ".." in parts.parts:
        raise DataError(
            f"{where}: audio PATH {rel_path!r} points outside data.audio_root {audio_root}; "
            "paths must be relative to the audio root and may not contain '..'"
        )
    return Path(audio_root) / rel_path


def check_splits(tracks_by_split: dict[str, list[Track]]) -> None:
    """A track in two splits is an error; an artist in two splits is a warning."""
    seen_track: dict[str, str] = {}
    clashes = []
    for split, tracks in tracks_by_split.items():
        for t in tracks:
            other = seen_track.setdefault(t.track_id, split)
            if other != split:
                clashes.append(f"{t.track_id} ({other}, {split})")
    if clashes:
        raise DataError(
            f"{len(clashes)} track(s) are in two splits, e.g. {clashes[:5]}; a track must be in "
            "exactly one of train/validation/test (check data.metadata_dir and data.split)"
        )
    artists: dict[str, set[str]] = {}
    for split, tracks in tracks_by_split.items():
        for t in tracks:
            artists.setdefault(t.artist_id, set()).add(split)
    shared = sorted(a for a, s in artists.items() if len(s) > 1)
    if shared:
        log.warning(
            "%d artist(s) have tracks in more than one split, e.g. %s; the official MTG-Jamendo "
            "splits are artist-disjoint, so scores may be optimistic",
            len(shared),
            shared[:5],
        )


def audit_split(
    tracks: list[Track],
    labelsets: list[LabelSet],
    audio_root: str | os.PathLike,
    *,
    sample_rate: int,
    read_seconds: float,
    min_seconds: float,
    policy: str,
    where: str,
    check_duration: bool = True,
) -> pd.DataFrame:
    """Check the audio of every track that some label set uses; apply ``policy`` to rejections.

    ``check_duration`` (``data.check_duration``): compare each file's length with the metadata's
    DURATION (off only for stand-in audio, which is shorter by design).

    Returns the audit table (:data:`AUDIT_COLUMNS`). With ``policy == "error"`` any rejection
    raises :class:`AudioError` listing every rejected file and its reason.
    """
    if policy not in POLICIES:
        raise ConfigError(f"data.on_bad_audio is {policy!r}; allowed: {', '.join(POLICIES)}")
    rows = []
    for t in tracks:
        used_by = [ls.name for ls in labelsets if ls.labels_for(t.tags)]
        if not used_by:
            continue
        path = resolve_audio_path(audio_root, t.path, where)
        expected = t.duration if check_duration else None
        check = check_audio_file(path, sample_rate, read_seconds, min_seconds, expected)
        rows.append((t.track_id, str(path), check.status, check.reason, ";".join(used_by)))
    audit = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
    bad = audit[audit["status"] == "rejected"]
    fixed = audit[audit["status"] == "fixed"]
    if len(fixed):
        log.info("%d track(s) usable after a fix, e.g. %s", len(fixed), fixed["reason"].iloc[0])
    if len(bad) and policy == "error":
        lines = [f"  {p}: {r}" for p, r in zip(bad["path"], bad["reason"], strict=True)]
        if len(lines) > 50:  # e.g. a wrong data.audio_root: every file is missing
            for line in lines:
                log.error("unusable audio:%s", line)
            lines = lines[:50] + [f"  ... and {len(lines) - 50} more (all listed in the log)"]
        listing = "\n".join(lines)
        raise AudioError(
            f"{where}: {len(bad)} of {len(audit)} audio file(s) are unusable:\n{listing}\n"
            "fix or replace them, or set data.on_bad_audio: skip to leave them out (they are "
            "then listed in results/data/<labelset>/rejected.tsv)"
        )
    if len(bad):
        log.warning(
            "%s: skipping %d of %d track(s) with unusable audio (data.on_bad_audio: skip)",
            where,
            len(bad),
            len(audit),
        )
    return audit


def read_audit(path: str | os.PathLike) -> pd.DataFrame:
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in AUDIT_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"{path}: not an audio audit table (missing columns {missing})")
    return df


def rejected_tracks(audits: dict[str, pd.DataFrame], labelset: str) -> pd.DataFrame:
    """The rejected tracks of one label set across splits (:data:`REJECTED_COLUMNS`)."""
    parts = []
    for split, audit in audits.items():
        used = audit["labelsets"].str.split(";").apply(lambda names: labelset in names)
        bad = audit[(audit["status"] == "rejected") & used]
        parts.append(bad.assign(split=split)[REJECTED_COLUMNS])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REJECTED_COLUMNS)
