"""Score a manifest's tracks with a trained classifier; prediction TSVs (``track_id`` + a column
of probabilities per class, in class order). Also the chunk embeddings the heads read
(:func:`embed_manifest`), for distances between real and generated clips."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import torch

from augeval.checkpoints import load_checkpoint
from augeval.classifier.model import MoodClassifier
from augeval.classifier.train import (
    eval_augmentation,
    load_windows,
    model_from_checkpoint,
    predict_scores,
)
from augeval.features import MelStore


def predict_manifest(
    checkpoint_path: str | os.PathLike,
    manifest: pd.DataFrame,
    feature_indexes: list[str],
    batch_size: int,
) -> pd.DataFrame:
    """Scores of the manifest's tracks; under the training augmentations when the checkpoint
    was trained with ``classifier.eval_augment: reference`` (the reference's test loader), with a
    fixed seed, so the same call gives the same scores."""
    return predict_manifests(checkpoint_path, [manifest], MelStore(feature_indexes), batch_size)[0]


def predict_manifests(
    checkpoint_path: str | os.PathLike,
    manifests: list[pd.DataFrame],
    store: MelStore,
    batch_size: int,
) -> list[pd.DataFrame]:
    """:func:`predict_manifest` of each manifest with one model load: the same scores as one
    call per manifest (the evaluation augmentation, if any, restarts from its seed for each)."""
    checkpoint = load_checkpoint(checkpoint_path)
    model = model_from_checkpoint(checkpoint)
    n_frames = checkpoint["input_frames"]
    tables = []
    for manifest in manifests:
        ids = list(manifest["track_id"])
        augmentation = eval_augmentation(checkpoint.get("eval_augment"))  # None: older files
        scores = predict_scores(model, store, ids, n_frames, batch_size, augmentation)
        out = pd.DataFrame(scores, columns=checkpoint["classes"])
        out.insert(0, "track_id", ids)
        tables.append(out)
    return tables


@torch.no_grad()
def embed_tracks(
    model: MoodClassifier, store: MelStore, track_ids: list[str], n_frames: int, batch_size: int
) -> np.ndarray:
    """Chunk embeddings ``(n_tracks, n_chunks, hidden)`` of each track's first ``n_frames`` (the
    window :func:`~augeval.classifier.train.predict_scores` scores): the features both heads
    read, before any head. Always deterministic (no ``eval_augment``)."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(track_ids), batch_size):
        x = load_windows(store, track_ids[start : start + batch_size], n_frames).to(device)
        out.append(model.embed_chunks(x).float().cpu().numpy())
    if not out:
        return np.zeros((0, model.n_chunks(n_frames), model.hidden), dtype=np.float32)
    return np.concatenate(out).astype(np.float32)


def embed_manifest(
    checkpoint_path: str | os.PathLike,
    manifest: pd.DataFrame,
    feature_indexes: list[str],
    batch_size: int,
) -> tuple[list[str], np.ndarray]:
    """``(track_ids, embeddings)`` of a manifest's tracks under a trained classifier."""
    checkpoint = load_checkpoint(checkpoint_path)
    model = model_from_checkpoint(checkpoint)
    ids = list(manifest["track_id"])
    store = MelStore(feature_indexes)
    return ids, embed_tracks(model, store, ids, checkpoint["input_frames"], batch_size)
