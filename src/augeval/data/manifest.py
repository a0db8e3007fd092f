"""Manifest TSVs: ``track_id  path  duration_s  labels  source`` (+ optional extra columns).

``labels`` holds ``;``-joined class names; ``source`` is ``real`` or a generator name.
Every manifest read or written here is validated against ``workflow/schemas/manifest.schema.yaml``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import yaml

from augeval.atomic import write_tsv
from augeval.data.checks import resolve_audio_path
from augeval.data.labels import LabelSet
from augeval.data.mtg import Track
from augeval.errors import DataError
from augeval.paths import SCHEMA_DIR

COLUMNS = ["track_id", "path", "duration_s", "labels", "source"]
LABEL_SEP = ";"


def _schema() -> dict:
    return yaml.safe_load((SCHEMA_DIR / "manifest.schema.yaml").read_text())


def validate_manifest(
    df: pd.DataFrame, where: str = "manifest", classes: Iterable[str] | None = None
):
    """Raise :class:`DataError` naming ``where`` and the first bad row or column."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {missing}; a manifest has columns {COLUMNS}")
    validator = jsonschema.Draft202012Validator(_schema())
    for i, row in enumerate(df[COLUMNS].to_dict(orient="records")):
        error = jsonschema.exceptions.best_match(validator.iter_errors(row))
        if error is not None:
            field = ".".join(str(p) for p in error.path) or "row"
            raise DataError(
                f"{where}: row {i + 2} ({row.get('track_id')}), {field}: {error.message}"
            )
    dupes = df["track_id"][df["track_id"].duplicated()].tolist()
    if dupes:
        raise DataError(f"{where}: duplicate track_id(s) {dupes[:5]}")
    if classes is not None:
        known = set(classes)
        for i, labels in enumerate(df["labels"]):
            unknown = set(labels.split(LABEL_SEP)) - known
            if unknown:
                raise DataError(
                    f"{where}: row {i + 2} has label(s) {sorted(unknown)} outside the label set "
                    f"{sorted(known)}"
                )


def read_manifest(path: str | os.PathLike, classes: Iterable[str] | None = None) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"manifest not found: {path}")
    df = pd.read_csv(
        path, sep="\t", dtype={"track_id": str, "path": str, "labels": str, "source": str}
    )
    validate_manifest(df, str(path), classes)
    return df


def write_manifest(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Validate and atomically write a manifest (required columns first, extras after)."""
    validate_manifest(df, str(path))
    ordered = df[COLUMNS + [c for c in df.columns if c not in COLUMNS]]
    write_tsv(ordered, path, float_format="%.3f")


def build_manifest(
    tracks: list[Track],
    labelset: LabelSet,
    audio_root: str | os.PathLike,
    where: str = "metadata",
) -> pd.DataFrame:
    """Manifest rows for the tracks that have at least one label in ``labelset``.

    A PATH that is absolute or leaves ``audio_root`` (``..``) is a :class:`DataError`.
    """
    rows = []
    for t in tracks:
        labels = labelset.labels_for(t.tags)
        if labels:
            rows.append(
                {
                    "track_id": t.track_id,
                    "path": str(resolve_audio_path(audio_root, t.path, where)),
                    "duration_s": t.duration,
                    "labels": LABEL_SEP.join(labels),
                    "source": "real",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def label_matrix(df: pd.DataFrame, classes: list[str] | tuple[str, ...]) -> np.ndarray:
    """Boolean (n_tracks, n_classes) ground truth in class order."""
    index = {c: j for j, c in enumerate(classes)}
    y = np.zeros((len(df), len(classes)), dtype=bool)
    for i, labels in enumerate(df["labels"]):
        for label in labels.split(LABEL_SEP):
            y[i, index[label]] = True
    return y


def class_counts(df: pd.DataFrame, classes: list[str] | tuple[str, ...]) -> dict[str, int]:
    y = label_matrix(df, classes)
    return {c: int(n) for c, n in zip(classes, y.sum(axis=0), strict=True)}
