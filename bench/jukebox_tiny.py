"""Benchmark: primed sampling with the tiny, untrained Jukebox (augeval.generators.jukebox).

Runs the batched primed path the workflow uses, side by side in one run: ``levels: all`` on CPU
float32 with augeval's CPU shim (which skips the package's per-window ``gc.collect()``), the same
keeping that ``gc.collect()``, ``levels: top`` (top prior only, level-2 decode: the paper's), and,
where a GPU exists, CUDA fp32 and fp16 of both. Prints seconds per batch, seconds per generated
second of audio and the speed ratio to the first row. A tiny model's ratio of top to all is not
the real one (upstream: upsampling is most of the ~3 h per 20 s on a V100); the tiny priors all
have the same width and depth, so it shows the share of tokens: the upsamplers sample 16x and 4x
the top level's.
Usage: ``python bench/jukebox_tiny.py [--rows 8 --sample-rate 16000 --prime 1.0 --total 2.0]``.
"""

from __future__ import annotations

import argparse
import time

import torch

from augeval.generators.jukebox_model import JukeboxModel


def run(device: str, fp16: bool, args, skip_gc: bool = True, levels: str = "all") -> float:
    cfg = dict(tiny=True, init="random", sample_rate=args.sample_rate, device=device,
               prime_seconds=args.prime, clip_seconds=args.total, fp16=fp16,
               levels=levels)  # fmt: skip
    torch.manual_seed(0)
    model = JukeboxModel(cfg, torch.device(device))
    model.skip_gc = skip_gc
    x = 0.2 * torch.randn(args.rows, model.prime, 1)
    model.calibrate(x, seed=0)
    built = [p for p in model.priors if p is not None]
    resident: list[int] = []  # priors on the GPU whenever one samples: one level at a time

    def on_gpu() -> int:
        return sum(next(q.parameters()).is_cuda for q in built)

    for prior in built:  # record residency at each window's sampling call (instance attribute)
        prior.sample = (lambda f: lambda *a, **k: (resident.append(on_gpu()), f(*a, **k))[1])(
            prior.sample
        )
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    model.primed_sample(x, seed=1)  # sampling and the decode that is written
    if device == "cuda":
        torch.cuda.synchronize()
        print(f"{device} {levels}: at most {max(resident, default=0)} of {len(built)} priors on "
              f"the GPU at once; peak {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB; "
              f"{on_gpu()} left there after sampling")  # fmt: skip
    else:
        print(f"{device} {levels}: {len(resident)} window calls")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--sample-rate", type=int, default=16000)
    parser.add_argument("--prime", type=float, default=1.0)
    parser.add_argument("--total", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = {
        "cpu fp32 (shim skips gc)": run("cpu", False, args),
        "cpu fp32 (package gc kept)": run("cpu", False, args, skip_gc=False),
        "cpu fp32 levels top": run("cpu", False, args, levels="top"),
    }
    if torch.cuda.is_available():
        results["cuda fp32"] = run("cuda", False, args)
        results["cuda fp16"] = run("cuda", True, args)
        results["cuda fp16 levels top"] = run("cuda", True, args, levels="top")
    base = next(iter(results.values()))
    generated = args.total - args.prime
    print(f"{args.rows} primes, {args.prime} s -> {args.total} s at {args.sample_rate} Hz")
    for name, seconds in results.items():
        print(f"{name:28s} {seconds:7.2f} s/batch {seconds / generated:7.2f} s/generated s "
              f"speed x{base / seconds:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
