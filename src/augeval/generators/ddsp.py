"""DDSP generator: a harmonic-plus-noise autoencoder (Engel et al. 2020) that re-synthesises each
source excerpt from its own f0 and loudness (and optionally a learned timbre code z).

Pipeline. Features (:mod:`augeval.generators.ddsp_features`: pYIN f0 and A-weighted loudness per
frame, cached per manifest) → :class:`DDSPDecoder` (MLPs on scaled f0 = MIDI/127 and loudness =
dB/80 + 1, and on z → GRU → MLP → an overall amplitude, a harmonic distribution and noise band
magnitudes, all through ``2 sigmoid(x)^ln 10 + 1e-7``; harmonics above Nyquist are zeroed and the
distribution renormalised) → :mod:`augeval.generators.ddsp_synth` (additive oscillators + filtered
noise, optional learned reverb). Training minimises the multi-scale spectral loss between the
re-synthesis and the excerpt; the weights with the lowest validation loss are kept.

:class:`DDSPGenerator` implements :class:`augeval.generators.base.Generator`:
``fit(job)`` trains on ``excerpts_per_track`` fixed
``clip_seconds`` excerpts per train track (spread evenly over the track; see
:func:`~augeval.generators.ddsp_features.train_excerpts`), with features read from the ``.npz``
caches named in ``job.features`` (:func:`~augeval.generators.ddsp_features.cache_features`)
and computed otherwise. ``generate(job)`` reconstructs every sources row's excerpt (``path``,
``offset_s``, ``source_seconds``) into ``out_dir/wav/<clip_id>.wav``; each clip's noise comes
from ``derive_seed(seed, clip_id)``, so a clip does not depend on its batch.

Config keys: see ``workflow/schemas/config.schema.yaml``, block ``generators.ddsp`` (or
``config/README.md``); its defaults are the paper's sizes, filled in by :func:`resolve_config`.
The demo's sizes (``config/config.yaml``) train in about 80 s on one CPU core on the demo corpus
(125 train excerpts). pYIN per 4 s excerpt on one core: ~2.9 s at hop 64 / 0.1 semitones, ~0.1 s
at hop 256 / 0.25 st. The learning rate: 1e-3 at paper size, 3e-3 for the demo (1e-2 stalls);
``lr_decay`` is Magenta's 0.98 per 10000 steps when set, 1.0 (constant) by default. A ``threads``
key (library calls only; the workflow sets its jobs' threads itself) sets torch's CPU threads.

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
import torchaudio.transforms as T
from torch import nn

from augeval.audio import write_audio
from augeval.checkpoints import load_checkpoint, save_checkpoint
from augeval.device import resolve_device
from augeval.digest import json_digest
from augeval.errors import AugevalError, CheckpointError, ConfigError, DataError
from augeval.generators import generator_defaults, with_defaults
from augeval.generators.base import FitJob, GenerateJob, generated_row
from augeval.generators.ddsp_features import (
    compute_features,
    extract_features,
    feature_config,
    load_features,
    read_excerpt,
    select_features,
    source_excerpts,
    train_excerpts,
)
from augeval.generators.ddsp_synth import (
    Reverb,
    exp_sigmoid,
    filtered_noise,
    harmonic_synth,
    multiscale_spectral_loss,
    nyquist_mask,
)
from augeval.preempt import Preemption
from augeval.seeding import derive_seed
from augeval.train_state import TrainState

log = logging.getLogger("augeval.generators.ddsp")

# The schema's defaults (workflow/schemas/config.schema.yaml, generators.ddsp), for reference.
DEFAULTS: dict = generator_defaults("ddsp")
MODEL_KEYS = (
    "sample_rate",
    "hop",
    "n_harmonics",
    "n_noise_bands",
    "hidden",
    "mlp_layers",
    "use_z",
    "z_dim",
    "n_mfcc",
    "reverb",
    "reverb_seconds",
)
# Keys that do not change what training computes (a resumed run may change them).
_RUNTIME_KEYS = ("device", "threads", "resources", "checkpoint_every", "checkpoint_minutes")
NOISE_BIAS = -5.0  # noise magnitudes start small (Magenta's initial bias)
VALIDATION_NOISE_SEED = 1


def resolve_config(cfg: dict) -> dict:
    """``cfg`` over the schema defaults, checked; unknown keys (e.g. ``resources``) are kept."""
    out = with_defaults("ddsp", cfg)
    out |= feature_config(out)
    for key in ("n_harmonics", "n_noise_bands", "hidden", "mlp_layers", "batch_size", "epochs"):
        if int(out[key]) < 1:
            raise ConfigError(f"ddsp {key} must be a positive integer, got {out[key]!r}")
    if out["n_noise_bands"] < 2:
        raise ConfigError("ddsp n_noise_bands must be at least 2")
    if out["device"] not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"ddsp device {out['device']!r}; allowed: auto, cpu, cuda")
    if not out["fft_sizes"]:
        raise ConfigError("ddsp fft_sizes must list at least one FFT size")
    return out


def _apply_threads(cfg: dict) -> None:
    if int(cfg.get("threads") or 0) > 0:
        torch.set_num_threads(int(cfg["threads"]))


# ---------------------------------------------------------------------------------------------
# model


def mlp(in_size: int, hidden: int, layers: int) -> nn.Sequential:
    """``layers`` x (Linear, LayerNorm, LeakyReLU)."""
    mods: list[nn.Module] = []
    for i in range(layers):
        mods += [nn.Linear(in_size if i == 0 else hidden, hidden), nn.LayerNorm(hidden)]
        mods.append(nn.LeakyReLU())
    return nn.Sequential(*mods)


def scale_f0(f0_hz: torch.Tensor) -> torch.Tensor:
    """Hz → MIDI / 127."""
    return (69.0 + 12.0 * torch.log2(f0_hz.clamp_min(1e-3) / 440.0)) / 127.0


def scale_loudness(loudness_db: torch.Tensor) -> torch.Tensor:
    """dB (about -80..0) → dB / 80 + 1."""
    return loudness_db / 80.0 + 1.0


class ZEncoder(nn.Module):
    """MFCC (of log mels, normalised per clip and coefficient) → GRU → z per frame (Magenta's
    timbre code). Log mels rather than torchaudio's dB with ``top_db``, whose floor is taken over
    the whole batch and would make a clip's z depend on its batch."""

    def __init__(self, sample_rate: int, hop: int, n_mfcc: int, hidden: int, z_dim: int):
        super().__init__()
        self.hop = hop
        self.mfcc = T.MFCC(
            sample_rate=sample_rate,
            n_mfcc=n_mfcc,
            log_mels=True,
            melkwargs={
                "n_fft": 1024,
                "hop_length": hop,
                "n_mels": 64,
                "f_min": 20.0,
                "f_max": sample_rate / 2,
                "center": True,
            },
        )
        self.norm = nn.InstanceNorm1d(n_mfcc, affine=True)
        self.gru = nn.GRU(n_mfcc, hidden, batch_first=True)
        self.out = nn.Linear(hidden, z_dim)

    def forward(self, audio: torch.Tensor, n_frames: int) -> torch.Tensor:
        m = self.norm(self.mfcc(audio)[..., :n_frames])  # (B, n_mfcc, frames)
        return self.out(self.gru(m.transpose(1, 2))[0])


class DDSPDecoder(nn.Module):
    """(f0, loudness[, audio → z]) per frame → harmonic + noise synthesis (+ reverb)."""

    def __init__(
        self,
        sample_rate: int = 16000,
        hop: int = 64,
        n_harmonics: int = 100,
        n_noise_bands: int = 65,
        hidden: int = 512,
        mlp_layers: int = 3,
        use_z: bool = False,
        z_dim: int = 16,
        n_mfcc: int = 30,
        reverb: bool = False,
        reverb_seconds: float = 1.0,
    ):
        super().__init__()
        self.sample_rate, self.hop, self.n_harmonics = sample_rate, hop, n_harmonics
        self.use_z = use_z
        self.f0_mlp = mlp(1, hidden, mlp_layers)
        self.loudness_mlp = mlp(1, hidden, mlp_layers)
        n_in = 2 * hidden
        if use_z:
            self.encoder = ZEncoder(sample_rate, hop, n_mfcc, hidden, z_dim)
            self.z_mlp = mlp(z_dim, hidden, mlp_layers)
            n_in += hidden
        self.gru = nn.GRU(n_in, hidden, batch_first=True)
        self.out_mlp = mlp(hidden + n_in, hidden, mlp_layers)
        self.harmonic_head = nn.Linear(hidden, 1 + n_harmonics)
        self.noise_head = nn.Linear(hidden, n_noise_bands)
        self.reverb = Reverb(int(reverb_seconds * sample_rate), sample_rate) if reverb else None

    def controls(
        self, f0_hz: torch.Tensor, loudness_db: torch.Tensor, audio: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Frame-rate synthesis controls: ``harmonic_amplitudes`` ``(B, n, K)`` (overall
        amplitude x normalised distribution, zero above Nyquist) and ``noise_magnitudes``
        ``(B, n, bands)``."""
        parts = [
            self.f0_mlp(scale_f0(f0_hz).unsqueeze(-1)),
            self.loudness_mlp(scale_loudness(loudness_db).unsqueeze(-1)),
        ]
        if self.use_z:
            if audio is None:
                raise ValueError("this DDSP model encodes z from audio; pass the audio")
            parts.append(self.z_mlp(self.encoder(audio, f0_hz.shape[1])))
        x = torch.cat(parts, dim=-1)
        x = self.out_mlp(torch.cat([self.gru(x)[0], x], dim=-1))
        harm = exp_sigmoid(self.harmonic_head(x))
        amplitude, distribution = harm[..., :1], harm[..., 1:]
        distribution = distribution * nyquist_mask(f0_hz, self.n_harmonics, self.sample_rate)
        distribution = distribution / distribution.sum(-1, keepdim=True).clamp_min(1e-7)
        noise = exp_sigmoid(self.noise_head(x) + NOISE_BIAS)
        return {"harmonic_amplitudes": amplitude * distribution, "noise_magnitudes": noise}

    def forward(
        self,
        f0_hz: torch.Tensor,
        loudness_db: torch.Tensor,
        audio: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Audio ``(B, frames * hop)``; ``noise`` ``(B, frames, hop)`` uniform in [-1, 1] or drawn
        from ``generator``; ``audio`` (the input clip) is needed only when ``use_z``."""
        c = self.controls(f0_hz, loudness_db, audio)
        y = harmonic_synth(f0_hz, c["harmonic_amplitudes"], self.hop, self.sample_rate)
        y = y + filtered_noise(c["noise_magnitudes"], self.hop, noise=noise, generator=generator)
        return self.reverb(y) if self.reverb is not None else y


def build_model(cfg: dict) -> DDSPDecoder:
    return DDSPDecoder(**{k: cfg[k] for k in MODEL_KEYS})


def model_from_checkpoint(checkpoint: dict) -> DDSPDecoder:
    model = build_model(checkpoint["model_config"])
    model.load_state_dict(checkpoint["model"])
    return model.eval()


# ---------------------------------------------------------------------------------------------
# data


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
    _apply_threads(cfg)
    device = resolve_device(cfg["device"])
    checkpoint_path = Path(checkpoint_path)
    state_path = checkpoint_path.with_name("train_state.pt")
    digest = _digest(cfg, [train.keys, validation.keys], seed)
    epochs, batch_size = int(cfg["epochs"]), int(cfg["batch_size"])

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


# ---------------------------------------------------------------------------------------------
# the generator


def clip_noise(seed: int, clip_id: str, n_frames: int, hop: int) -> torch.Tensor:
    """The noise source of one generated clip, ``(n_frames, hop)`` uniform in [-1, 1], drawn from
    ``derive_seed(seed, clip_id)`` so that it does not depend on the clip's batch."""
    gen = torch.Generator().manual_seed(derive_seed(seed, clip_id))
    return torch.rand((n_frames, hop), generator=gen) * 2 - 1


class DDSPGenerator:
    """Reconstructs each source excerpt from its own features with a trained DDSP decoder."""

    name = "ddsp"
    trainable = True

    def fit(self, job: FitJob) -> None:
        """Train on ``job.train`` (features from ``job.features['train']`` when cached, else
        extracted here); hooks: ``on_epoch_end(epoch)``, ``on_step(epoch, step)``."""
        cfg = resolve_config(job.cfg)
        _apply_threads(cfg)
        feats = job.features
        train_set = load_clip_set(job.train, cfg, feats.get("train"), "ddsp train")
        val_set = load_clip_set(
            job.validation, cfg, feats.get("validation"), "ddsp validation",
            int(cfg["max_val_clips"]),
        )  # fmt: skip
        hooks = job.hooks
        train_ddsp(
            train_set, val_set, cfg, job.seed, job.checkpoint, hooks.get("on_epoch_end"),
            hooks.get("on_step"),
        )  # fmt: skip

    def generate(self, job: GenerateJob) -> pd.DataFrame:
        checkpoint_path, sources, cfg = job.checkpoint, job.sources, job.cfg
        out_dir, seed, features = job.out_dir, job.seed, job.features
        if checkpoint_path is None:
            raise CheckpointError("ddsp generate needs the checkpoint written by its fit rule")
        cfg = resolve_config(cfg)
        _apply_threads(cfg)
        device = resolve_device(cfg["device"])
        checkpoint = load_checkpoint(checkpoint_path)
        model = model_from_checkpoint(checkpoint).to(device)
        fcfg = checkpoint["feature_config"]  # features as the model was trained on
        sr, hop = fcfg["sample_rate"], fcfg["hop"]
        excerpts = source_excerpts(sources)
        table = load_features(features, fcfg) if features is not None else None
        wav_dir = Path(out_dir) / "wav"
        rows, t0 = [], time.monotonic()
        n_samples = np.rint(excerpts["seconds"].to_numpy() * sr).astype(np.int64)
        batch_size = int(cfg["batch_size"])
        # batches of equal length, in sources order within a length
        for length in sorted(set(n_samples.tolist())):
            same = np.flatnonzero(n_samples == length)
            for start in range(0, len(same), batch_size):
                idx = same[start : start + batch_size]
                batch = excerpts.iloc[idx]
                audio = np.stack([read_excerpt(r, sr, hop) for r in batch.itertuples(index=False)])
                n_frames = audio.shape[1] // hop
                if table is not None:
                    feats = select_features(table, batch["key"].tolist(), "ddsp source features")
                    f0, loudness = feats["f0_hz"][:, :n_frames], feats["loudness_db"][:, :n_frames]
                else:
                    feats = extract_features(audio, fcfg)
                    f0, loudness = feats["f0_hz"], feats["loudness_db"]
                noise = torch.stack([clip_noise(seed, key, n_frames, hop) for key in batch["key"]])
                with torch.no_grad():
                    y = model(
                        torch.from_numpy(np.ascontiguousarray(f0)).to(device),
                        torch.from_numpy(np.ascontiguousarray(loudness)).to(device),
                        torch.from_numpy(audio).to(device),
                        noise=noise.to(device),
                    )
                y = y[:, :length].cpu().numpy()
                for i, src in zip(idx, y, strict=True):
                    source = sources.iloc[i]
                    wav = wav_dir / f"{source['clip_id']}.wav"
                    peak = float(np.abs(src).max()) if len(src) else 0.0
                    if peak > 1.0:
                        log.warning("%s: peak %.2f, clipped when written", wav.name, peak)
                    write_audio(wav, src, sr)
                    rows.append((i, generated_row(source, wav, length / sr, self.name)))
            log.info("ddsp: %d/%d clips (%.1f s)", len(rows), len(excerpts), time.monotonic() - t0)
        rows.sort(key=lambda r: r[0])
        columns = list(generated_row(_EMPTY_SOURCE, "x.wav", 0.0, self.name))
        return pd.DataFrame([r for _, r in rows], columns=columns)


_EMPTY_SOURCE = {"clip_id": "", "labels": "", "track_id": "", "offset_s": 0.0}
