"""Training of the DDSP decoder: the in-memory excerpts (:class:`ClipSet`), the validation loss
and the resumable training loop (:func:`train_ddsp`).

Training minimises the multi-scale spectral loss between the re-synthesis and the excerpt; the
weights with the lowest validation loss are kept.

Checkpoints are plain dicts saved atomically (``model``, ``model_config``, ``feature_config``,
``best_epoch``, ``best_val_loss``, ``history``) and loaded with ``weights_only=True``. While
training, ``train_state.pt`` next to the checkpoint holds everything needed to resume (weights,
optimiser, best weights, RNG states, a digest of the configuration and excerpts); it is removed
at the end.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from augeval.checkpoints import save_checkpoint
from augeval.device import resolve_device
from augeval.digest import json_digest
from augeval.errors import AugevalError, DataError
from augeval.generators.ddsp_config import apply_threads, resolve_config
from augeval.generators.ddsp_features import (
    compute_features,
    feature_config,
    load_features,
    read_excerpt,
    select_features,
    train_excerpts,
)
from augeval.generators.ddsp_model import MODEL_KEYS, DDSPDecoder, build_model
from augeval.generators.ddsp_synth import multiscale_spectral_loss
from augeval.preempt import Preemption
from augeval.seeding import derive_seed
from augeval.train_state import TrainState

log = logging.getLogger("augeval.generators.ddsp")

# Keys that do not change what training computes (a resumed run may change them).
_RUNTIME_KEYS = ("device", "threads", "resources", "checkpoint_every", "checkpoint_minutes")
VALIDATION_NOISE_SEED = 1


@dataclass
class ClipSet:
    """Excerpts held in memory: ``audio`` ``(N, frames * hop)``, ``f0_hz``/``loudness_db``
    ``(N, frames)`` and their ``keys``."""

    keys: list[str]
    audio: np.ndarray
    f0_hz: np.ndarray
    loudness_db: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)

    def batch(self, idx, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        def t(a):
            return torch.from_numpy(np.ascontiguousarray(a[idx])).to(device)

        return t(self.audio), t(self.f0_hz), t(self.loudness_db)


def load_clip_set(
    manifest: pd.DataFrame,
    cfg: dict,
    features_path: str | os.PathLike | None,
    where: str,
    limit: int | None = None,
) -> ClipSet:
    """The fixed training/validation excerpts of ``manifest`` with their audio and features."""
    excerpts = train_excerpts(manifest, float(cfg["clip_seconds"]), int(cfg["excerpts_per_track"]))
    if limit is not None:
        excerpts = excerpts.iloc[:limit]
    if features_path is not None:
        table = load_features(features_path, cfg)
    else:
        log.info("%s: computing features of %d excerpts (no cache given)", where, len(excerpts))
        table = compute_features(excerpts, cfg)
    feats = select_features(table, excerpts["key"].tolist(), where=f"{where} features")
    hop, sr = int(cfg["hop"]), int(cfg["sample_rate"])
    audio = [read_excerpt(row, sr, hop) for row in excerpts.itertuples(index=False)]
    width = feats["f0_hz"].shape[1] if len(excerpts) else 0
    if any(len(a) != width * hop for a in audio):
        raise DataError(f"{where}: excerpt lengths differ from the cached feature frames")
    audio_arr = np.stack(audio) if audio else np.zeros((0, 0), np.float32)
    log.info(
        "%s: %d excerpts of %.1f s in memory (%.0f MB)",
        where,
        len(excerpts),
        width * hop / sr,
        audio_arr.nbytes / 1e6,
    )
    return ClipSet(excerpts["key"].tolist(), audio_arr, feats["f0_hz"], feats["loudness_db"])


# ---------------------------------------------------------------------------------------------
# training


@torch.no_grad()
def spectral_loss_of(
    model: DDSPDecoder, clips: ClipSet, cfg: dict, device: torch.device, noise_seed: int
) -> float:
    """Mean multi-scale spectral loss of the model's reconstructions of ``clips`` (eval mode,
    noise from ``noise_seed``, so repeated calls with the same weights agree)."""
    model.eval()
    gen = torch.Generator().manual_seed(noise_seed)
    total, count = 0.0, 0
    for start in range(0, len(clips), int(cfg["batch_size"])):
        idx = np.arange(start, min(start + int(cfg["batch_size"]), len(clips)))
        audio, f0, loudness = clips.batch(idx, device)
        y = model(f0, loudness, audio, generator=gen)
        loss = multiscale_spectral_loss(y, audio, cfg["fft_sizes"])
        total += float(loss) * len(idx)
        count += len(idx)
    return total / max(count, 1)


def _digest(cfg: dict, keys: list, seed: int) -> str:
    train_cfg = {k: v for k, v in cfg.items() if k not in _RUNTIME_KEYS}
    return json_digest([train_cfg, keys, seed])


def train_ddsp(
    train: ClipSet,
    validation: ClipSet,
    cfg: dict,
    seed: int,
    checkpoint_path: str | os.PathLike,
    on_epoch_end: Callable[[int], None] | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> dict:
    """Train on ``train``, keep the weights with the lowest validation loss, write the checkpoint
    atomically and return it. ``on_epoch_end(epoch)`` runs after each epoch's state is saved,
    ``on_step(epoch, step)`` after each optimiser step (``epoch`` counts completed epochs).

    Between epochs the state is also saved every ``checkpoint_minutes`` and on SIGTERM/SIGUSR1,
    which then raises :class:`augeval.preempt.Preempted` (see :mod:`augeval.preempt`); such a
    mid-epoch state keeps the epoch's batch order and position, so a resumed run continues with
    the next batch.

    With an empty validation set the last validated epoch's weights are kept (``best_val_loss`` is
    then that epoch's training loss).
    """
    minutes = resolve_config(cfg)["checkpoint_minutes"]
    with Preemption(minutes) as preempt:
        return _train(train, validation, cfg, seed, checkpoint_path, on_epoch_end, on_step, preempt)


def _train(train, validation, cfg, seed, checkpoint_path, on_epoch_end, on_step, preempt):
    if len(train) == 0:
        raise DataError("ddsp: no training excerpts (is the train manifest empty?)")
    cfg = resolve_config(cfg)
    apply_threads(cfg)
    device = resolve_device(cfg["device"])
    checkpoint_path = Path(checkpoint_path)
    state_path = checkpoint_path.with_name("train_state.pt")
    digest = _digest(cfg, [train.keys, validation.keys], seed)
    epochs, batch_size = int(cfg["epochs"]), int(cfg["batch_size"])
    max_steps = cfg["max_steps"]  # None: every epoch runs in full
    if max_steps is not None:  # the epoch holding step max_steps is the last (cut there)
        epochs = min(epochs, math.ceil(int(max_steps) / math.ceil(len(train) / batch_size)))

    torch.manual_seed(seed)
    model = build_model(cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(cfg["lr"]))
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(derive_seed(seed, "ddsp-noise"))
    epoch, step, best_epoch, best_loss = 0, 0, -1, math.inf
    best_state = copy.deepcopy(model.state_dict())
    history: list[dict] = []
    parts = {"model": model, "optimizer": optimizer, "numpy_rng": rng, "noise_rng": gen}
    train_state = TrainState(state_path, digest, parts, batch_size=batch_size, log=log)
    state = train_state.load(f"epoch {{epoch}}/{epochs}", " + {batches} batches (step {step})")
    if state is not None:
        best_state, best_loss, best_epoch = state["best"], state["best_loss"], state["best_epoch"]
        epoch, step, history = state["epoch"], state["step"], state["history"]

    n_params = sum(p.numel() for p in model.parameters())
    log.info(
        "ddsp: %d train / %d validation excerpts, %d parameters, device %s",
        len(train),
        len(validation),
        n_params,
        device,
    )

    def save_state(position=None):
        best = {"best": best_state, "best_loss": best_loss, "best_epoch": best_epoch}
        train_state.save({"epoch": epoch, "step": step, "history": history} | best, position)

    while epoch < epochs:
        t0 = time.monotonic()
        model.train()
        order, first, losses = train_state.epoch_position(lambda: rng.permutation(len(train)))
        for start in range(first, len(order), batch_size):
            idx = order[start : start + batch_size]
            audio, f0, loudness = train.batch(idx, device)
            noise = torch.rand((len(idx), f0.shape[1], model.hop), generator=gen) * 2 - 1
            lr = float(cfg["lr"]) * float(cfg["lr_decay"]) ** (step / float(cfg["lr_decay_steps"]))
            for group in optimizer.param_groups:
                group["lr"] = lr
            y = model(f0, loudness, audio, noise=noise.to(device))
            loss = multiscale_spectral_loss(y, audio, cfg["fft_sizes"])
            if not torch.isfinite(loss):
                raise AugevalError(
                    f"ddsp: non-finite training loss at epoch {epoch + 1} step {step}; "
                    "lower generators.ddsp.lr or grad_clip"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), float(cfg["grad_clip"]))
            optimizer.step()
            step += 1
            losses.append(loss.item())
            if preempt.save_due():
                save_state((order, start + batch_size, losses))
                preempt.saved(f"epoch {epoch + 1} step {step}")
            if on_step is not None:
                on_step(epoch, step)
            if max_steps is not None and step >= int(max_steps):
                break
        epoch += 1
        entry = {"epoch": epoch, "step": step, "lr": lr, "loss": float(np.mean(losses))}
        validate = epoch % int(cfg["val_every"]) == 0 or epoch == epochs
        improved = False
        if validate and len(validation):
            val_loss = spectral_loss_of(model, validation, cfg, device, VALIDATION_NOISE_SEED)
            entry["val_loss"] = val_loss
            improved = val_loss < best_loss
        elif validate:  # no validation data: keep the latest weights
            improved = True
            val_loss = entry["loss"]
        if improved:
            best_loss, best_epoch = val_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
        entry["seconds"] = time.monotonic() - t0
        history.append(entry)
        log.info(
            "epoch %d/%d step %d lr %.1e loss %.4f val %s (%.1f s)%s",
            epoch,
            epochs,
            step,
            lr,
            entry["loss"],
            f"{entry['val_loss']:.4f}" if "val_loss" in entry else "-",
            entry["seconds"],
            " *best*" if improved else "",
        )
        if epoch % int(cfg["checkpoint_every"]) == 0 or epoch == epochs:
            save_state()
            preempt.saved(f"epoch {epoch}")
        if on_epoch_end is not None:
            on_epoch_end(epoch)

    result = {
        "generator": "ddsp",
        "model": {k: v.cpu() for k, v in best_state.items()},
        "model_config": {k: cfg[k] for k in MODEL_KEYS},
        "feature_config": feature_config(cfg),
        "best_epoch": best_epoch,
        "best_val_loss": best_loss,
        "history": history,
    }
    save_checkpoint(result, checkpoint_path)
    state_path.unlink(missing_ok=True)
    log.info("kept epoch %d: validation spectral loss %.4f", best_epoch, best_loss)
    return result
