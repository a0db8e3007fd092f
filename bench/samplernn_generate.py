"""Benchmark: SampleRNN primed generation, one clip at a time versus a batch of clips.

Builds a randomly initialised SampleRNN of the demo size (speed does not depend on the weights'
values), writes it as a checkpoint, and times :meth:`SampleRNNGenerator.generate` end to end
(prime decoding, warm-up, sampling, WAV writing) with ``gen_batch_size`` 1 on ``--single`` clips
and with ``gen_batch_size`` = ``--batch`` on ``--batch`` clips. Prints clips/s side by side, their
ratio (the batching speed-up; target ≥ 10×) and the speed in audio seconds per wall second.

Usage: ``python bench/samplernn_generate.py [--clip-seconds 1.0 --batch 32 --dim 64 --threads 1]``
(the paper generates 10 s clips; the speed per sample does not depend on the clip length).
``--classes N`` times a class-conditional model (N classes, the sources' classes cycled through
them), ``--warm-up lookback`` the paper code's warm-up (no teacher-forced pass over the prime).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import torch

from augeval.generators.base import SOURCE_COLUMNS, GenerateJob
from augeval.generators.samplernn import FORMAT, SampleRNN, SampleRNNGenerator


def make_sources(root: Path, n: int, sr: int, classes: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        t = np.arange(2 * sr) / sr
        y = 0.5 * np.sin(2 * np.pi * rng.uniform(100, 1000) * t) + rng.normal(0, 0.02, len(t))
        path = root / f"src{i}.wav"
        sf.write(path, y, sr, subtype="PCM_16")
        c = classes[i % len(classes)]
        rows.append((f"clip{i}", f"src{i}", str(path), 0.5, 1.0, c, c))
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


def timed(generator, ckpt, sources, cfg, out_dir) -> float:
    job = GenerateJob("samplernn", "emotion", cfg, sources, out_dir, 0, checkpoint=ckpt)
    t0 = time.perf_counter()
    generator.generate(job)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip-seconds", type=float, default=1.0)
    parser.add_argument("--prime-seconds", type=float, default=0.256)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--single", type=int, default=2, help="clips generated one at a time")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--n-rnn", type=int, default=1)
    parser.add_argument("--frame-sizes", type=int, nargs="+", default=[16, 4])
    parser.add_argument("--classes", type=int, default=0, help="0 = unconditional")
    parser.add_argument("--warm-up", choices=["full", "lookback"], default="full")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sr = 16000
    torch.manual_seed(0)
    model = SampleRNN(
        args.frame_sizes, dim=args.dim, n_rnn=args.n_rnn, sample_rate=sr, n_classes=args.classes
    )
    classes = [f"class{k}" for k in range(args.classes)] or ["calm"]
    cfg = {
        "frame_sizes": args.frame_sizes,
        "dim": args.dim,
        "n_rnn": args.n_rnn,
        "seq_len": model.lookback,
        "prime_seconds": args.prime_seconds,
        "clip_seconds": args.clip_seconds,
        "device": args.device,
        "class_conditioning": args.classes > 0,
        "warm_up": args.warm_up,
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ckpt = root / "checkpoint.pt"
        saved = {"format": FORMAT, "model": model.state_dict(), "model_config": model.config}
        torch.save(saved | {"classes": classes if args.classes else []}, ckpt)
        sources = make_sources(root, max(args.batch, args.single), sr, classes)
        gen = SampleRNNGenerator()
        timed(gen, ckpt, sources.iloc[:1], cfg | {"clip_seconds": 0.02}, root / "warm")
        t1 = timed(gen, ckpt, sources.iloc[: args.single], cfg | {"gen_batch_size": 1}, root / "a")
        tb = timed(
            gen, ckpt, sources.iloc[: args.batch], cfg | {"gen_batch_size": args.batch}, root / "b"
        )
    single, batched = args.single / t1, args.batch / tb
    audio = args.clip_seconds
    print(
        f"SampleRNN frame_sizes {args.frame_sizes} dim {args.dim} n_rnn {args.n_rnn}, "
        f"{args.clip_seconds} s clips after a {args.prime_seconds} s prime, {args.device}, "
        f"{args.threads} thread(s), {args.classes or 'no'} classes, warm-up {args.warm_up}"
    )
    print(f"{'':>12} {'clips/s':>10} {'x real time':>12} {'s per 10 s clip':>16}")
    for name, rate in (("batch 1", single), (f"batch {args.batch}", batched)):
        print(f"{name:>12} {rate:10.3f} {rate * audio:12.4f} {10.0 / (rate * audio):16.1f}")
    print(f"batching speed-up: {batched / single:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
