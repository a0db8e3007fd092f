"""Checks on the input data, run once and early (rule ``check_audio``, before any manifest).

Audio: every track a configured label set uses is opened and the part the pipeline reads first
(``features.max_frames`` worth, from the start) is decoded. Each track ends up ``ok``, ``fixed``
(usable after a documented repair: stereo is downmixed, another sample rate is resampled) or
``rejected`` with a reason. ``data.on_bad_audio`` decides what a rejection does: ``error`` stops
the workflow listing every bad file and its reason; ``skip`` leaves the track out and records it in
``results/data/{labelset}/rejected.tsv``. The decision per case is tabled in the README.

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
SILENCE_DBFS = -80.0  # a decoded window whose peak is below this is silent


@dataclass(frozen=True)
class AudioCheck:
    status: str  # ok | fixed | rejected
    reason: str = ""


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
    peak = float(np.abs(data).max())
    if peak == 0.0 or 20 * math.log10(peak) < SILENCE_DBFS:
        return AudioCheck(
            "rejected",
            f"silent: peak below {SILENCE_DBFS:g} dBFS in the first {want / info.samplerate:.1f} s",
        )
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
) -> pd.DataFrame:
    """Check the audio of every track that some label set uses; apply ``policy`` to rejections.

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
        check = check_audio_file(path, sample_rate, read_seconds, min_seconds, t.duration)
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
