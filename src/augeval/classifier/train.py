"""Train the mood classifier on cached mels; select the epoch on the validation split.

Readable top to bottom: :func:`train_classifier` runs the configured phases (e.g. the reference
schedule: Adam 1e-4 for 60 epochs, then SGD at 1e-3, 1e-4, 1e-5 for 20 epochs each, each SGD phase
restarting from the best weights so far), logs one line per epoch, keeps the weights that score best
on ``selection_metric`` over the validation split, and saves a resumable training state every
``checkpoint_every`` epochs so a killed or preempted job continues where it stopped. Between
epochs it also saves every ``checkpoint_minutes`` minutes and on SIGTERM/SIGUSR1 (then stops, see
:mod:`augeval.preempt`); such a mid-epoch state holds the epoch's batch order and position, so the
resumed run continues with the very next batch.

Configuration (``cfg``, the workflow's ``classifier`` block): keys and defaults in
``workflow/schemas/config.schema.yaml``, block ``classifier`` (or ``config/README.md``);
:func:`train_classifier` fills in the defaults of a partial dict from there.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from augeval import config_schema
from augeval.checkpoints import save_checkpoint
from augeval.classifier import augment
from augeval.classifier.data import DB_SCALE, random_offset
from augeval.classifier.model import MoodClassifier
from augeval.data.manifest import label_matrix
from augeval.digest import json_digest
from augeval.errors import ConfigError, TrainingError
from augeval.features import MelStore
from augeval.metrics import ranking_metrics
from augeval.preempt import Preemption
from augeval.train_state import TrainState

log = logging.getLogger("augeval.classifier")

MODEL_KEYS = (
    "width_mult",
    "pretrained",
    "chunk_frames",
    "out_conv_padding",
    "last_channels",
    "memory_format",
)
MEMORY_FORMATS = {"channels_last": torch.channels_last, "contiguous": torch.contiguous_format}
RUNTIME_KEYS = ("checkpoint_minutes",)  # may change between a run and its resumption


def build_model(n_classes: int, cfg: dict, n_mels: int) -> MoodClassifier:
    cfg = config_schema.fill(cfg, "classifier")  # e.g. a checkpoint older than out_conv_padding
    model = MoodClassifier(
        n_classes,
        n_mels=n_mels,
        chunk_frames=cfg["chunk_frames"],
        width_mult=cfg["width_mult"],
        pretrained=cfg["pretrained"],
        out_conv_padding=cfg["out_conv_padding"],
        last_channels=cfg["last_channels"],
    )
    return model.to(memory_format=MEMORY_FORMATS[cfg["memory_format"]])


def _diverged(what: str, phase_index: int, phase: dict) -> TrainingError:
    """The error of a training whose numbers became non-finite: what, where, and the fix."""
    return TrainingError(
        f"classifier training diverged: {what} (classifier.schedule[{phase_index}]: "
        f"{phase['optimizer']} at lr {phase['lr']:g}). Lower that phase's lr, or train longer at "
        "a smaller one; a tiny model or batch can also lose every activation at a high lr. "
        "A changed schedule restarts the training (its saved state is for the old settings)"
    )


# classifier.optimizer_impl -> torch.optim keyword arguments (same update, different kernels)
OPTIMIZER_IMPL = {
    "loop": {"foreach": False},
    "foreach": {"foreach": True},
    "fused": {"fused": True},
}


def make_optimizer(model: torch.nn.Module, phase: dict, impl: str) -> torch.optim.Optimizer:
    """The phase's optimiser; ``impl`` (``classifier.optimizer_impl``) picks torch's kernel: a
    Python loop over the tensors, ``foreach`` (grouped), or ``fused`` (one kernel; on the demo
    model's CPU step 4.7 ms against 14.7 for the loop). They differ in the last bits only."""
    phase = config_schema.fill(phase, "classifier.schedule[]")
    kind = phase["optimizer"]
    if impl not in OPTIMIZER_IMPL:
        allowed = ", ".join(OPTIMIZER_IMPL)
        raise ConfigError(f"classifier.optimizer_impl {impl!r}; allowed: {allowed}")
    kernel = OPTIMIZER_IMPL[impl]
    if kind == "adam":
        return torch.optim.Adam(model.parameters(), lr=phase["lr"], **kernel)
    if kind == "sgd":
        return torch.optim.SGD(
            model.parameters(),
            lr=phase["lr"],
            momentum=phase["momentum"],
            nesterov=phase["nesterov"],
            weight_decay=phase["weight_decay"],
            **kernel,
        )
    raise ConfigError(f"classifier.schedule optimizer {kind!r}; allowed: adam, sgd")


def set_sgd_phase(optimizer: torch.optim.Optimizer, phase: dict) -> None:
    """Give a kept SGD optimiser the next phase's settings; its momentum buffers stay."""
    phase = config_schema.fill(phase, "classifier.schedule[]")
    for group in optimizer.param_groups:
        group["lr"] = phase["lr"]
        group["momentum"] = phase["momentum"]
        group["nesterov"] = phase["nesterov"]
        group["weight_decay"] = phase["weight_decay"]


def load_windows(store: MelStore, track_ids, n_frames: int, offsets=None) -> torch.Tensor:
    """Stack model inputs ``(B, n_mels, n_frames)`` in dB / 100."""
    windows = [
        store.window(track_id, n_frames, 0 if offsets is None else offsets[i])
        for i, track_id in enumerate(track_ids)
    ]
    return torch.from_numpy(np.stack(windows) / DB_SCALE).float()


def window_offsets(length: int, n_frames: int, windows: int) -> list[int]:
    """Start frames of ``windows`` evenly spaced ``n_frames`` windows over a track's ``length``
    cached frames (``classifier.eval_windows``): one window is the track's first frames (the
    reference); more run from the first frames to the last, overlapping where the track is short
    (a track no longer than one window gives the same window each time)."""
    if windows < 1:
        raise ConfigError(f"classifier.eval_windows must be at least 1, got {windows}")
    room = max(length - n_frames, 0)
    if windows == 1:
        return [0]
    return [round(k * room / (windows - 1)) for k in range(windows)]


def checkpoint_windows(checkpoint: dict) -> int:
    """The ``eval_windows`` a checkpoint was trained with (the schema default for files written
    before the key existed: their scores came from the first frames)."""
    given = {"eval_windows": checkpoint["eval_windows"]} if "eval_windows" in checkpoint else {}
    return config_schema.fill(given, "classifier")["eval_windows"]


def head_batches(
    model: MoodClassifier,
    store: MelStore,
    track_ids: list[str],
    n_frames: int,
    batch_size: int,
    augmentation: Callable[[torch.Tensor], torch.Tensor] | None = None,
    first_batch: int = 0,
    windows: int = 1,
):
    """Yield ``(batch, mean, attention)`` for the batches of ``batch_size`` tracks from batch
    ``first_batch`` on: what :func:`predict_heads` concatenates. Each track's probabilities are
    the average over its ``windows`` windows (:func:`window_offsets`). A resumed prediction
    starts at ``first_batch`` with the augmentation's generator where the earlier run left it."""
    model.eval()
    device = next(model.parameters()).device
    for batch, start in enumerate(range(0, len(track_ids), batch_size)):
        if batch < first_batch:
            continue
        ids = track_ids[start : start + batch_size]
        starts = [window_offsets(store.length(t), n_frames, windows) for t in ids]
        mean = head_a = 0.0
        with torch.no_grad():
            for k in range(windows):
                x = load_windows(store, ids, n_frames, [s[k] for s in starts])
                if augmentation is not None:
                    x = augmentation(x)
                outputs = model(x.to(device))
                # .float(): under bf16 autocast (classifier.precision) the outputs are bfloat16
                mean = mean + model.probabilities(outputs).float().cpu().numpy()
                head_a = head_a + torch.sigmoid(outputs[0]).float().cpu().numpy()
        yield batch, mean / windows, head_a / windows


def predict_heads(
    model: MoodClassifier,
    store: MelStore,
    track_ids: list[str],
    n_frames: int,
    batch_size: int,
    augmentation: Callable[[torch.Tensor], torch.Tensor] | None = None,
    windows: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, attention)`` class probabilities of each track from its first ``n_frames`` (or
    averaged over ``windows`` windows, :func:`window_offsets`): the prediction (mean of both
    heads) and head A's alone. Deterministic unless ``augmentation`` (applied to each batch of
    inputs, see :func:`eval_augmentation`) is given."""
    mean, head_a = [], []
    batches = head_batches(model, store, track_ids, n_frames, batch_size, augmentation, 0, windows)
    for _, m, a in batches:
        mean.append(m)
        head_a.append(a)
    if not mean:
        return np.zeros((0, model.n_classes)), np.zeros((0, model.n_classes))
    return np.concatenate(mean), np.concatenate(head_a)


def predict_scores(
    model: MoodClassifier,
    store: MelStore,
    track_ids: list[str],
    n_frames: int,
    batch_size: int,
    augmentation: Callable[[torch.Tensor], torch.Tensor] | None = None,
    windows: int = 1,
) -> np.ndarray:
    """Class probabilities (mean of both heads) of each track from its first ``n_frames`` (or
    averaged over ``windows`` windows)."""
    return predict_heads(model, store, track_ids, n_frames, batch_size, augmentation, windows)[0]


def crop_per_chunk(x: torch.Tensor, gen: torch.Generator, chunk: int, p: float) -> torch.Tensor:
    """Random resized crop applied to each ``(n_mels, chunk)`` chunk, as the model sees them."""
    b, f, t = x.shape
    chunks = x.reshape(b, f, t // chunk, chunk).permute(0, 2, 1, 3).reshape(-1, f, chunk)
    chunks = augment.random_resized_crop(chunks, gen, p=p)
    return chunks.reshape(b, t // chunk, f, chunk).permute(0, 2, 1, 3).reshape(b, f, t)


def augment_inputs(x: torch.Tensor, gen: torch.Generator, aug: dict, chunk: int) -> torch.Tensor:
    """The input augmentations of a training batch (filled ``classifier.augment`` block):
    random resized crop per chunk (``resized_crop_scope: chunk``) or of the whole input as the
    reference does (``input``: always its central frames, see
    :func:`augment._reference_crop_box`), then SpecAugment."""
    scope = aug["resized_crop_scope"]
    if scope == "chunk":
        x = crop_per_chunk(x, gen, chunk, aug["resized_crop_p"])
    elif scope == "input":
        x = augment.random_resized_crop(x, gen, p=aug["resized_crop_p"], box="reference")
    else:
        raise ConfigError(
            f"classifier.augment.resized_crop_scope must be 'chunk' or 'input', got {scope!r}"
        )
    return augment.spec_augment(x, gen, p=aug["specaugment_p"])


def _sub_seed(*keys: int) -> int:
    """A seed for a side stream (BN batches, evaluation augmentation, mixup partners) derived
    from ``keys``, so that it leaves the training streams untouched and needs no saved state."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0])


def eval_augment_spec(cfg: dict, seed: int) -> dict | None:
    """What :func:`eval_augmentation` needs for ``classifier.eval_augment`` (filled block):
    None for ``none``; the training augmentations (not mixup) and ``seed`` for ``reference``."""
    mode = cfg["eval_augment"]
    if mode == "none":
        return None
    if mode != "reference":
        raise ConfigError(f"classifier.eval_augment must be 'none' or 'reference', got {mode!r}")
    return {"augment": dict(cfg["augment"]), "chunk_frames": cfg["chunk_frames"], "seed": seed}


class EvalAugmentation:
    """The evaluation-time augmentation of one prediction: every call draws from one
    ``torch.Generator`` (``generator``, whose state a resumable prediction saves per batch)."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.generator = torch.Generator().manual_seed(spec["seed"])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return augment_inputs(x, self.generator, self.spec["augment"], self.spec["chunk_frames"])


def eval_augmentation(spec: dict | None) -> EvalAugmentation | None:
    """The evaluation-time augmentation a checkpoint's ``eval_augment`` entry asks for (the
    reference's validation and test loaders augmented their inputs), or None (deterministic).

    ``spec`` holds the ``augment`` block, ``chunk_frames`` and a ``seed``; each call of the
    returned function draws from one generator seeded with it, so a prediction is repeatable.
    """
    if spec is None:
        return None
    return EvalAugmentation(spec)


@torch.no_grad()
def recalibrate_batchnorm(
    model: MoodClassifier,
    store: MelStore,
    track_ids: list[str],
    n_frames: int,
    batch_size: int,
    max_batches: int,
    seed: int | None = None,
) -> list[str]:
    """Re-estimate every BatchNorm's running statistics on (up to ``max_batches``) training
    batches with the current weights ("precise BN"); return the track ids it read.

    The running averages kept during training lag behind weights that change quickly, which makes
    evaluation-mode scores erratic on small data; a cumulative average over a pass of real
    training inputs (no augmentation, dropout off) fixes that at the cost of a forward pass. With
    a ``seed`` the batches are a random sample of the training rows drawn with it
    (``bn_sample: random``); without, the first rows in manifest order (``bn_sample: first``; a
    manifest lists the real tracks first, so these can leave out every generated row).
    """
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms or max_batches == 0:
        return []
    if seed is None:
        chosen = list(track_ids[: max_batches * batch_size])
    else:
        order = np.random.default_rng(seed).permutation(len(track_ids))
        chosen = [track_ids[i] for i in order[: max_batches * batch_size]]
    saved = [m.momentum for m in norms]
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
        m.train()
    device = next(model.parameters()).device
    with torch.no_grad():  # running statistics update without a graph; same numbers
        for start in range(0, len(chosen), batch_size):
            model(load_windows(store, chosen[start : start + batch_size], n_frames).to(device))
    for m, momentum in zip(norms, saved, strict=True):
        m.momentum = momentum
    model.eval()
    return chosen


def epoch_examples(train_df: pd.DataFrame, epoch_size: str) -> int:
    """Examples per epoch: all rows, or as many as the real rows (``source == "real"``)."""
    if epoch_size == "all":
        return len(train_df)
    if epoch_size == "real":
        n_real = int((train_df["source"] == "real").sum()) if "source" in train_df else 0
        return n_real or len(train_df)  # no real rows (train on generated only): all of them
    raise ConfigError(f"classifier.epoch_size must be 'all' or 'real', got {epoch_size!r}")


def _config_digest(cfg: dict, classes, n_train: int, seed: int) -> str:
    cfg = {k: v for k, v in cfg.items() if k not in RUNTIME_KEYS}
    return json_digest([cfg, list(classes), n_train, seed])


def train_classifier(
    train_df: pd.DataFrame,
    val_df: pd.DataFrame,
    classes: list[str],
    store: MelStore,
    cfg: dict,
    n_mels: int,
    seed: int,
    checkpoint_path: str | os.PathLike,
    device: str | torch.device = "cpu",
    on_epoch_end: Callable[[int], None] | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> dict:
    """Train, select on validation, write ``checkpoint_path`` atomically; return its contents.

    ``on_epoch_end(epoch)`` is called after each epoch's resumable state is saved,
    ``on_step(epoch, batch)`` after each optimiser step (``epoch`` counts completed epochs).
    A SIGTERM/SIGUSR1 saves the state and raises :class:`augeval.preempt.Preempted`.
    """
    cfg = config_schema.fill(cfg, "classifier")  # a no-op on the workflow's (filled) config
    with Preemption(cfg["checkpoint_minutes"]) as preempt:
        return _train(
            train_df, val_df, classes, store, cfg, n_mels, seed, checkpoint_path, device,
            on_epoch_end, on_step, preempt,
        )  # fmt: skip


def _train(
    train_df, val_df, classes, store, cfg, n_mels, seed, checkpoint_path, device,
    on_epoch_end, on_step, preempt: Preemption,
) -> dict:  # fmt: skip
    checkpoint_path = Path(checkpoint_path)
    state_path = checkpoint_path.with_name("train_state.pt")
    n_frames = cfg["input_frames"]
    aug = cfg["augment"]  # absent: the schema default, no augmentation
    phases = cfg["schedule"]
    digest = _config_digest(cfg, classes, len(train_df), seed)

    torch.manual_seed(seed)
    model = build_model(len(classes), cfg, n_mels).to(device)
    y_train = torch.from_numpy(label_matrix(train_df, classes).astype(np.float32))
    if cfg["output_bias"] == "prior":  # before a resumed state, which then overwrites it
        model.init_output_bias(y_train.mean(0))
    y_val = label_matrix(val_df, classes)
    train_ids, val_ids = list(train_df["track_id"]), list(val_df["track_id"])
    lengths = np.array([store.length(t) for t in train_ids])
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)

    epoch_size = epoch_examples(train_df, cfg["epoch_size"])
    log.info("%d examples per epoch from %d train rows", epoch_size, len(train_ids))
    total_epochs = sum(p["epochs"] for p in phases)
    epoch, best_metric, best_epoch = 0, -math.inf, -1
    best_state = copy.deepcopy(model.state_dict())
    history: list[dict] = []
    optimizer_state = None
    parts = {"model": model, "numpy_rng": rng, "torch_gen": gen}  # the optimizer: per phase
    train_state = TrainState(state_path, digest, parts, batch_size=cfg["batch_size"], log=log)
    state = train_state.load(f"epoch {{epoch}}/{total_epochs}", " + {batches} batches")
    if state is not None:
        best_state, best_metric = state["best"], state["best_metric"]
        epoch, best_epoch, history = state["epoch"], state["best_epoch"], state["history"]
        optimizer_state = state["optimizer"]

    def training_batch(idx, rng, gen):
        """Inputs and targets of the train rows ``idx``, windowed and augmented."""
        offsets = [
            random_offset(lengths[i], n_frames, rng) if cfg["crop"] == "random" else 0 for i in idx
        ]
        x = load_windows(store, [train_ids[i] for i in idx], n_frames, offsets)
        return augment_inputs(x, gen, aug, cfg["chunk_frames"]), y_train[idx]

    def save_state(optimizer, position=None):
        fields = {"epoch": epoch, "history": history, "optimizer": optimizer.state_dict()}
        best = {"best": best_state, "best_metric": best_metric, "best_epoch": best_epoch}
        train_state.save(fields | best, position)

    optimizer = None
    phase_start = 0
    for phase_index, phase in enumerate(phases):
        phase_end = phase_start + phase["epochs"]
        if epoch >= phase_end:
            phase_start = phase_end
            continue
        previous = phases[phase_index - 1]["optimizer"] if phase_index else None
        keep = cfg["keep_sgd_optimizer"] and previous == phase["optimizer"] == "sgd"
        if epoch == phase_start and train_state.position is None:  # the phase starts now
            if keep:  # one SGD optimiser across LR drops, as the reference: momentum carries on
                if optimizer is None:  # resumed at this phase boundary
                    optimizer = make_optimizer(model, phase, cfg["optimizer_impl"])
                    if optimizer_state is not None:
                        optimizer.load_state_dict(optimizer_state)
                set_sgd_phase(optimizer, phase)
            else:
                optimizer = make_optimizer(model, phase, cfg["optimizer_impl"])
            if phase["reload_best"] and best_epoch >= 0:
                model.load_state_dict(best_state)
                log.info("phase %d: reloaded best weights (epoch %d)", phase_index, best_epoch)
        else:  # resumed inside this phase
            optimizer = make_optimizer(model, phase, cfg["optimizer_impl"])
            if optimizer_state is not None:
                optimizer.load_state_dict(optimizer_state)
        optimizer_state = None
        warmup = config_schema.fill(phase, "classifier.schedule[]")["warmup_epochs"]
        while epoch < phase_end:
            t0 = time.monotonic()
            model.train()
            order, first, losses = train_state.epoch_position(
                lambda: rng.permutation(len(train_ids))[:epoch_size]
            )
            if aug["mixup"] and aug["mixup_style"] == "reference":  # the second loader's order
                partners = np.random.default_rng(_sub_seed(seed, epoch, 1)).permutation(
                    len(train_ids)
                )[: len(order)]
            steps = math.ceil(len(order) / cfg["batch_size"])  # optimiser steps per epoch
            for start in range(first, len(order), cfg["batch_size"]):
                idx = order[start : start + cfg["batch_size"]]
                x, y = training_batch(idx, rng, gen)
                if aug["mixup"] and aug["mixup_style"] == "reference":
                    x2, y2 = training_batch(partners[start : start + cfg["batch_size"]], rng, gen)
                    x, y = augment.mixup_pairs(x, y, x2, y2, gen, alpha=aug["mixup_alpha"])
                elif aug["mixup"] and len(idx) > 1:
                    x, y = augment.mixup(x, y, gen, alpha=aug["mixup_alpha"])
                x, y = x.to(device), y.to(device)  # augmentations ran on the CPU generator
                if warmup:  # from the step's position alone: a resumed run sets the same lr
                    done = (epoch - phase_start) * steps + start // cfg["batch_size"] + 1
                    for group in optimizer.param_groups:
                        group["lr"] = phase["lr"] * min(1.0, done / (warmup * steps))
                loss = model.loss(model(x), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg["grad_clip"] is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
                optimizer.step()
                losses.append(loss.item())
                batch = start // cfg["batch_size"] + 1
                if not math.isfinite(losses[-1]):
                    raise _diverged(f"loss {losses[-1]} at epoch {epoch + 1} batch {batch}",
                                    phase_index, phase)  # fmt: skip
                if preempt.save_due():
                    save_state(optimizer, (order, start + cfg["batch_size"], losses))
                    preempt.saved(f"epoch {epoch + 1} batch {batch}")
                if on_step is not None:
                    on_step(epoch, batch)
            recalibrate_batchnorm(
                model, store, train_ids, n_frames, cfg["batch_size"], cfg["bn_batches"],
                seed=_sub_seed(seed, epoch, 2) if cfg["bn_sample"] == "random" else None,
            )  # fmt: skip
            eval_spec = eval_augment_spec(cfg, _sub_seed(seed, epoch, 3))
            scores, scores_a = predict_heads(
                model, store, val_ids, n_frames, cfg["batch_size"], eval_augmentation(eval_spec),
                cfg["eval_windows"],
            )  # fmt: skip
            if not np.isfinite(scores).all():
                raise _diverged(f"non-finite validation scores after epoch {epoch + 1}",
                                phase_index, phase)  # fmt: skip
            val = ranking_metrics(y_val, scores)
            entry = {"epoch": epoch + 1, "loss": float(np.mean(losses)), **val}
            if cfg["selection_head"] == "attention":  # the reference selects on head A
                val_a = ranking_metrics(y_val, scores_a)
                entry |= {f"attention_{k}": v for k, v in val_a.items()}
                metric = val_a[cfg["selection_metric"]]
            else:
                metric = val[cfg["selection_metric"]]
            epoch += 1
            improved = metric > best_metric
            if improved:
                best_metric, best_epoch = metric, epoch
                best_state = copy.deepcopy(model.state_dict())
            history.append(entry)
            log.info(
                "epoch %d/%d phase %d lr %.1e loss %.4f val roc_auc_macro %.4f pr_auc_macro %.4f"
                " (%.1f s)%s",
                epoch,
                total_epochs,
                phase_index,
                phase["lr"],
                np.mean(losses),
                val["roc_auc_macro"],
                val["pr_auc_macro"],
                time.monotonic() - t0,
                " *best*" if improved else "",
            )
            if cfg["reload_best"] == "every_epoch":  # the paper's fork
                model.load_state_dict(best_state)
            if epoch % cfg["checkpoint_every"] == 0 or epoch == total_epochs:
                save_state(optimizer)
                preempt.saved(f"epoch {epoch}")
            if on_epoch_end is not None:
                on_epoch_end(epoch)
        phase_start = phase_end

    result = {
        "model": best_state,
        "classes": list(classes),
        "model_config": {k: cfg[k] for k in MODEL_KEYS} | {"n_mels": n_mels},
        "input_frames": n_frames,
        "eval_windows": cfg["eval_windows"],
        "best_epoch": best_epoch,
        "selection_metric": cfg["selection_metric"],
        "best_metric": best_metric,
        "selection_head": cfg["selection_head"],
        "history": history,
        # the test-time augmentation the reference applied (None: deterministic predictions)
        "eval_augment": eval_augment_spec(cfg, _sub_seed(seed, total_epochs, 3)),
    }
    save_checkpoint(result, checkpoint_path)
    state_path.unlink(missing_ok=True)
    log.info(
        "kept epoch %d: validation %s = %.4f", best_epoch, cfg["selection_metric"], best_metric
    )
    return result


def model_from_checkpoint(checkpoint: dict) -> MoodClassifier:
    mc = dict(checkpoint["model_config"])
    mc["pretrained"] = "none"  # the trained weights replace any initialisation
    model = build_model(len(checkpoint["classes"]), mc, mc["n_mels"])
    model.load_state_dict(checkpoint["model"])
    return model.eval()
