"""Benchmark: the classifier's CPU step in contiguous vs channels_last memory format.

Side by side, in one run, on one thread: one training step (forward, backward, Adam) and one
prediction batch (``torch.inference_mode``) of :class:`augeval.classifier.model.MoodClassifier`,
with its convolution weights in ``torch.contiguous_format`` (NCHW) and in
``torch.channels_last`` (NHWC, what ``classifier.memory_format: channels_last`` sets), for the
demo's shapes (width 0.35, last_channels 320, 48 mels x 128 frames, batch 16) and the paper
config's (width 1.0, 96 mels x 4096 frames in 256-frame chunks, batch 16; fewer repeats). The two
formats alternate step by step so that other load on a shared machine hits both alike; CPU
seconds of this process, median over the repeats. Target: channels_last >= 1.15x faster on the
demo's training step, and not slower at paper shapes.
Usage: ``PYTHONPATH=src nice python bench/bench_memory_format.py [--repeats 20]`` (about 2 min).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

from augeval.classifier.model import MoodClassifier  # noqa: E402

SHAPES = {
    # name: (model kwargs, mels, frames, batch, repeat divisor)
    "demo": (dict(chunk_frames=128, width_mult=0.35, last_channels=320), 48, 128, 16, 1),
    "paper": (dict(chunk_frames=256, width_mult=1.0, last_channels=None), 96, 4096, 16, 10),
}
FORMATS = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}


def cpu_seconds(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def bench(shape: str, repeats: int) -> dict[str, tuple[float, float]]:
    kwargs, mels, frames, batch, divisor = SHAPES[shape]
    n = max(3, repeats // divisor)
    models, optims = {}, {}
    for name, fmt in FORMATS.items():
        torch.manual_seed(0)
        models[name] = MoodClassifier(4, n_mels=mels, **kwargs).to(memory_format=fmt)
        optims[name] = torch.optim.Adam(models[name].parameters(), lr=1e-3)
    x = torch.randn(batch, mels, frames)
    y = (torch.rand(batch, 4) < 0.3).float()
    train = {name: [] for name in FORMATS}
    infer = {name: [] for name in FORMATS}

    def step(name):
        model, opt = models[name], optims[name]
        model.train()
        loss = model.loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def predict(name):
        models[name].eval()
        with torch.inference_mode():
            models[name](x)

    for i in range(n + 1):  # the first round warms up, not counted
        for name in FORMATS:
            t = cpu_seconds(lambda name=name: step(name))
            e = cpu_seconds(lambda name=name: predict(name))
            if i:
                train[name].append(t)
                infer[name].append(e)
    return {
        name: (statistics.median(train[name]), statistics.median(infer[name])) for name in FORMATS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--shapes", default="demo,paper")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'shape':<6} {'format':<14} {'train step s':>12} {'predict s':>10}")
    for shape in args.shapes.split(","):
        got = bench(shape, args.repeats)
        for name, (t, e) in got.items():
            print(f"{shape:<6} {name:<14} {t:>12.4f} {e:>10.4f}")
        (t0, e0), (t1, e1) = got["contiguous"], got["channels_last"]
        print(f"{shape:<6} {'ratio c/cl':<14} {t0 / t1:>11.2f}x {e0 / e1:>9.2f}x", flush=True)


if __name__ == "__main__":
    main()
