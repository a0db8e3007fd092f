"""Benchmark: mel cache throughput (audio-seconds cached per second) on one core.

Side by side, in one run, on synthetic MP3s the bench makes (44.1 kHz stereo, 320 kbps, durations
at quantiles of the real split-0 distribution):

* ``augeval``: :func:`augeval.features.build_shard` (the ``mel_shard`` rule's code);
* ``naive``: a per-file ``librosa.load(sr=12000)`` + ``librosa.feature.melspectrogram`` +
  ``power_to_db`` loop, keeping the same first ``max_frames`` frames, one ``.npy`` per track;
* ``decode-only`` floors: decoding the whole file, and decoding just the part the cache keeps
  (``max_frames`` frames, ~87 s), with soundfile, no resampling, no mel.

Throughput counts the tracks' full durations (what the cache covers) for every method. Each
method runs ``--repeat`` times (interleaved); the best CPU time is kept.
Targets: >= 3x naive, >= 0.5x decode-only.
Usage: ``nice python bench/bench_mel_cache.py [--tracks 6 --repeat 3]`` (about 1 min on 2 idle
cores, most of it encoding the MP3s).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core per method, before numpy/torch load

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import soundfile as sf  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synth import durations_like_the_dataset, make_corpus  # noqa: E402

from augeval.features import MelParams, build_shard  # noqa: E402


def naive(paths, params: MelParams, out: Path) -> None:
    import librosa

    for i, path in enumerate(paths):
        y, sr = librosa.load(path, sr=params.sample_rate, mono=True)
        power = librosa.feature.melspectrogram(
            y=y, sr=sr, n_fft=params.n_fft, hop_length=params.hop_length, n_mels=params.n_mels,
            fmin=params.f_min, fmax=params.f_max, norm="slaney", htk=False,
        )  # fmt: skip
        mel = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)[:, : params.max_frames]
        np.save(out / f"{i}.npy", mel.astype(np.float16))


def decode_full(paths) -> None:
    for path in paths:
        sf.read(path, dtype="float32")


def decode_needed(paths, params: MelParams) -> None:
    for path in paths:
        with sf.SoundFile(path) as f:
            f.read(int(np.ceil(params.max_seconds * f.samplerate)), dtype="float32")


def best_of(repeat: int, methods: dict) -> dict[str, float]:
    """Best CPU time of each method over ``repeat`` rounds, the methods interleaved per round.

    CPU time (``time.process_time``, all threads of this process) rather than wall time, so that
    other jobs on a shared machine do not skew one method more than another; every method runs on
    one thread, where the two agree on an idle machine.
    """
    best = dict.fromkeys(methods, float("inf"))
    for _ in range(repeat):
        for name, fn in methods.items():
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-frames", type=int, default=4096)
    args = parser.parse_args()
    torch.set_num_threads(1)
    params = MelParams(max_frames=args.max_frames)
    durations = durations_like_the_dataset(args.tracks)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = make_corpus(root / "audio", durations)
        print(f"made {len(paths)} MP3s, {durations.sum():.0f} s of audio "
              f"(mean {durations.mean():.0f} s) in {time.perf_counter() - t0:.0f} s")  # fmt: skip
        manifest = pd.DataFrame({"track_id": [f"t{i}" for i in range(len(paths))], "path": paths})
        (root / "naive").mkdir()
        shard = (root / "shard-0.npy", root / "shard-0.tsv")
        timings = best_of(
            args.repeat,
            {
                "decode-only, whole files": lambda: decode_full(paths),
                "decode-only, cached part": lambda: decode_needed(paths, params),
                "naive librosa loop": lambda: naive(paths, params, root / "naive"),
                "augeval build_shard": lambda: build_shard(manifest, params, *shard),
            },
        )
    audio_s = durations.sum()
    print(f"max_frames={params.max_frames} ({params.max_seconds:.1f} s kept per track), 1 thread")
    for name, seconds in timings.items():
        print(f"  {name:26s} {seconds:7.2f} s CPU  {audio_s / seconds:8.0f} audio-s/s")
    ours = timings["augeval build_shard"]
    print(f"ratio vs naive librosa loop:        {timings['naive librosa loop'] / ours:.2f}x"
          "  (target >= 3)")  # fmt: skip
    print(f"ratio vs decode-only, cached part:  {timings['decode-only, cached part'] / ours:.2f}x"
          "  (target >= 0.5)")  # fmt: skip
    print(f"ratio vs decode-only, whole files:  {timings['decode-only, whole files'] / ours:.2f}x")


if __name__ == "__main__":
    main()
