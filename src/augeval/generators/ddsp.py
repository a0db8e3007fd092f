"""DDSP generator: a harmonic-plus-noise autoencoder (Engel et al. 2020) that re-synthesises each
source excerpt from its own f0 and loudness (and optionally a learned timbre code z).

Pipeline. Features (:mod:`augeval.generators.ddsp_features`: pYIN f0 and A-weighted loudness per
frame, cached per manifest) → the decoder (:mod:`augeval.generators.ddsp_model`) →
:mod:`augeval.generators.ddsp_synth` (additive oscillators + filtered noise, optional learned
reverb). Settings: :mod:`augeval.generators.ddsp_config`; training and checkpoints:
:mod:`augeval.generators.ddsp_train`.

:class:`DDSPGenerator` implements :class:`augeval.generators.base.Generator`:
``fit(job)`` trains on ``excerpts_per_track`` fixed
``clip_seconds`` excerpts per train track (spread evenly over the track; see
:func:`~augeval.generators.ddsp_features.train_excerpts`), with features read from the ``.npz``
caches named in ``job.features`` (:func:`~augeval.generators.ddsp_features.cache_features`)
and computed otherwise. ``generate(job)`` reconstructs every sources row's excerpt (``path``,
``offset_s``, ``source_seconds``) into ``out_dir/wav/<clip_id>.wav``; each clip's noise comes
from ``derive_seed(seed, clip_id)``, so a clip does not depend on its batch.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from augeval.audio import write_audio
from augeval.checkpoints import load_checkpoint
from augeval.device import resolve_device
from augeval.errors import CheckpointError
from augeval.generators.base import FitJob, GenerateJob, generated_row
from augeval.generators.ddsp_config import apply_threads, resolve_config
from augeval.generators.ddsp_features import (
    extract_features,
    load_features,
    read_excerpt,
    select_features,
    source_excerpts,
)
from augeval.generators.ddsp_model import model_from_checkpoint
from augeval.generators.ddsp_train import load_clip_set, train_ddsp
from augeval.seeding import derive_seed

log = logging.getLogger("augeval.generators.ddsp")


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
        apply_threads(cfg)
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
        apply_threads(cfg)
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
