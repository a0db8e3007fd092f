"""The near-copy flag on a finished run's real embeddings: planted copies and the run's clips.

Usage::

    python bench/bench_near_copy.py [--run DIR] [--copies 20] [--seed 0]

``DIR`` is a workflow folder after ``bash run.sh`` and ``snakemake score`` (default: the
repository). For every label set, ``--copies`` real train tracks (seeded) are read from their
audio and planted as :data:`PLANTS` says: unchanged, at -1/-3/-6 dB gain, with white noise
40 or 30 dB below the track's RMS, and both. Each is turned into a mel-spectrogram exactly as
the workflow does (:class:`augeval.features.MelExtractor`) and embedded by the baseline
classifier of every trial; the flag (:func:`augeval.score.near_copy_flags`, with the run's
``score.near_copy_percentile``) is computed against the run's own real train and reference
embeddings. It prints how many planted copies are flagged, then each scored generator's
flagged clips from ``results/score/{labelset}/*/clips.tsv``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from augeval.audio import read_audio  # noqa: E402
from augeval.checkpoints import load_checkpoint  # noqa: E402
from augeval.classifier.train import DB_SCALE, model_from_checkpoint  # noqa: E402
from augeval.config_schema import fill  # noqa: E402
from augeval.distance import clip_embeddings  # noqa: E402
from augeval.features import MelExtractor, MelParams  # noqa: E402
from augeval.score import (  # noqa: E402
    near_copy_flags,
    near_copy_ratios,
    near_copy_threshold,
    standardise,
)

# (name, gain in dB, SNR of added white noise in dB or None)
PLANTS = (
    ("exact", 0.0, None),
    ("gain -1 dB", -1.0, None),
    ("gain -3 dB", -3.0, None),
    ("gain -6 dB", -6.0, None),
    ("noise at 40 dB SNR", 0.0, 40.0),
    ("noise at 30 dB SNR", 0.0, 30.0),
    ("gain -3 dB + noise at 30 dB SNR", -3.0, 30.0),
)


def planted_audio(y: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """``y`` altered as each of :data:`PLANTS` says."""
    rms = float(np.sqrt(np.mean(y**2))) or 1e-4
    out = []
    for _, gain_db, snr_db in PLANTS:
        noisy = y if snr_db is None else y + rng.standard_normal(len(y)) * rms / 10 ** (snr_db / 20)
        out.append(10 ** (gain_db / 20) * noisy)
    return out


def window(mel: np.ndarray, n_frames: int) -> np.ndarray:
    """The classifier's input window: the first ``n_frames``, a short mel tiled (as
    :func:`augeval.classifier.data.fit_frames`)."""
    if mel.shape[1] < n_frames:
        mel = np.tile(mel, (1, -(-n_frames // mel.shape[1])))
    return mel[:, :n_frames]


def embeddings(run: Path, labelset: str, trial: int, split: str) -> tuple[list[str], np.ndarray]:
    path = run / f"results/embeddings/{labelset}/baseline/trial-{trial}/real_{split}.npz"
    data = np.load(path)
    ids = [str(t) for t in data[f"real_{split}.track_id"]]
    return ids, clip_embeddings(data[f"real_{split}.embedding"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--run", type=Path, default=REPO)
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    run = args.run.resolve()
    config = fill(yaml.safe_load((run / "config" / "config.yaml").read_text()), "")
    percentile = config["score"]["near_copy_percentile"]
    params = MelParams.from_config(config["features"])
    extractor = MelExtractor(params)
    torch.set_num_threads(1)
    print(f"near_copy_percentile {percentile}; trials {config['trials']}")
    for labelset in config["labelsets"]:
        train = pd.read_csv(run / f"results/data/{labelset}/train.tsv", sep="\t")
        rng = np.random.default_rng([args.seed, len(labelset)])
        picks = train.iloc[rng.choice(len(train), args.copies, replace=False)]
        audio = [read_audio(run / p, params.sample_rate) for p in picks["path"]]
        plants = [planted_audio(y, rng) for y in audio]  # per track: one per PLANTS
        scored, reference, train_e = [], [], []
        for trial in range(config["trials"]):
            ckpt = run / f"results/classifier/{labelset}/baseline/main/trial-{trial}/checkpoint.pt"
            checkpoint = load_checkpoint(ckpt)
            model = model_from_checkpoint(checkpoint).eval()
            n_frames = checkpoint["input_frames"]
            x = np.stack(
                [window(extractor(y), n_frames) for track in plants for y in track]
            )  # (copies * 3, n_mels, n_frames), track-major
            with torch.no_grad():
                chunks = model.embed_chunks(torch.from_numpy(x / DB_SCALE).float()).numpy()
            splits = config["score"]["reference_splits"]
            ref = np.concatenate([embeddings(run, labelset, trial, s)[1] for s in splits])
            ids, tr = embeddings(run, labelset, trial, "train")
            to_standard = standardise(ref)
            scored.append(to_standard(clip_embeddings(chunks)))
            reference.append(to_standard(ref))
            train_e.append(to_standard(tr))
            own = to_standard(tr[[ids.index(t) for t in picks["track_id"]]])
            gap = np.linalg.norm(scored[-1][:: len(PLANTS)] - own, axis=1) / np.sqrt(own.shape[1])
            print(f"{labelset} trial {trial}: exact re-embedding vs stored, max {gap.max():.2e}")
        flags = near_copy_flags(scored, reference, train_e, percentile).reshape(-1, len(PLANTS))
        ratios = np.median(
            [near_copy_ratios(x, tr)[2] for x, tr in zip(scored, train_e, strict=True)], axis=0
        ).reshape(-1, len(PLANTS))
        thresholds = [
            near_copy_threshold(ref, tr, percentile)
            for ref, tr in zip(reference, train_e, strict=True)
        ]
        print(f"{labelset}: thresholds per trial " + ", ".join(f"{t:.3f}" for t in thresholds))
        for k, (name, _, _) in enumerate(PLANTS):
            print(
                f"{labelset}: planted {name}: {int(flags[:, k].sum())}/{len(flags)} flagged, "
                f"median ratio {np.median(ratios[:, k]):.3f}"
            )
        for clips in sorted((run / f"results/score/{labelset}").glob("*/clips.tsv")):
            table = pd.read_csv(clips, sep="\t")
            print(
                f"{labelset}: {clips.parent.name}: {int(table['near_copy'].sum())}/{len(table)} "
                f"flagged, min ratio {table['near_copy_ratio'].min():.3f}, "
                f"threshold {table['near_copy_threshold'].iloc[0]:.3f}"
            )


if __name__ == "__main__":
    main()
