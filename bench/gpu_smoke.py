"""GPU smoke: one short training and one generation batch of each generator, and classifier steps.

Prepared to run once when a GPU machine is lent (``device`` tool), as one short script::

    python bench/gpu_smoke.py --device cuda --out "$OUT"          # ~5 min on one H200

On this repository's CPU machines it runs the same code at toy sizes (``--device cpu --scale
toy``, ~1 min) so it is known to work before a GPU is spent on it. For each part it prints and
writes (``--out``/gpu_smoke.tsv) the wall seconds, the work done, the rate (the unit costs the
cost forecast needs: seconds per training step, per generated audio-second, per excerpt) and the
peak GPU memory (``torch.cuda.max_memory_allocated``). A part that fails prints its error and the
others still run. Nothing is downloaded: the audio is synthesised, the classifier and
generators start from random weights (speed does not depend on the weights' values) and Jukebox
is ``init: random`` at full 5b size (``--scale paper``) or tiny.

Parts (``--only`` picks some): ``classifier`` (MobileNetV2 + attention, paper input 96 x 4096,
forward + backward + SGD step), ``samplernn`` (fit ``steps`` steps, one generation batch),
``ddsp_features`` (pYIN vs CREPE seconds per 4 s excerpt), ``ddsp`` (fit a few steps, one
generation batch), ``jukebox`` (one primed batch, top level only where supported).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from augeval.generators.base import SOURCE_COLUMNS, FitJob, GenerateJob  # noqa: E402

PAPER = yaml.safe_load((REPO / "config/mtg_jamendo.yaml").read_text())["generators"]
SR16 = 16000


class Part:
    """Wall time and peak GPU memory of one part; rows for the table."""

    rows: list[dict] = []

    def __init__(self, name: str, device: str):
        self.name, self.device = name, device

    def __enter__(self):
        if self.device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        self.t0 = time.perf_counter()
        return self

    def record(self, what: str, units: float, unit: str, seconds: float | None = None):
        if self.device == "cuda":
            torch.cuda.synchronize()
        wall = seconds if seconds is not None else time.perf_counter() - self.t0
        peak = torch.cuda.max_memory_allocated() / 2**30 if self.device == "cuda" else math.nan
        row = {
            "part": self.name, "what": what, "seconds": wall, "units": units, "unit": unit,
            "seconds_per_unit": wall / units if units else math.nan, "peak_gpu_gib": peak,
        }  # fmt: skip
        Part.rows.append(row)
        print(
            f"{self.name:14s} {what:34s} {wall:9.2f} s  {units:9.1f} {unit:16s} "
            f"{row['seconds_per_unit']:10.4f} s/unit  peak {peak:6.2f} GiB",
            flush=True,
        )
        self.t0 = time.perf_counter()

    def __exit__(self, kind, exc, tb):
        if exc is not None:
            print(f"{self.name}: FAILED: {kind.__name__}: {exc}", flush=True)
            traceback.print_exception(kind, exc, tb, limit=4)
            Part.rows.append({"part": self.name, "what": f"FAILED: {kind.__name__}: {exc}"})
        return True  # the other parts still run


def tones(root: Path, n: int, seconds: float, sr: int, classes: list[str]) -> pd.DataFrame:
    """``n`` harmonic tones with vibrato (a manifest: track_id path duration_s labels source)."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        t = np.arange(int(seconds * sr)) / sr
        f0 = rng.uniform(110, 440) * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
        phase = 2 * np.pi * np.cumsum(f0) / sr
        y = sum(np.sin(k * phase) / k for k in range(1, 6)) * 0.2
        y = y + 0.005 * rng.standard_normal(len(t))
        path = root / f"t{i}.wav"
        sf.write(path, y.astype(np.float32), sr, subtype="PCM_16")
        rows.append((f"t{i}", str(path), seconds, classes[i % len(classes)], "real"))
    return pd.DataFrame(rows, columns=["track_id", "path", "duration_s", "labels", "source"])


def sources_of(manifest: pd.DataFrame, n: int, seconds: float) -> pd.DataFrame:
    rows = [
        (f"c{i}", r.track_id, r.path, 0.0, seconds, r.labels, r.labels)
        for i, r in enumerate(manifest.head(n).itertuples())
    ]
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


def classifier(args, device):
    from augeval.classifier.model import MoodClassifier

    paper = args.scale == "paper"
    frames, batch, steps = (4096, 32, 10) if paper else (512, 4, 3)
    model = MoodClassifier(56, n_mels=96, chunk_frames=256, width_mult=1.0, pretrained="none")
    model = model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x = torch.randn(batch, 96, frames, device=device)
    y = (torch.rand(batch, 56, device=device) < 0.05).float()
    with Part("classifier", device) as p:
        for step in range(steps + 1):
            if step == 1:
                p.record("first step (warm-up)", 1, "step")
            loss = model.loss(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        p.record(f"train steps, batch {batch} x {frames} frames", steps, "step")
        model.eval()
        with torch.inference_mode():
            for _ in range(steps):
                model(x)
        p.record(f"inference, batch {batch}", steps * batch, "track")


def samplernn(args, device, root):
    from augeval.generators.samplernn import SampleRNNGenerator

    cfg = dict(PAPER["samplernn"]) if args.scale == "paper" else {
        "frame_sizes": [16, 4], "dim": 64, "n_rnn": 1, "seq_len": 256, "batch_size": 8,
        "chunk_seconds": 1.0, "prime_seconds": 0.25, "clip_seconds": 0.5,
        "gen_batch_size": 4,
    }  # fmt: skip
    for key in ("resources", "threads", "source_seconds"):  # workflow keys, not the model's
        cfg.pop(key, None)
    steps = 20 if args.scale == "paper" else 4
    cfg |= {"steps": steps, "val_every": steps, "device": device}
    seconds = max(2 * float(cfg["chunk_seconds"]), 2.0)
    train = tones(root / "srnn", 8, seconds, SR16, ["a", "b"])
    gen = SampleRNNGenerator()
    ckpt = root / "srnn" / "checkpoint.pt"
    with Part("samplernn", device) as p:
        gen.fit(FitJob("samplernn", "emotion", cfg, train, train.head(2), ckpt, 0))
        p.record(f"fit {steps} steps (incl. setup)", steps, "step")
        n = int(cfg["gen_batch_size"])
        sources = sources_of(pd.concat([train] * math.ceil(n / len(train))), n,
                             float(cfg["prime_seconds"]))  # fmt: skip
        gen.generate(GenerateJob("samplernn", "emotion", cfg, sources, root / "srnn_out", 0,
                                 checkpoint=ckpt))  # fmt: skip
        generated = n * float(cfg["clip_seconds"])
        p.record(f"generate one batch of {n}", generated, "generated audio-s")


def ddsp_features(args, device, root):
    from augeval.generators.ddsp_features import extract_features

    clip = tones(root / "f0", 1, 4.0, SR16, ["a"])
    y = sf.read(clip.path[0], dtype="float32")[0]
    n = 4 if args.scale == "paper" else 1
    with Part("ddsp_features", device) as p:
        for method in ("pyin", "crepe"):
            cfg = dict(PAPER["ddsp"]) | {"f0_method": method}
            if args.scale != "paper":
                cfg |= {"hop": 256, "f0_resolution": 0.25, "crepe_model": "tiny"}
            extract_features(y, cfg)  # warm-up (CREPE weights, numba)
            p.t0 = time.perf_counter()
            for _ in range(n):
                extract_features(y, cfg)
            p.record(f"{method} hop {cfg['hop']}", n, "4 s excerpt")


def ddsp(args, device, root):
    from augeval.generators.ddsp import DDSPGenerator
    from augeval.generators.ddsp_features import cache_features

    cfg = dict(PAPER["ddsp"])
    for key in ("resources", "threads"):
        cfg.pop(key, None)
    cfg |= {"f0_method": "pyin", "device": device, "epochs": 1, "max_steps": 10}
    if args.scale != "paper":
        cfg |= {"hop": 256, "hidden": 32, "n_harmonics": 16, "batch_size": 2, "max_steps": 2,
                "f0_resolution": 0.25, "clip_seconds": 1.0, "reverb_seconds": 0.1}  # fmt: skip
    n = 2 * int(cfg["batch_size"]) * int(cfg["max_steps"])
    manifest = tones(root / "ddsp", min(n, 32), float(cfg["clip_seconds"]), SR16, ["a", "b"])
    features = {s: root / "ddsp" / f"{s}.npz" for s in ("train", "validation")}
    cache_features(manifest, cfg, features["train"])
    cache_features(manifest.head(2), cfg, features["validation"])
    ckpt = root / "ddsp" / "checkpoint.pt"
    gen = DDSPGenerator()
    with Part("ddsp", device) as p:
        gen.fit(FitJob("ddsp", "emotion", cfg, manifest, manifest.head(2), ckpt, 0, features))
        p.record(f"fit {cfg['max_steps']} steps, batch {cfg['batch_size']}", cfg["max_steps"],
                 "step")  # fmt: skip
        sources = sources_of(manifest, min(len(manifest), 16), float(cfg["clip_seconds"]))
        feats = root / "ddsp" / "sources.npz"
        cache_features(sources, cfg, feats)
        p.record(f"features of {len(sources)} sources ({cfg['f0_method']})", len(sources),
                 "excerpt")  # fmt: skip
        job = GenerateJob("ddsp", "emotion", cfg, sources, root / "ddsp_out", 0, checkpoint=ckpt,
                          features=feats)  # fmt: skip
        gen.generate(job)
        p.record(f"reconstruct {len(sources)} clips", len(sources) * cfg["clip_seconds"],
                 "generated audio-s")  # fmt: skip


def jukebox(args, device, root):
    from augeval.generators import generator_keys
    from augeval.generators.jukebox import JukeboxGenerator

    paper = args.scale == "paper"
    if paper:  # the 5b architecture, random weights: the real cost per token
        cfg = {"init": "random", "tiny": False, "sample_rate": 44100, "prime_seconds": 1.0,
               "clip_seconds": 1.0 + args.jukebox_seconds, "gen_batch_size": 3}  # fmt: skip
    else:
        cfg = {"init": "random", "tiny": True, "sample_rate": SR16, "prime_seconds": 0.25,
               "clip_seconds": 0.5, "gen_batch_size": 2}  # fmt: skip
    cfg["device"] = device
    keys = set(generator_keys("jukebox"))
    for levels in ("top", "all"):
        if "levels" not in keys and levels == "top":
            continue  # this checkout has no levels option: both upsamplers always run
        c = cfg | ({"levels": levels} if "levels" in keys else {})
        sr = int(c["sample_rate"])
        manifest = tones(root / f"jb_{levels}", 3, 4.0, sr, ["a", "b", "c"])
        n = int(c["gen_batch_size"])
        sources = sources_of(manifest, n, float(c["prime_seconds"]))
        with Part(f"jukebox_{levels}", device) as p:
            JukeboxGenerator().generate(
                GenerateJob("jukebox", "emotion", c, sources, root / f"jb_out_{levels}", 0)
            )
            generated = n * (float(c["clip_seconds"]) - float(c["prime_seconds"]))
            p.record(f"one batch of {n} ({'5b random' if paper else 'tiny'})", generated,
                     "generated audio-s")  # fmt: skip
        if paper and levels == "top" and not args.jukebox_all:
            break  # both upsamplers at 5b size take far longer than a smoke run


PARTS = {"classifier": classifier, "samplernn": samplernn, "ddsp_features": ddsp_features,
         "ddsp": ddsp, "jukebox": jukebox}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument(
        "--scale",
        choices=["paper", "toy"],
        default=None,
        help="paper sizes (default on cuda) or toy sizes (default on cpu)",
    )
    parser.add_argument("--only", nargs="+", choices=list(PARTS), default=list(PARTS))
    parser.add_argument(
        "--jukebox-seconds",
        type=float,
        default=1.0,
        help="generated seconds per clip of the 5b random Jukebox",
    )
    parser.add_argument("--jukebox-all", action="store_true", help="also run both upsamplers")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 matmuls (Ampere+)")
    parser.add_argument("--out", type=Path, default=None, help="folder for gpu_smoke.tsv")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("gpu_smoke: --device cuda but torch sees no CUDA device (use --device cpu)")
    args.scale = args.scale or ("paper" if args.device == "cuda" else "toy")
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    print(f"gpu_smoke: {name}, torch {torch.__version__}, scale {args.scale}, tf32 {args.tf32}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for part in args.only:
            (root / part).mkdir()
            fn = PARTS[part]
            if part == "classifier":
                with Part(part, args.device):
                    fn(args, args.device)
            else:
                with Part(part, args.device):
                    fn(args, args.device, root)
    table = pd.DataFrame(Part.rows)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        table.assign(device=name, scale=args.scale).to_csv(
            args.out / "gpu_smoke.tsv", sep="\t", index=False
        )
    failed = table["what"].astype(str).str.startswith("FAILED").sum()
    print(f"gpu_smoke: {len(table) - failed} measurements, {failed} failed part(s)")


if __name__ == "__main__":
    main()
