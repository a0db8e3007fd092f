"""Prediction TSVs: ``track_id`` + one column of probabilities per class, in class order.

Reading and writing them needs only pandas, so the many small jobs that score predictions
(metrics, confusion plots, tables) never import torch (:mod:`augeval.classifier.predict`
makes them).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from augeval.atomic import write_tsv
from augeval.errors import DataError


def write_predictions(df: pd.DataFrame, path: str | os.PathLike) -> None:
    write_tsv(df, path, float_format="%.6f")


def read_predictions(path: str | os.PathLike, classes: list[str] | tuple[str, ...]) -> pd.DataFrame:
    df = pd.read_csv(path, sep="\t", dtype={"track_id": str})
    missing = [c for c in classes if c not in df.columns]
    if missing:
        raise DataError(f"{path}: no score column for class(es) {missing}")
    return df


def aligned_scores(predictions: pd.DataFrame, manifest: pd.DataFrame, classes) -> np.ndarray:
    """Scores ``(n_tracks, n_classes)`` in the manifest's row order."""
    indexed = predictions.set_index("track_id")
    absent = [t for t in manifest["track_id"] if t not in indexed.index]
    if absent:
        raise DataError(
            f"predictions lack {len(absent)} track(s) of the manifest, e.g. {absent[:3]}"
        )
    return indexed.loc[list(manifest["track_id"]), list(classes)].to_numpy(dtype=np.float64)
