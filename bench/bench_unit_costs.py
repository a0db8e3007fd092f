"""Benchmark: the CPU unit costs of ``resources/costs.yaml`` (the cost forecast's throughputs).

Each unit is timed (CPU seconds of this process and its children, so other jobs on a shared
machine do not inflate it) on small synthetic inputs with randomly initialised models (speed
does not depend on the weights' values), one thread, median of ``--repeats``; prints one line
per unit ``name value unit`` to paste into ``resources/costs.yaml``. Units (``--only`` picks some):

* ``job_overhead``: a fresh Python importing torch, pandas and augeval (what every job pays).
* ``pyin_demo`` / ``pyin_paper``: DDSP features (pYIN + loudness) of one 4 s excerpt at 16 kHz,
  at the demo's (hop 256, 0.25-semitone grid) and the paper config's (hop 64, 0.1) settings.
* ``classifier_demo`` / ``classifier_paper``: one training example (forward, backward, Adam) and
  one prediction, demo model (width 0.35, 256 frames, last_channels 320) and paper model
  (width 1.0, 4096 frames).
* ``samplernn_gen_demo`` / ``samplernn_gen_paper``: one sample step of primed generation for a
  batch of 32 rows (demo dim 64 × 1 GRU; paper dim 1024 × 2 GRUs).
* ``samplernn_train_demo``: one training step of the demo SampleRNN (batch 16 × 256 samples).
* ``ddsp_train_demo``: one training example of the demo DDSP (4 s, hop 256, spectral loss).
* ``jukebox_demo``: primed sampling (all three levels) with the demo's tiny untrained Jukebox,
  16 rows, 2.048 s -> 6.144 s at 4 kHz, per generated second.
* ``bootstrap``: the Table III metrics (ROC/PR-AUC macro+micro, F1 argmax and thresholded) per
  track × class, as one bootstrap resample of one variant and trial costs.
* ``sweep_metric``: one metric call of the ratio sweep's (Python-loop) bootstrap, 48 x 4.
* ``demo_synth``: the demo corpus synthesiser, per second of 16 kHz audio.

Runs under the malloc settings every workflow job gets (``augeval.malloc``). Usage:
``PYTHONPATH=src nice -n 10 python bench/bench_unit_costs.py [--only pyin_paper]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

SR = 16000
ROWS = int(os.environ.get("BENCH_JUKEBOX_ROWS", "16"))  # rows of the tiny Jukebox batch


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: unlike wall time, it does not grow
    when other jobs share the cores (one thread, so it is the wall time of an idle core)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up (allocations, lazy imports)
    times = []
    for _ in range(repeats):
        t0 = cpu_seconds()
        fn()
        times.append(cpu_seconds() - t0)
    return statistics.median(times)


def music(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f = 110 * 2 ** (rng.integers(0, 24, size=int(seconds * 2) + 1) / 12)
    y = 0.4 * np.sin(2 * np.pi * np.repeat(f, SR // 2)[: len(t)] * t)
    return (y + 0.01 * rng.normal(size=len(t))).astype(np.float32)


def job_overhead(repeats):
    code = "import torch, pandas, augeval.logs, augeval.data.manifest"
    env = os.environ | {"PYTHONPATH": os.environ.get("PYTHONPATH", "src")}

    def run():
        subprocess.run([sys.executable, "-c", code], check=True, env=env)

    return {"job_overhead_s": (median_time(run, repeats), "s per job")}


def _pyin(hop, resolution, repeats):
    from augeval.generators.ddsp_features import extract_features, feature_config

    fcfg = feature_config({"hop": hop, "f0_resolution": resolution})
    y = music(4.0)
    return median_time(lambda: extract_features(y, fcfg), repeats)


def pyin_demo(repeats):
    return {"ddsp_features_s_per_excerpt[hop=256,res=0.25]": (_pyin(256, 0.25, repeats), "s")}


def pyin_paper(repeats):
    return {"ddsp_features_s_per_excerpt[hop=64,res=0.1]": (_pyin(64, 0.1, repeats), "s")}


def _classifier(width, frames, chunk, batch, repeats, tag, last=None):
    from augeval.classifier.model import MoodClassifier

    torch.manual_seed(0)
    model = MoodClassifier(56, n_mels=96, chunk_frames=chunk, width_mult=width, last_channels=last)
    model = model.to(memory_format=torch.channels_last)  # classifier.memory_format's default
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 96, frames)
    y = (torch.rand(batch, 56) < 0.05).float()

    def step():
        model.train()
        loss = model.loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    train = median_time(step, repeats) / batch
    predict = median_time(lambda: model.predict_proba(x), repeats) / batch
    return {
        f"classifier_train_s_per_example[{tag}]": (train, "s"),
        f"classifier_predict_s_per_example[{tag}]": (predict, "s"),
    }


def classifier_demo(repeats):
    return _classifier(0.35, 256, 128, 8, repeats, "width=0.35,frames=256,last=320", last=320)


def classifier_paper(repeats):
    return _classifier(1.0, 4096, 256, 2, max(1, repeats // 2), "width=1.0,frames=4096")


def _samplernn_model(dim, n_rnn):
    from augeval.generators.samplernn_model import SampleRNN

    torch.manual_seed(0)
    return SampleRNN(
        frame_sizes=[16, 4], dim=dim, n_rnn=n_rnn, q_levels=256, quantization="mu_law",
        sample_rate=SR,
    )  # fmt: skip


def _samplernn_gen(dim, n_rnn, n, repeats, tag):
    from augeval.generators.samplernn_model import RowNoise

    model = _samplernn_model(dim, n_rnn).eval()
    batch = 32
    prime = torch.randint(0, 256, (batch, 4 * model.lookback))

    def run():
        with torch.no_grad():
            model.sample(prime, n, RowNoise(0, [str(i) for i in range(batch)], "cpu"))

    return {
        f"samplernn_gen_s_per_sample_step[{tag},batch=32]": (median_time(run, repeats) / n, "s")
    }


def samplernn_gen_demo(repeats):
    return _samplernn_gen(64, 1, 2048, repeats, "dim=64,n_rnn=1")


def samplernn_gen_paper(repeats):
    return _samplernn_gen(1024, 2, 128, max(1, repeats // 2), "dim=1024,n_rnn=2")


def samplernn_train_demo(repeats):
    model = _samplernn_model(64, 1).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randint(0, 256, (16, model.lookback + 256))

    def step():
        logits, _ = model(x)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), x[:, model.lookback :].reshape(-1)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()

    return {
        "samplernn_train_s_per_step[dim=64,n_rnn=1,batch=16,seq=256]": (
            median_time(step, repeats),
            "s",
        )
    }


def ddsp_train_demo(repeats):
    from augeval.generators.ddsp_config import resolve_config
    from augeval.generators.ddsp_model import build_model
    from augeval.generators.ddsp_synth import multiscale_spectral_loss

    cfg = resolve_config({"hop": 256, "n_harmonics": 32, "n_noise_bands": 33, "hidden": 64})
    torch.manual_seed(0)
    model = build_model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch, frames = 8, 4 * SR // 256
    f0 = torch.full((batch, frames), 220.0)
    loud = torch.full((batch, frames), -30.0)
    target = torch.from_numpy(np.stack([music(4.0, s) for s in range(batch)]))

    def step():
        y = model(f0, loud)
        loss = multiscale_spectral_loss(y, target[:, : y.shape[-1]], cfg["fft_sizes"])
        opt.zero_grad()
        loss.backward()
        opt.step()

    value = median_time(step, repeats) / batch
    return {"ddsp_train_s_per_example[hop=256,hidden=64,n_harmonics=32]": (value, "s")}


def jukebox_demo(repeats):
    from augeval.generators.jukebox_model import JukeboxModel

    rows, sr, prime, total = ROWS, 4000, 2.048, 6.144
    cfg = dict(tiny=True, init="random", sample_rate=sr, device="cpu", prime_seconds=prime,
               clip_seconds=total, fp16=False)  # fmt: skip
    torch.manual_seed(0)
    model = JukeboxModel(cfg, torch.device("cpu"))
    x = 0.2 * torch.randn(rows, model.prime, 1)
    model.calibrate(x, seed=0)
    value = median_time(lambda: model.primed_sample(x, seed=1), 1) / (total - prime)
    return {f"jukebox_levels_s_per_generated_second[tiny,rows={rows},sr=4000]": (value, "s")}


def bootstrap(repeats):
    """make_table3's vectorised two-stage bootstrap (augeval.stats.bootstrap_trials), per
    resample x test track x class of one variant and trial, at the paper's shape (56 classes,
    the paper config's two F1 modes)."""
    from augeval.stats import bootstrap_trials

    rng = np.random.default_rng(0)
    n, k, n_boot = 2000, 56, 100
    y = rng.random((n, k)) < 0.05
    y[0], y[1] = True, False
    s = rng.random((n, k))
    decisions = {"argmax": "argmax", "test": s > 0.9}  # the paper config's two F1 modes
    runs = {"baseline": [(s, decisions)]}
    value = median_time(lambda: bootstrap_trials(y, runs, n_boot, seed=0), repeats)
    return {"bootstrap_s_per_track_class": (value / (n_boot * n * k), "s")}


def sweep_metric(repeats):
    """One metric call of the ratio sweep's bootstrap (augeval.beyond_tables.sweep_table scores
    every resample with augeval.metrics.compute): the demo's 48 test tracks x 4 classes."""
    from augeval.metrics import compute

    rng = np.random.default_rng(0)
    y = rng.random((48, 4)) < 0.3
    y[0], y[1] = True, False
    s = rng.random((48, 4))
    calls = 100
    value = median_time(lambda: [compute("roc_auc_macro", y, s) for _ in range(calls)], repeats)
    return {"sweep_metric_s_per_call[classes=4]": (value / calls, "s")}


def demo_synth(repeats):
    from augeval.synth import synthesise_track

    seconds = 10.0

    def run():
        synthesise_track(("calm",), int(seconds * SR), number=1, artist=1, sample_rate=SR, seed=0)

    return {"demo_synth_s_per_audio_s[sr=16000]": (median_time(run, repeats) / seconds, "s")}


UNITS = {
    f.__name__: f
    for f in (
        job_overhead, pyin_demo, pyin_paper, classifier_demo, classifier_paper,
        samplernn_gen_demo, samplernn_gen_paper, samplernn_train_demo, ddsp_train_demo,
        jukebox_demo, bootstrap, sweep_metric, demo_synth,
    )
}  # fmt: skip


def main() -> None:
    from augeval.malloc import apply_malloc_defaults

    # Jobs run with the malloc settings common.smk gives them (glibc reads them at start-up).
    if apply_malloc_defaults():
        os.execv(sys.executable, [sys.executable, *sys.argv])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(UNITS), default=list(UNITS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        f"# {os.uname().nodename}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, 1 thread"
    )
    for name in args.only:
        for unit, (value, what) in UNITS[name](args.repeats).items():
            print(f"{unit}\t{value:.6g}\t{what}", flush=True)


if __name__ == "__main__":
    main()
