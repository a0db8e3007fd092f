"""Turn MTG-Jamendo-format metadata into a label set's manifest, checking the data on the way."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from augeval.data.labels import make_labelset
from augeval.data.manifest import build_manifest, class_counts, write_manifest
from augeval.data.mtg import read_metadata
from augeval.errors import DataError

log = logging.getLogger("augeval.data")


def prepare_manifest(
    metadata: str | os.PathLike,
    labelset_name: str,
    tags: list[str],
    emotion_mapping: str | os.PathLike,
    audio_root: str | os.PathLike,
    out: str | os.PathLike,
    multi_quadrant: str = "first_tag",
    check_audio: bool = True,
    allow_empty_classes: bool = False,
) -> pd.DataFrame:
    """Write ``out`` for one label set and split; fail clearly on missing audio or (unless
    ``allow_empty_classes``, e.g. for the oracle's pool, which is checked where it is drawn from)
    on empty classes."""
    labelset = make_labelset(labelset_name, tags, emotion_mapping, multi_quadrant)
    tracks = read_metadata(metadata)
    df = build_manifest(tracks, labelset, audio_root)
    log.info("%s: %d of %d tracks have a %s label", metadata, len(df), len(tracks), labelset_name)
    if check_audio:
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
        )
    log.info("class counts: %s", counts)
    write_manifest(df, out)
    return df
