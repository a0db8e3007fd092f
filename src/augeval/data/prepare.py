"""Turn MTG-Jamendo-format metadata into a label set's manifest, checking the data on the way."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from augeval.atomic import write_tsv
from augeval.data.checks import (
    audit_split,
    check_splits,
    read_audit,
    rejected_tracks,
)
from augeval.data.labels import LabelSet, make_labelset
from augeval.data.manifest import build_manifest, class_counts, write_manifest
from augeval.data.mtg import read_metadata
from augeval.errors import DataError

log = logging.getLogger("augeval.data")


def check_split_audio(
    metadata: dict[str, str | os.PathLike],
    split: str,
    labelsets: list[LabelSet],
    audio_root: str | os.PathLike,
    out: str | os.PathLike,
    *,
    sample_rate: int,
    read_seconds: float,
    min_seconds: float,
    policy: str = "error",
    check_duration: bool = True,
) -> pd.DataFrame:
    """Rule check_audio: split checks over all of ``metadata``, audio checks of ``split``."""
    tracks = {name: read_metadata(path) for name, path in metadata.items()}
    check_splits(tracks)
    audit = audit_split(
        tracks[split],
        labelsets,
        audio_root,
        sample_rate=sample_rate,
        read_seconds=read_seconds,
        min_seconds=min_seconds,
        policy=policy,
        where=str(metadata[split]),
        check_duration=check_duration,
    )
    counts = audit["status"].value_counts().to_dict()
    log.info("%s: audio checked for %d tracks: %s", split, len(audit), counts)
    write_tsv(audit, out)
    return audit


def write_rejected(
    audits: dict[str, str | os.PathLike], labelset: str, out: str | os.PathLike
) -> pd.DataFrame:
    """Rule list_rejected: the tracks of ``labelset`` left out for unusable audio, per split."""
    rejected = rejected_tracks({s: read_audit(p) for s, p in audits.items()}, labelset)
    if len(rejected):
        log.warning("%s: %d track(s) rejected for unusable audio", labelset, len(rejected))
    write_tsv(rejected, out)
    return rejected


def prepare_manifest(
    metadata: str | os.PathLike,
    labelset_name: str,
    tags: list[str],
    emotion_mapping: str | os.PathLike,
    audio_root: str | os.PathLike,
    out: str | os.PathLike,
    multi_quadrant: str = "first_tag",
    check_audio: bool = True,
    audit: str | os.PathLike | None = None,
    allow_empty_classes: bool = False,
) -> pd.DataFrame:
    """Write ``out`` for one label set and split; fail clearly on missing audio or (unless
    ``allow_empty_classes``, e.g. for the oracle's pool, which is checked where it is drawn from)
    on empty classes.

    With an ``audit`` table (rule check_audio) its rejected tracks are left out (the policy was
    applied there); without one, only the existence of each audio file is checked.
    """
    labelset = make_labelset(labelset_name, tags, emotion_mapping, multi_quadrant)
    tracks = read_metadata(metadata)
    df = build_manifest(tracks, labelset, audio_root, where=str(metadata))
    log.info("%s: %d of %d tracks have a %s label", metadata, len(df), len(tracks), labelset_name)
    if audit is not None:
        table = read_audit(audit)
        unchecked = sorted(set(df["track_id"]) - set(table["track_id"]))
        if unchecked:
            raise DataError(
                f"{audit}: no audio check for {len(unchecked)} track(s) of {metadata}, e.g. "
                f"{unchecked[:5]}; re-run rule check_audio"
            )
        rejected = set(table.loc[table["status"] == "rejected", "track_id"])
        if rejected & set(df["track_id"]):
            log.warning("leaving out %d track(s) with unusable audio", len(rejected))
        df = df[~df["track_id"].isin(rejected)].reset_index(drop=True)
    elif check_audio:
        missing = [p for p in df["path"] if not Path(p).is_file()]
        if missing:
            raise DataError(
                f"{len(missing)} audio file(s) listed in {metadata} are missing under "
                f"{audio_root}, e.g. {missing[:5]}; set data.audio_root to the folder holding "
                "the dataset's audio or download the missing files"
            )
    counts = class_counts(df, labelset.classes)
    empty = [c for c, n in counts.items() if n == 0]
    if empty and allow_empty_classes:
        log.warning("%s: no track has class(es) %s of label set %s", metadata, empty, labelset_name)
    elif empty:
        raise DataError(
            f"{metadata}: no track has class(es) {empty} of label set {labelset_name}; remove them "
            "from labels.tags or check the mapping file"
            + (" (and the rejected audio)" if audit is not None else "")
        )
    log.info("class counts: %s", counts)
    write_manifest(df, out)
    return df
