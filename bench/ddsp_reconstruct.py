"""Benchmark: DDSP feature extraction, training and reconstruction quality on a real manifest.

Caches the features of the train/validation excerpts (reports pYIN + loudness seconds per
excerpt), trains :class:`augeval.generators.ddsp.DDSPGenerator` with a demo-size configuration,
then prints the validation multi-scale spectral loss of the trained model against three
baselines measured on the same excerpts: silence, Gaussian noise at each excerpt's RMS, and the
untrained model. Finally reconstructs a few validation excerpts into ``--out/wav``.

Usage: ``python bench/ddsp_reconstruct.py [--data results/data/mood --out /tmp/ddsp_bench
--epochs 8 --hop 256 --threads 1]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import pandas as pd
import torch

from augeval.checkpoints import load_checkpoint
from augeval.generators.base import SOURCE_COLUMNS, FitJob, GenerateJob
from augeval.generators.ddsp import DDSPGenerator
from augeval.generators.ddsp_config import resolve_config
from augeval.generators.ddsp_features import cache_features
from augeval.generators.ddsp_model import build_model, model_from_checkpoint
from augeval.generators.ddsp_synth import multiscale_spectral_loss
from augeval.generators.ddsp_train import load_clip_set, spectral_loss_of

DEMO = {
    "hop": 256,
    "f0_resolution": 0.25,
    "clip_seconds": 4.0,
    "n_harmonics": 32,
    "n_noise_bands": 33,
    "hidden": 64,
    "batch_size": 8,
    "lr": 3e-3,
    "epochs": 8,
    "val_every": 2,
    "max_val_clips": 32,
    "device": "cpu",
}


def baselines(clips, cfg) -> dict:
    target = torch.from_numpy(clips.audio)
    rms = target.pow(2).mean(1, keepdim=True).sqrt()
    noise = torch.randn(target.shape, generator=torch.Generator().manual_seed(0)) * rms
    fft = cfg["fft_sizes"]
    torch.manual_seed(0)
    return {
        "silence": float(multiscale_spectral_loss(torch.zeros_like(target), target, fft)),
        "noise_at_rms": float(multiscale_spectral_loss(noise, target, fft)),
        "untrained": spectral_loss_of(build_model(cfg).eval(), clips, cfg, "cpu", 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("results/data/mood"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/ddsp_bench"))
    parser.add_argument("--epochs", type=int, default=DEMO["epochs"])
    parser.add_argument("--hop", type=int, default=DEMO["hop"])
    parser.add_argument("--f0-resolution", type=float, default=DEMO["f0_resolution"])
    parser.add_argument("--max-train", type=int, default=0, help="first N train tracks (0 = all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", type=json.loads, default={}, help="JSON overrides")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    cfg = DEMO | {"epochs": args.epochs, "hop": args.hop, "f0_resolution": args.f0_resolution}
    cfg |= {"threads": args.threads} | args.config
    train = pd.read_csv(args.data / "train.tsv", sep="\t")
    val = pd.read_csv(args.data / "validation.tsv", sep="\t")
    if args.max_train:
        train = train.iloc[: args.max_train]
    args.out.mkdir(parents=True, exist_ok=True)

    t0 = time.monotonic()
    cache_features(train, cfg, args.out / "train.npz")
    cache_features(val, cfg, args.out / "validation.npz")
    feat_s = time.monotonic() - t0
    n_excerpts = len(train) + len(val)
    print(f"features: {n_excerpts} excerpts, {feat_s / n_excerpts:.2f} s per excerpt")

    ckpt = args.out / "run" / "checkpoint.pt"
    ckpt.unlink(missing_ok=True)
    t0 = time.monotonic()
    features = {"train": args.out / "train.npz", "validation": args.out / "validation.npz"}
    DDSPGenerator().fit(FitJob("ddsp", "emotion", cfg, train, val, ckpt, 0, features))
    fit_s = time.monotonic() - t0
    checkpoint = load_checkpoint(ckpt)
    rcfg = resolve_config(cfg)
    clips = load_clip_set(val, rcfg, args.out / "validation.npz", "validation")
    trained = spectral_loss_of(model_from_checkpoint(checkpoint), clips, rcfg, "cpu", 1)
    print(f"fit: {fit_s:.1f} s for {args.epochs} epochs; kept epoch {checkpoint['best_epoch']}")
    print(f"validation spectral loss: trained {trained:.3f}", end="")
    for name, value in baselines(clips, rcfg).items():
        print(f", {name} {value:.3f}", end="")
    print()

    rows = [
        (f"g{i}", r.track_id, r.path, max(0.0, (r.duration_s - 4.0) / 2), 4.0, r.labels, r.labels)
        for i, r in enumerate(val.iloc[:4].itertuples())
    ]
    sources = pd.DataFrame(rows, columns=SOURCE_COLUMNS)
    t0 = time.monotonic()
    job = GenerateJob("ddsp", "emotion", cfg, sources, args.out, 0, checkpoint=ckpt)
    out = DDSPGenerator().generate(job)
    print(f"generate: {len(out)} clips in {time.monotonic() - t0:.1f} s -> {args.out / 'wav'}")


if __name__ == "__main__":
    main()
