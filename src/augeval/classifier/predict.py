"""Score a manifest's tracks with a trained classifier; prediction TSVs (``track_id`` + a column
of probabilities per class, in class order). Also the chunk embeddings the heads read
(:func:`embed_manifest`), for distances between real and generated clips.

The workflow's jobs (:func:`predict_outputs` for rules ``predict_classifier`` and
``predict_generated``, :func:`embed_outputs` for ``embed_clips`` and ``embed_score_clips``) run for
hours at paper scale, so they resume after a kill (:mod:`augeval.work_units`): every finished
batch is kept in the output's work folder (a prediction batch with the state of the evaluation
augmentation's generator after it, so the batches after it draw the same numbers), a rerun
skips the batches it finds, and a SIGTERM/SIGUSR1 stops the job after the batch in progress
(:mod:`augeval.preempt`). The outputs equal an uninterrupted run's, byte for byte.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from augeval.atomic import write_npz
from augeval.checkpoints import load_checkpoint
from augeval.classifier.model import MoodClassifier
from augeval.classifier.train import (
    checkpoint_windows,
    eval_augmentation,
    head_batches,
    load_windows,
    model_from_checkpoint,
    predict_scores,
)
from augeval.digest import json_digest
from augeval.errors import DataError
from augeval.features import MelStore
from augeval.preempt import Preemption
from augeval.work_units import (
    WorkUnits,
    file_fingerprint,
    mel_cache_fingerprint,
    work_dir_for,
)

WHAT = "the finished batches"


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
    n_frames, windows = checkpoint["input_frames"], checkpoint_windows(checkpoint)
    tables = []
    for manifest in manifests:
        ids = list(manifest["track_id"])
        augmentation = eval_augmentation(checkpoint.get("eval_augment"))  # None: older files
        scores = predict_scores(model, store, ids, n_frames, batch_size, augmentation, windows)
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


def _batch_name(batch: int) -> str:
    return f"batch-{batch:06d}"


def _finished_prefix(units: WorkUnits, n_batches: int) -> list[dict]:
    """The kept units of batches ``0, 1, ...`` up to the first missing or foreign one."""
    chunks = []
    for batch in range(n_batches):
        unit = units.load(_batch_name(batch))
        if unit is None:
            break
        chunks.append(unit)
    return chunks


def predict_resumable(
    checkpoint: dict,
    model: MoodClassifier,
    ids: list[str],
    store: MelStore,
    batch_size: int,
    units: WorkUnits,
    preempt: Preemption | None = None,
    where: str = "",
) -> pd.DataFrame:
    """The prediction table of ``ids`` (as :func:`predict_manifests`), batch by batch into
    ``units``: batches kept by an earlier run of the same settings are read, not recomputed.
    Batches are resumed as an unbroken run from the first (the evaluation augmentation's
    generator continues from the state saved with the last one kept)."""
    n_batches = math.ceil(len(ids) / batch_size)
    chunks = _finished_prefix(units, n_batches)
    units.report(len(chunks), n_batches, "batches")
    augmentation = eval_augmentation(checkpoint.get("eval_augment"))  # None: older files
    if chunks and augmentation is not None:
        augmentation.generator.set_state(torch.from_numpy(chunks[-1]["rng_state"]))
    n_frames = checkpoint["input_frames"]
    windows = checkpoint_windows(checkpoint)
    batches = head_batches(
        model, store, ids, n_frames, batch_size, augmentation, len(chunks), windows
    )
    for batch, mean, _ in batches:
        arrays = {"scores": mean}
        if augmentation is not None:
            arrays["rng_state"] = augmentation.generator.get_state().numpy()
        units.save(_batch_name(batch), arrays)
        chunks.append(arrays)
        if preempt is not None:
            preempt.saved(f"{where} batch {batch + 1} of {n_batches}", WHAT)
    if chunks:
        scores = np.concatenate([c["scores"] for c in chunks])
    else:
        scores = np.zeros((0, model.n_classes))
    out = pd.DataFrame(scores, columns=checkpoint["classes"])
    out.insert(0, "track_id", ids)
    return out


def predict_outputs(
    checkpoints: list[str | os.PathLike],
    manifest_paths: list[str | os.PathLike],
    feature_indexes: list[str | os.PathLike],
    batch_size: int,
    outputs: list[str | os.PathLike],
) -> None:
    """One job of rule ``predict_classifier``/``predict_generated``: every manifest's
    predictions under every checkpoint (a trial) into ``outputs`` (trial-major: each trial's
    manifests in order, in a folder named as the checkpoint's), resumably. The work folders go
    once every output is written (Snakemake removes the outputs of a job that fails)."""
    from augeval.data.manifest import read_manifest
    from augeval.predictions import write_predictions

    manifests = [read_manifest(m) for m in manifest_paths]
    outputs = [Path(o) for o in outputs]
    if len(outputs) != len(checkpoints) * len(manifests):
        raise ValueError(f"{len(outputs)} outputs for {len(checkpoints)} checkpoints")
    store = MelStore([str(f) for f in feature_indexes])
    features = mel_cache_fingerprint(feature_indexes)
    units_of = []
    with Preemption(minutes=None) as preempt:
        for i, checkpoint_path in enumerate(checkpoints):
            checkpoint = load_checkpoint(checkpoint_path)
            model = model_from_checkpoint(checkpoint)
            weights = file_fingerprint(checkpoint_path)
            for manifest, out in zip(manifests, outputs[i * len(manifests) :], strict=False):
                # a trial's predictions live beside its checkpoint's trial folder name
                if out.parent.name != Path(checkpoint_path).parent.name:
                    raise ValueError(
                        f"output {out} does not belong to checkpoint {checkpoint_path}"
                    )
                ids = list(manifest["track_id"])
                settings = {
                    "checkpoint": weights,
                    "features": features,
                    "track_ids": json_digest(ids, length=64),
                    "batch_size": int(batch_size),
                    "torch_threads": torch.get_num_threads(),  # float sums depend on it
                }
                units = WorkUnits(work_dir_for(out), settings, f"predictions {out}")
                units_of.append(units)
                table = predict_resumable(
                    checkpoint, model, ids, store, int(batch_size), units, preempt, str(out)
                )
                write_predictions(table, out)
    for units in units_of:
        units.clear()


def embed_resumable(
    model: MoodClassifier,
    ids: list[str],
    store: MelStore,
    n_frames: int,
    batch_size: int,
    units: WorkUnits,
    preempt: Preemption | None = None,
    where: str = "",
) -> np.ndarray:
    """:func:`embed_tracks` of ``ids``, batch by batch into ``units``: batches kept by an
    earlier run of the same settings are read, not recomputed (each batch is independent)."""
    n_batches = math.ceil(len(ids) / batch_size)
    kept = {b: units.load(_batch_name(b)) for b in range(n_batches)}
    kept = {b: u["embedding"] for b, u in kept.items() if u is not None}
    units.report(len(kept), n_batches, "batches")
    model.eval()
    device = next(model.parameters()).device
    out = []
    for batch, start in enumerate(range(0, len(ids), batch_size)):
        if batch in kept:
            out.append(kept.pop(batch))
            continue
        with torch.no_grad():
            x = load_windows(store, ids[start : start + batch_size], n_frames).to(device)
            emb = model.embed_chunks(x).float().cpu().numpy()
        units.save(_batch_name(batch), {"embedding": emb})
        out.append(emb)
        if preempt is not None:
            preempt.saved(f"{where} batch {batch + 1} of {n_batches}", WHAT)
    if not out:
        return np.zeros((0, model.n_chunks(n_frames), model.hidden), dtype=np.float32)
    return np.concatenate(out).astype(np.float32)


def embed_outputs(
    checkpoint_path: str | os.PathLike,
    names: list[str],
    manifest_paths: list[str | os.PathLike],
    feature_indexes: list[str | os.PathLike],
    batch_size: int,
    output: str | os.PathLike,
) -> None:
    """One job of rule ``embed_clips``/``embed_score_clips``: the chunk embeddings of each clip
    set ``names[i]`` (manifest ``manifest_paths[i]``) under one checkpoint into the ``.npz``
    ``output`` (``<set>.track_id``, ``<set>.embedding``), resumably and byte-reproducibly."""
    from augeval.data.manifest import read_manifest

    names, manifest_paths = list(names), list(manifest_paths)
    if len(names) != len(manifest_paths):
        raise DataError(
            f"{output}: {len(names)} clip set names for {len(manifest_paths)} manifests"
        )
    checkpoint = load_checkpoint(checkpoint_path)
    model = model_from_checkpoint(checkpoint)
    store = MelStore([str(f) for f in feature_indexes])
    base = {
        "checkpoint": file_fingerprint(checkpoint_path),
        "features": mel_cache_fingerprint(feature_indexes),
        "batch_size": int(batch_size),
        "torch_threads": torch.get_num_threads(),  # float sums depend on it
    }
    work = work_dir_for(output)
    arrays = {}
    with Preemption(minutes=None) as preempt:
        for name, manifest in zip(names, manifest_paths, strict=True):
            ids = list(read_manifest(manifest)["track_id"])
            settings = base | {"set": name, "track_ids": json_digest(ids, length=64)}
            units = WorkUnits(work / name, settings, f"embeddings {output} {name}")
            emb = embed_resumable(
                model, ids, store, checkpoint["input_frames"], int(batch_size), units, preempt,
                f"{output} {name}",
            )  # fmt: skip
            arrays[f"{name}.track_id"] = np.array(ids, dtype=str)
            arrays[f"{name}.embedding"] = emb
    write_npz(output, arrays, compress=False)  # as np.savez did, without its clock stamps
    WorkUnits(work, {}, "embeddings").clear()
