"""SampleRNN generator: trained per label set on the real train split, sampled primed.

The network and sampler live in :mod:`augeval.generators.samplernn_model`, the sample codecs in
:mod:`augeval.generators.quantize`; this module trains it (:meth:`SampleRNNGenerator.fit`) and
continues real primes with it (:meth:`SampleRNNGenerator.generate`).

Configuration keys (``cfg``): see ``workflow/schemas/config.schema.yaml``, block
``generators.samplernn`` (or ``config/README.md``); its defaults are the reference best config at
paper size, filled in by :func:`resolve_config`. The demo's sizes (``config/config.yaml``) train
in about 80 s on one CPU core on the demo corpus and reach ~3.5 validation bits per sample.
``frame_sizes`` are the frame tiers bottom-up (the lookback is their product; ``seq_len`` must be
a multiple of it); ``chunk_seconds`` is one training example, cut into ``seq_len`` segments with
the hidden state carried across them; ``save_every`` null means ``val_every``;
``checkpoint_minutes`` also saves every that many minutes, and a SIGTERM/SIGUSR1 saves at the
next step and stops (:mod:`augeval.preempt`).

Written clip: ``clip_seconds`` long either way. ``include_prime`` false writes ``clip_seconds`` of
continuation; true (the paper's: 10 s = 4 s prime + 6 s) writes the prime as quantised followed by
``clip_seconds`` − prime of continuation (so ``clip_seconds`` must exceed the rounded prime).
:func:`augeval.generators.registry.written_seconds` declares this length to the budget.

Class conditioning (``class_conditioning: true``, the paper code's): every frame tier adds a
learned embedding of the example's class (:mod:`augeval.generators.samplernn_model`). The classes
are the sorted labels of the train manifest; a training example carries the class of the track it
was cut from, and for a multi-label track one of its classes drawn uniformly by the example's own
seeded generator (stream ``(seed, 2, batch)``, separate from the track/offset draws, so the
unconditional plan is unchanged). A validation excerpt is labelled the same way (stream
``(seed, 3)``). Generation conditions each clip on its source's ``drawn_class``; the checkpoint
stores the class list, and a class it does not hold is a :class:`DataError`.

Quantisation (``quantization``): ``mu_law`` (ours) is a fixed codec that keeps the audio's
scale; ``linear`` (the paper code's) min-max normalises every training excerpt, validation excerpt
and prime on its own (:func:`read_excerpt`, the primes' batch row by row) and decodes the sampled
levels linearly, without undoing the normalisation (see :mod:`augeval.generators.quantize`).

Warm-up (``warm_up``): ``full`` (ours) runs the frame tiers teacher-forced over the whole prime
before sampling; ``lookback`` (the paper code's) starts sampling from the learned initial states,
so only the prime's last lookback samples reach the network.

Training streams random ``chunk_seconds`` excerpts (track drawn in proportion to ``duration_s``,
offset uniform) decoded by a small thread pool one batch ahead, so the data set is never held in
memory. The example plan of batch ``c`` is a pure function of ``(seed, c)``, which makes a resumed
run draw the same data as an uninterrupted one. Validation NLL (bits per sample) over
``val_chunks`` fixed excerpts of the validation manifest selects the kept weights. A resumable
state (weights, optimiser, carried hidden state, position, best weights, history) is written
atomically to ``train_state.pt`` next to the checkpoint every ``save_every`` steps and is used only
if its configuration digest matches; the final checkpoint (a plain dict loadable with
``weights_only=True``) is written last and the state removed.

Primes: ``prime_seconds`` is rounded down to a multiple of the lookback (at least one lookback);
the prime is the *last* that many samples of the excerpt read at ``offset_s`` (left-padded with
silence if the file ends early), so the continuation starts where the excerpt ends. The model-level
:meth:`SampleRNN.warm_up` instead raises ValueError for a prime that is not a multiple.
Generation warms the tiers up on the primes (``warm_up``), then samples every row
by inverse CDF from its own uniform stream seeded by ``(seed, clip_id)``: the same seed gives the
same clips, and a clip does not depend on the other rows of its batch (up to the last bits of
batched matrix products, which could flip a draw only when it lands within ~1e-7 of a level
boundary).

Checkpoint (plain dict): ``format``, ``model`` (state dict of the best validation step),
``model_config`` (the :data:`MODEL_KEYS` and ``n_classes``), ``classes`` (the class list of a
conditional model, index order; empty otherwise), ``best_step``, ``best_val_bits``, ``history`` (one
``{step, train_bits, val_bits, seconds}`` per validation), ``steps``, ``seed``.
"""

from __future__ import annotations

import logging
import math
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from augeval.audio import read_audio, write_audio
from augeval.checkpoints import load_checkpoint, save_checkpoint
from augeval.data.manifest import LABEL_SEP
from augeval.device import resolve_device
from augeval.digest import json_digest
from augeval.errors import CheckpointError, ConfigError, DataError
from augeval.generators import generator_defaults, generator_keys, with_defaults
from augeval.generators.base import FitJob, GenerateJob, generated_row
from augeval.generators.gen_shards import batch_marker, read_batch, write_batch
from augeval.generators.quantize import QUANTIZATIONS, dequantize, quantize
from augeval.generators.samplernn_clip import (
    clip_samples,
    lookback_samples,
    prime_samples,
    sampled_samples,
)
from augeval.generators.samplernn_model import WARM_UPS, Progress, RowNoise, SampleRNN
from augeval.preempt import Preemption
from augeval.train_state import TrainState

__all__ = [
    "DEFAULTS",
    "SampleRNN",
    "SampleRNNGenerator",
    "dequantize",
    "load_checkpoint",
    "model_from_checkpoint",
    "quantize",
    "resolve_config",
]

log = logging.getLogger("augeval.generators.samplernn")

# The schema's defaults (workflow/schemas/config.schema.yaml, generators.samplernn), for reference.
DEFAULTS = generator_defaults("samplernn")
MODEL_KEYS = ("frame_sizes", "dim", "n_rnn", "q_levels", "quantization", "sample_rate")
# Keys that change what training computes (the resumable state's digest covers these, and
# class_conditioning with the labels when it is on).
TRAIN_KEYS = MODEL_KEYS + (
    "seq_len",
    "chunk_seconds",
    "batch_size",
    "lr",
    "grad_clip",
    "steps",
    "val_every",
    "val_chunks",
)
FORMAT = "augeval-samplernn-1"
GENERATED_COLUMNS = list(
    generated_row({"clip_id": "", "track_id": "", "offset_s": 0, "labels": ""}, "", 0, "")
)


def resolve_config(cfg: dict) -> dict:
    """Defaults filled in and checked; raises ConfigError naming the bad key."""
    unknown = set(cfg) - set(generator_keys("samplernn"))
    if unknown:
        raise ConfigError(f"samplernn: unknown config keys {sorted(unknown)}")
    c = with_defaults("samplernn", cfg)
    if c["save_every"] is None:
        c["save_every"] = c["val_every"]
    fs = c["frame_sizes"]
    if not isinstance(fs, list | tuple) or not fs or any(int(f) < 1 for f in fs):
        raise ConfigError(f"samplernn.frame_sizes must be a list of positive ints, got {fs!r}")
    c["frame_sizes"] = [int(f) for f in fs]
    lookback = lookback_samples(c["frame_sizes"])
    if c["quantization"] not in QUANTIZATIONS:
        raise ConfigError(
            f"samplernn.quantization {c['quantization']!r}; allowed: {', '.join(QUANTIZATIONS)}"
        )
    for key in ("dim", "n_rnn", "seq_len", "batch_size", "steps", "val_every", "save_every"):
        if int(c[key]) < 1:
            raise ConfigError(f"samplernn.{key} must be a positive integer, got {c[key]!r}")
    if c["seq_len"] % lookback:
        raise ConfigError(
            f"samplernn.seq_len ({c['seq_len']}) must be a multiple of the lookback "
            f"(product of frame_sizes = {lookback})"
        )
    if c["q_levels"] < 2:
        raise ConfigError("samplernn.q_levels must be at least 2")
    if c["warm_up"] not in WARM_UPS:
        raise ConfigError(f"samplernn.warm_up {c['warm_up']!r}; allowed: {', '.join(WARM_UPS)}")
    sr = c["sample_rate"]
    if c["include_prime"] and clip_samples(c, sr) <= prime_samples(c, sr, lookback):
        raise ConfigError(
            f"samplernn.clip_seconds ({c['clip_seconds']}) must exceed prime_seconds "
            f"({c['prime_seconds']}, rounded down to {prime_samples(c, sr, lookback)} samples) "
            "when include_prime is true: the written clip is the prime plus its continuation, "
            "clip_seconds in total"
        )
    if segments_per_chunk(c) < 1:
        raise ConfigError(
            f"samplernn.chunk_seconds ({c['chunk_seconds']}) is shorter than one seq_len segment"
        )
    return c


def track_classes(labels: str, classes: list[str]) -> list[str]:
    """A manifest ``labels`` cell's classes that are in ``classes`` (in the cell's order)."""
    return [x for x in str(labels).split(LABEL_SEP) if x in classes]


def class_list(train: pd.DataFrame) -> list[str]:
    """The classes of a conditional model: the sorted labels of the train manifest."""
    return sorted({x for cell in train["labels"] for x in str(cell).split(LABEL_SEP) if x})


def draw_classes(
    df: pd.DataFrame, rows: np.ndarray, classes: list[str], rng: np.random.Generator
) -> np.ndarray:
    """Class index of each example cut from ``df`` row ``rows[i]``: its track's class, or for a
    multi-label track one of its classes drawn uniformly (one draw per example)."""
    u = rng.random(len(rows))
    out = np.empty(len(rows), dtype=np.int64)
    for i, (r, ui) in enumerate(zip(rows, u, strict=True)):
        held = track_classes(df["labels"].iloc[r], classes)
        if not held:
            raise DataError(
                f"samplernn: track {df['track_id'].iloc[r]!r} has no class among the model's "
                f"classes {classes} (labels {df['labels'].iloc[r]!r}); a class-conditional "
                "SampleRNN needs a class for every training and validation track"
            )
        out[i] = classes.index(held[int(ui * len(held))])
    return out


def segments_per_chunk(c: dict) -> int:
    return int(round(c["chunk_seconds"] * c["sample_rate"])) // c["seq_len"]


def model_from_checkpoint(checkpoint: dict, path: str | os.PathLike = "") -> SampleRNN:
    if checkpoint.get("format") != FORMAT or "model" not in checkpoint:
        raise CheckpointError(
            f"{path} is not a SampleRNN checkpoint ({FORMAT}); "
            "delete it and re-run its training rule"
        )
    model = SampleRNN(**checkpoint["model_config"])
    try:
        model.load_state_dict(checkpoint["model"])
    except RuntimeError as exc:
        raise CheckpointError(
            f"SampleRNN checkpoint {path} does not match its config ({exc}); "
            "delete it and re-run its training rule"
        ) from exc
    return model.eval()


# --------------------------------------------------------------------------------------- data


def read_excerpt(path: str, offset_s: float, n_samples: int, c: dict) -> np.ndarray:
    """``n_samples`` quantised levels (uint8 if they fit) starting at ``offset_s``; a file that
    ends early is padded with silence at the end."""
    y = read_audio(
        path, c["sample_rate"], offset_s=offset_s, max_seconds=n_samples / c["sample_rate"]
    )
    y = y[:n_samples]
    if len(y) < n_samples:
        y = np.pad(y, (0, n_samples - len(y)))
    q = quantize(y, c["q_levels"], c["quantization"])
    return q.astype(np.uint8 if c["q_levels"] <= 256 else np.int64)


def chunk_plan(df: pd.DataFrame, n: int, chunk_s: float, rng: np.random.Generator):
    """``n`` (row index, offset_s) pairs: rows drawn in proportion to duration, offsets uniform."""
    dur = np.nan_to_num(df["duration_s"].to_numpy(dtype=float), nan=0.0).clip(min=0.0)
    p = dur / dur.sum() if dur.sum() > 0 else np.full(len(df), 1.0 / len(df))
    rows = rng.choice(len(df), size=n, p=p)
    offsets = rng.random(n) * np.maximum(dur[rows] - chunk_s, 0.0)
    return rows, np.floor(offsets * 1000) / 1000  # millisecond grid, exact to log and re-read


class ChunkLoader:
    """Training batches ``(batch, lookback + chunk)`` of levels (uint8 for 256 levels, moved to
    the device before widening), decoded by a thread pool one batch ahead, and each example's
    class index (``classes`` given: a conditional model) or None."""

    def __init__(
        self, df: pd.DataFrame, c: dict, seed: int, lookback: int, classes: list[str] | None
    ):
        if len(df) == 0:
            raise DataError("samplernn: the train manifest is empty")
        self.df, self.c, self.seed = df.reset_index(drop=True), c, seed
        self.classes = classes
        self.n = lookback + segments_per_chunk(c) * c["seq_len"]
        self.pool = ThreadPoolExecutor(max_workers=max(1, int(c["loader_workers"])))
        self.pending: dict[int, list[Future]] = {}

    def _submit(self, index: int) -> tuple[list[Future], np.ndarray | None]:
        rng = np.random.default_rng([self.seed, 0, index])
        rows, offsets = chunk_plan(
            self.df, self.c["batch_size"], self.n / self.c["sample_rate"], rng
        )
        labels = None
        if self.classes is not None:
            class_rng = np.random.default_rng([self.seed, 2, index])
            labels = draw_classes(self.df, rows, self.classes, class_rng)
        paths = self.df["path"].to_numpy()
        futures = [
            self.pool.submit(read_excerpt, str(paths[r]), float(o), self.n, self.c)
            for r, o in zip(rows, offsets, strict=True)
        ]
        return futures, labels

    def get(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Batch ``index``: levels (B, lookback + chunk) and class indices (B,) or None."""
        futures, labels = self.pending.pop(index, None) or self._submit(index)
        self.pending = {index + 1: self._submit(index + 1)}  # decode the next batch meanwhile
        x = torch.from_numpy(np.stack([f.result() for f in futures]))
        return x, None if labels is None else torch.from_numpy(labels)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def validation_chunks(
    df: pd.DataFrame, c: dict, seed: int, lookback: int, classes: list[str] | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The fixed validation excerpts (tracks spread over the manifest, offsets seeded) and, for a
    conditional model (``classes`` given), their class indices."""
    if len(df) == 0:
        raise DataError("samplernn: the validation manifest is empty")
    df = df.reset_index(drop=True)
    n = lookback + segments_per_chunk(c) * c["seq_len"]
    rng = np.random.default_rng([seed, 1])
    rows = (np.arange(c["val_chunks"]) * len(df)) // max(c["val_chunks"], 1)
    dur = np.nan_to_num(df["duration_s"].to_numpy(dtype=float), nan=0.0)
    offsets = np.floor(
        rng.random(len(rows)) * np.maximum(dur[rows] - n / c["sample_rate"], 0) * 1000
    )
    chunks = [
        read_excerpt(str(df["path"][r]), float(o) / 1000, n, c)
        for r, o in zip(rows, offsets, strict=True)
    ]
    labels = None
    if classes is not None:
        labels = torch.from_numpy(draw_classes(df, rows, classes, np.random.default_rng([seed, 3])))
    return torch.from_numpy(np.stack(chunks)), labels


# ----------------------------------------------------------------------------------- training


def _nll(model: SampleRNN, x: torch.Tensor, hidden, classes=None):
    logits, hidden = model(x, hidden, classes)
    target = x[:, model.lookback :]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1)), hidden


@torch.no_grad()
def validation_bits(
    model: SampleRNN, chunks: torch.Tensor, c: dict, device, classes: torch.Tensor | None = None
) -> float:
    """Mean NLL in bits per sample over the validation chunks (hidden carried per chunk)."""
    model.eval()
    total, count = 0.0, 0
    seq, lb = c["seq_len"], model.lookback
    for start in range(0, len(chunks), c["batch_size"]):
        x = chunks[start : start + c["batch_size"]].to(device).long()
        cls = None if classes is None else classes[start : start + c["batch_size"]].to(device)
        hidden = None
        for s in range(segments_per_chunk(c)):
            loss, hidden = _nll(model, x[:, s * seq : s * seq + lb + seq], hidden, cls)
            n = x.shape[0] * seq
            total += loss.item() * n
            count += n
    model.train()
    return total / count / math.log(2)


def _digest(c: dict, train: pd.DataFrame, validation: pd.DataFrame, seed: int) -> str:
    parts = [
        {k: c[k] for k in TRAIN_KEYS},
        list(map(str, train["path"])),
        list(map(str, validation["path"])),
        seed,
    ]
    if c["class_conditioning"]:  # (unconditional digests are unchanged) the labels are data too
        parts += ["class_conditioning", list(map(str, train["labels"]))]
        parts += [list(map(str, validation["labels"]))]
    return json_digest(parts)


class SampleRNNGenerator:
    name = "samplernn"
    trainable = True

    def fit(self, job: FitJob) -> None:
        """Train; keep the weights with the best validation bits; write ``job.checkpoint``.

        Hooks: ``on_step(step)`` runs after every optimiser step (after any state save),
        ``on_validation(step, val_bits)`` after every validation.
        A SIGTERM/SIGUSR1 saves the state and raises :class:`augeval.preempt.Preempted`.
        """
        c = resolve_config(job.cfg)
        on_step, on_validation = job.hooks.get("on_step"), job.hooks.get("on_validation")
        with Preemption(c["checkpoint_minutes"]) as preempt:
            self._fit(
                job.train, job.validation, c, job.checkpoint, job.seed, on_step, on_validation,
                preempt,
            )  # fmt: skip

    def _fit(self, train, validation, c, checkpoint_path, seed, on_step, on_validation, preempt):
        checkpoint_path = Path(checkpoint_path)
        state_path = checkpoint_path.with_name("train_state.pt")
        device = resolve_device(c["device"])
        digest = _digest(c, train, validation, seed)

        classes = class_list(train) if c["class_conditioning"] else None
        torch.manual_seed(seed)
        n_classes = len(classes) if classes else 0
        model = SampleRNN(**{k: c[k] for k in MODEL_KEYS}, n_classes=n_classes).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=c["lr"])
        lb, seq, per_chunk = model.lookback, c["seq_len"], segments_per_chunk(c)
        n_params = sum(p.numel() for p in model.parameters())

        step, chunk_index, segment, hidden = 0, 0, 0, None
        best = {"bits": math.inf, "step": 0, "model": None}
        history: list[dict] = []
        acc = [0.0, 0]  # train bits sum, steps since the last validation
        elapsed = 0.0
        parts = {"model": model, "optimizer": optimizer}
        train_state = TrainState(state_path, digest, parts, log=log, device=device)
        state = train_state.load(f"step {{step}}/{c['steps']}")
        if state is not None:
            step, chunk_index, segment = state["step"], state["chunk"], state["segment"]
            hidden = state["hidden"] or None
            best = {"bits": state["best_bits"], "step": state["best_step"], "model": None}
            best["model"] = state["best_model"] or None
            history, acc, elapsed = state["history"], list(state["acc"]), state["elapsed"]

        log.info(
            "samplernn: %d parameters, lookback %d, %d train / %d validation tracks, batch %d x "
            "%d segments of %d samples, %d steps on %s, %s",
            n_params, lb, len(train), len(validation), c["batch_size"], per_chunk, seq,
            c["steps"], device,
            f"conditioned on {len(classes)} classes" if classes else "unconditional",
        )  # fmt: skip
        val_x, val_y = validation_chunks(validation, c, seed, lb, classes)
        loader = ChunkLoader(train, c, seed, lb, classes)
        t0 = time.monotonic() - elapsed
        t_last = time.monotonic()
        model.train()
        try:
            x, y = _to(loader.get(chunk_index), device) if step < c["steps"] else (None, None)
            while step < c["steps"]:
                part = x[:, segment * seq : segment * seq + lb + seq]
                loss, hidden = _nll(model, part, hidden, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_value_(model.parameters(), c["grad_clip"])
                optimizer.step()
                hidden = [h.detach() for h in hidden]
                acc[0] += loss.item() / math.log(2)
                acc[1] += 1
                step += 1
                segment += 1
                if segment == per_chunk:
                    segment, hidden = 0, None
                    chunk_index += 1
                    if step < c["steps"]:
                        x, y = _to(loader.get(chunk_index), device)
                if step % c["val_every"] == 0 or step == c["steps"]:
                    bits = validation_bits(model, val_x, c, device, val_y)
                    improved = bits < best["bits"]
                    if improved:
                        best = {"bits": bits, "step": step, "model": _copy_state(model)}
                    now = time.monotonic()
                    record = {
                        "step": step,
                        "train_bits": acc[0] / acc[1],
                        "val_bits": bits,
                        "seconds": now - t0,
                    }
                    history.append(record)
                    log.info(
                        "step %d/%d train %.4f bits val %.4f bits (%.3f s/step, %.0f s)%s",
                        step, c["steps"], record["train_bits"], bits,
                        (now - t_last) / acc[1], now - t0, " *best*" if improved else "",
                    )  # fmt: skip
                    acc, t_last = [0.0, 0], now
                    if on_validation is not None:
                        on_validation(step, bits)
                regular = step % c["save_every"] == 0
                if step < c["steps"] and (regular or preempt.save_due()):
                    train_state.save(
                        {
                            "step": step,
                            "chunk": chunk_index,
                            "segment": segment,
                            "hidden": [] if hidden is None else hidden,
                            "best_bits": best["bits"],
                            "best_step": best["step"],
                            "best_model": best["model"] or {},
                            "history": history,
                            "acc": acc,
                            "elapsed": time.monotonic() - t0,
                        }
                    )
                    preempt.saved(f"step {step}")
                if on_step is not None:
                    on_step(step)
        finally:
            loader.close()

        if best["model"] is None:  # unreachable: the last step always validates
            best = {"bits": math.inf, "step": step, "model": _copy_state(model)}
        result = {
            "format": FORMAT,
            "model": best["model"],
            "model_config": model.config,
            "classes": classes or [],
            "best_step": best["step"],
            "best_val_bits": best["bits"],
            "history": history,
            "steps": step,
            "seed": seed,
        }
        save_checkpoint(result, checkpoint_path)
        state_path.unlink(missing_ok=True)
        log.info("kept step %d: validation %.4f bits per sample", best["step"], best["bits"])
        return result

    # --------------------------------------------------------------------------- generation

    def generate(self, job: GenerateJob) -> pd.DataFrame:
        """Continue each source's prime; write ``out_dir/wav/<clip_id>.wav``; return manifest rows.

        Deterministic for ``seed``: each clip draws from its own stream seeded by
        ``(seed, clip_id)``, so a clip does not depend on which other clips share its batch
        (up to floating-point differences between batched and single-row matrix products).
        """
        checkpoint_path, sources, cfg = job.checkpoint, job.sources, job.cfg
        out_dir, seed = job.out_dir, job.seed
        if checkpoint_path is None:
            raise CheckpointError("samplernn: generate needs the trained checkpoint")
        c = resolve_config(cfg)  # model keys come from the checkpoint
        device = resolve_device(c["device"])
        checkpoint = load_checkpoint(checkpoint_path)
        model = model_from_checkpoint(checkpoint, checkpoint_path).to(device)
        classes = _checkpoint_classes(checkpoint, model, c, checkpoint_path)
        mc = model.config
        sr, lb = mc["sample_rate"], model.lookback
        prime_len, n_gen = prime_samples(c, sr, lb), sampled_samples(c, sr, lb)
        if n_gen < 1:
            raise ConfigError(
                f"samplernn.clip_seconds ({c['clip_seconds']}) must exceed the prime "
                f"({prime_len} samples at the checkpoint's {sr} Hz) when include_prime is true"
            )
        labels = None
        if classes is not None:
            labels = _source_classes(sources, classes, checkpoint_path)
        wav_dir = Path(out_dir) / "wav"
        rows = []
        sources = sources.reset_index(drop=True)
        batch_size = max(1, int(c["gen_batch_size"]))
        t_start = time.monotonic()
        rows_made = range(len(sources)) if job.rows is None else job.rows
        if rows_made.start % batch_size:
            raise ConfigError(f"samplernn: a shard must start at a whole batch ({rows_made})")
        for start in range(rows_made.start, rows_made.stop, batch_size):
            batch = sources.iloc[start : min(start + batch_size, rows_made.stop)]
            marker = batch_marker(out_dir, batch["clip_id"])
            finished = read_batch(marker, GENERATED_COLUMNS)
            if finished is not None:  # a resumed job: this batch was written before the kill
                rows += _batch_records(finished)
                log.info("samplernn: batch %d already written, skipped", start // batch_size + 1)
                continue
            primes = [
                _read_prime(row["path"], float(row["offset_s"]), c["prime_seconds"], prime_len, sr)
                for _, row in batch.iterrows()
            ]
            prime_q = quantize(
                torch.from_numpy(np.stack(primes)), mc["q_levels"], mc["quantization"]
            )
            noise = RowNoise(seed, [str(k) for k in batch["clip_id"]], device)
            cls = None if labels is None else labels[start : start + batch_size].to(device)
            label = f"batch {start // batch_size + 1}/{math.ceil(len(sources) / batch_size)}: "
            gen = model.sample(
                prime_q.to(device),
                n_gen,
                noise,
                temperature=float(c["temperature"]),
                progress=Progress(len(batch), sr, label),
                classes=cls,
                warm_up=c["warm_up"],
            )
            gen = gen.cpu()
            if c["include_prime"]:
                gen = torch.cat([prime_q, gen], dim=1)
            audio = dequantize(gen, mc["q_levels"], mc["quantization"]).numpy()
            batch_rows = []
            for (_, row), y in zip(batch.iterrows(), audio, strict=True):
                wav = wav_dir / f"{row['clip_id']}.wav"
                write_audio(wav, y, sr)
                batch_rows.append(generated_row(row, wav, len(y) / sr, self.name))
            write_batch(marker, pd.DataFrame(batch_rows, columns=GENERATED_COLUMNS))
            rows += batch_rows
            done = start + len(batch) - rows_made.start
            wall = time.monotonic() - t_start
            log.info(
                "samplernn: %d/%d clips (%.1f s), %.2f clips/min, %.3f x real time",
                done, len(rows_made), wall, 60 * done / wall, done * n_gen / sr / wall,
            )  # fmt: skip
        return pd.DataFrame(rows, columns=GENERATED_COLUMNS)


def _batch_records(rows: pd.DataFrame) -> list[dict]:
    """A finished batch's rows as :func:`generated_row` made them (exact floats kept)."""
    out = rows.astype({"duration_s": float, "source_offset_s": float})
    return out.to_dict("records")


def _checkpoint_classes(checkpoint: dict, model: SampleRNN, c: dict, path) -> list[str] | None:
    """The class list of a conditional checkpoint (None for an unconditional one); the config's
    ``class_conditioning`` must agree with how the checkpoint was trained."""
    classes = list(checkpoint.get("classes") or [])
    if bool(model.n_classes) != bool(c["class_conditioning"]) or len(classes) != model.n_classes:
        trained = "with" if model.n_classes else "without"
        raise CheckpointError(
            f"SampleRNN checkpoint {path} was trained {trained} class conditioning "
            f"({model.n_classes} classes, {len(classes)} class names) but "
            f"samplernn.class_conditioning is {c['class_conditioning']}; delete it and re-run its "
            "training rule"
        )
    return classes or None


def _source_classes(sources: pd.DataFrame, classes: list[str], path) -> torch.Tensor:
    """Each source's ``drawn_class`` as an index into the checkpoint's class list."""
    unknown = sorted(set(map(str, sources["drawn_class"])) - set(classes))
    if unknown:
        raise DataError(
            f"samplernn: sources of class(es) {unknown} but the class-conditional checkpoint "
            f"{path} knows only {classes}; re-train it on a train split holding those classes "
            "(or set class_conditioning: false)"
        )
    return torch.tensor([classes.index(str(x)) for x in sources["drawn_class"]], dtype=torch.long)


def _to(batch: tuple[torch.Tensor, torch.Tensor | None], device):
    x, y = batch
    return x.to(device).long(), None if y is None else y.to(device)


def _read_prime(path: str, offset_s: float, prime_s: float, n: int, sr: int) -> np.ndarray:
    """The last ``n`` samples of the ``prime_s`` excerpt at ``offset_s`` (left-padded)."""
    y = read_audio(path, sr, offset_s=offset_s, max_seconds=prime_s)
    y = y[: int(round(prime_s * sr))][-n:]
    return np.pad(y, (n - len(y), 0)).astype(np.float32)


def _copy_state(model: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
