"""Score a manifest's tracks with a trained classifier; prediction TSVs (``track_id`` + a column
of probabilities per class, in class order)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from augeval.atomic import atomic_path
from augeval.checkpoints import load_checkpoint
from augeval.classifier.train import model_from_checkpoint, predict_scores
from augeval.errors import DataError
from augeval.features import MelStore


def predict_manifest(
    checkpoint_path: str | os.PathLike,
    manifest: pd.DataFrame,
    feature_indexes: list[str],
    batch_size: int,
) -> pd.DataFrame:
    checkpoint = load_checkpoint(checkpoint_path)
    model = model_from_checkpoint(checkpoint)
    store = MelStore(feature_indexes)
    ids = list(manifest["track_id"])
    scores = predict_scores(model, store, ids, checkpoint["input_frames"], batch_size)
    out = pd.DataFrame(scores, columns=checkpoint["classes"])
    out.insert(0, "track_id", ids)
    return out


def write_predictions(df: pd.DataFrame, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, float_format="%.6f")


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
