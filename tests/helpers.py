"""Shared test helpers: the tiny workflow configs, a snakemake runner and readers of its output.

Test files import from here (``from helpers import ...``), never from one another. Every test that
launches snakemake must carry the ``workflow`` (or ``slurm``) marker; ``tests/snakemake_guard.py``
fails one that does not.
"""

from __future__ import annotations

import collections
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]

# The demo config at test size: both label sets, two trials, every cheap generator (~minutes).
TINY = {
    "seed": 7,
    "trials": 2,
    "labelsets": ["mood", "emotion"],
    "data": {
        "source": "demo",
        "split": "split-0",
        "demo": {"n_tracks": 40, "clip_seconds": [3, 4], "multi_label_fraction": 0.3},
    },
    "labels": {
        "tags": [
            "happy",
            "uplifting",
            "calm",
            "relaxing",
            "dark",
            "dramatic",
            "melancholic",
            "sad",
        ],
        "emotion_mapping": str(REPO / "config" / "emotion_mapping.tsv"),
    },
    "features": {
        "sample_rate": 12000,
        "n_fft": 512,
        "hop_length": 256,
        "n_mels": 96,
        "f_min": 0,
        "f_max": 6000,
        "max_frames": 192,
        "shards": 2,
    },  # fmt: skip
    "classifier": {
        "pretrained": "none",
        "width_mult": 0.25,
        "input_frames": 128,
        "chunk_frames": 64,
        "batch_size": 8,
        "crop": "random",
        "selection_metric": "pr_auc_macro",
        "augment": {"resized_crop_p": 0.33, "specaugment_p": 0.5, "mixup": True},
        "schedule": [{"optimizer": "adam", "lr": 0.001, "epochs": 2}],
    },  # fmt: skip
    "augment": {"fraction": 0.5},
    "generators": {
        "copy": {"clip_seconds": 3},
        "noise": {"clip_seconds": 3},
        "samplernn": {
            "clip_seconds": 1,
            "prime_seconds": 0.5,
            "source_seconds": 0.5,
            "frame_sizes": [4, 4],
            "dim": 16,
            "n_rnn": 1,
            "seq_len": 64,
            "chunk_seconds": 0.25,
            "batch_size": 4,
            "steps": 20,
            "val_every": 10,
            "val_chunks": 2,
            "loader_workers": 0,
        },
        "ddsp": {
            "clip_seconds": 2,
            "hop": 256,
            "f0_resolution": 0.5,
            "n_harmonics": 8,
            "n_noise_bands": 9,
            "hidden": 16,
            "batch_size": 4,
            "epochs": 1,
            "max_val_clips": 4,
            "fft_sizes": [512, 256, 128],
        },
    },  # fmt: skip
    "tables": {"n_bootstrap": 20},
}

# TINY, smaller still: one shard, one epoch, the two cheap controls.
SMALL = copy.deepcopy(TINY) | {
    "seed": 3,
    "data": TINY["data"] | {"demo": TINY["data"]["demo"] | {"n_tracks": 24}},
    "features": TINY["features"] | {"shards": 1},
    "classifier": TINY["classifier"]
    | {"augment": {}, "schedule": [{"optimizer": "adam", "lr": 0.001, "epochs": 1}]},
    "augment": {"fraction": 0.3},
    "generators": {"copy": {"clip_seconds": 2}, "noise": {"clip_seconds": 2}},
}


def snakemake(
    workdir: Path,
    *args: str,
    config: str | Path | None = "tiny.yaml",
    snakefile: str | Path | None = None,
    cores: int | None = None,
    check: bool = True,
    timeout: float | None = 1200,
    env: dict | None = None,
    cwd: str | Path | None = None,
) -> subprocess.CompletedProcess:
    """Run the real snakemake (``python -m snakemake``) on ``workdir`` and return the process.

    ``config`` is a config file relative to ``workdir`` (or absolute; None: no ``--configfile``).
    ``snakefile`` defaults to ``workdir/repo/Snakefile`` where a test made a private copy of the
    workflow there, else the repository's. ``check``: a non-zero exit fails the test with the tails
    of stdout and stderr. The calling test must be marked ``workflow`` (or ``slurm``).
    """
    workdir = Path(workdir)
    if snakefile is None:
        private = workdir / "repo" / "Snakefile"
        snakefile = private if private.exists() else REPO / "Snakefile"
    cmd = [*SNAKEMAKE[:-1], str(snakefile), "--directory", str(workdir)]
    if config is not None:
        cmd += ["--configfile", str(workdir / config)]
    if cores is not None:
        cmd += ["--cores", str(cores)]
    proc = subprocess.run(
        [*cmd, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
    )
    if check and proc.returncode != 0:
        pytest.fail(
            f"snakemake {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        )
    return proc


def run_config(workdir: Path, cfg: dict, *args: str, name: str = "config.yaml", **kwargs):
    """Write ``cfg`` to ``workdir/name`` and run :func:`snakemake` with it."""
    (Path(workdir) / name).write_text(yaml.safe_dump(cfg))
    return snakemake(workdir, *args, config=name, **kwargs)


def _output(proc_or_text) -> str:
    if isinstance(proc_or_text, str):
        return proc_or_text
    return proc_or_text.stdout + proc_or_text.stderr


def job_counts(proc_or_text, *, total: bool = False) -> dict[str, int]:
    """{rule: count} from the first job-stats table of a (dry-)run ({} when nothing is planned).

    ``proc_or_text``: a finished process (stdout + stderr are read) or the text itself.
    ``total``: keep the table's ``total`` row.
    """
    lines = _output(proc_or_text).splitlines()
    if "Job stats:" not in lines:
        return {}
    counts = {}
    for line in lines[lines.index("Job stats:") + 3 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        if parts[0] != "total" or total:
            counts[parts[0]] = int(parts[1])
    return counts


def planned_jobs(proc_or_text) -> set[str]:
    """Rule names in the job-stats table of a (dry-)run."""
    return set(job_counts(proc_or_text))


def job_blocks(proc_or_text, rule: str) -> list[str]:
    """The text block (input/output/...) of every planned job of ``rule``."""
    text = _output(proc_or_text)
    blocks = text.split("\nrule ")[1:] + text.split("\nlocalrule ")[1:]
    return [b for b in blocks if b.startswith(f"{rule}:")]


def job_wildcards(proc_or_text, rule: str) -> list[dict[str, str]]:
    """The wildcards of every planned job of ``rule``."""
    out = []
    for block in job_blocks(proc_or_text, rule):
        line = block.split("wildcards: ")[1].splitlines()[0]
        out.append(dict(kv.split("=", 1) for kv in line.split(", ")))
    return out


def runs_of(proc_or_text, rule: str) -> dict[str, int]:
    """{run: number of planned jobs} of ``rule`` (its jobs' ``run`` wildcard)."""
    return dict(collections.Counter(w["run"] for w in job_wildcards(proc_or_text, rule)))


def planned_resources(proc_or_text):
    """(rule, resources) per planned job, and the SLURM submission units (a group job is one)."""
    jobs, units, rule = [], collections.Counter(), None
    for line in _output(proc_or_text).splitlines():
        if m := re.match(r"\[.*\] Group job (\S+)", line):
            units[f"group {m.group(1)}"] += 1
        if m := re.match(r"(\s*)(?:local)?rule (\S+):$", line):
            rule = m.group(2)
            if not m.group(1):  # not inside a group job
                units[rule] += 1
        if rule and (m := re.match(r"\s*resources: (.*)$", line)):
            jobs.append((rule, dict(kv.split("=", 1) for kv in m.group(1).split(", "))))
            rule = None
    return jobs, units


def results_in_report(html: str) -> dict:
    """The report's result entries (path -> name, caption, labels, ...), from its embedded JSON."""
    match = re.search(r"var results = (\{.*?\});\n", html, flags=re.DOTALL)
    assert match, "no results in the report"
    return json.loads(match.group(1))


# A mel cache and classifier config at unit-test size (test_classifier_train, test_faults).
CLASSES = ["a", "b", "c"]
N_MELS = 24


def fake_cache(tmp_path, n_per_class=10, seed=0):
    """Mels whose class lights up a band of mel bins (plus noise), as a one-shard cache."""
    rng = np.random.default_rng(seed)
    mels, rows, start = [], [], 0
    manifest = []
    for i in range(n_per_class * len(CLASSES)):
        k = i % len(CLASSES)
        n = int(rng.integers(40, 90))
        mel = rng.normal(-60, 6, size=(N_MELS, n))
        mel[k * 8 : k * 8 + 8] += 25
        mels.append(mel.astype(np.float16))
        rows.append((f"t{i}", "shard-0.npy", start, n))
        start += n
        manifest.append((f"t{i}", f"{i}.wav", 1.0, CLASSES[k], "real"))
    np.save(tmp_path / "shard-0.npy", np.concatenate(mels, axis=1))
    index = pd.DataFrame(rows, columns=["track_id", "shard", "start", "n_frames"])
    index.to_csv(tmp_path / "shard-0.tsv", sep="\t", index=False)
    df = pd.DataFrame(manifest, columns=["track_id", "path", "duration_s", "labels", "source"])
    return df, [str(tmp_path / "shard-0.tsv")]


CLASSIFIER_CFG = {
    "pretrained": "none",
    "width_mult": 0.25,
    "input_frames": 64,
    "chunk_frames": 32,
    "batch_size": 6,
    "crop": "random",
    "selection_metric": "roc_auc_macro",
    "augment": {"resized_crop_p": 0.3, "specaugment_p": 0.3, "mixup": True, "mixup_alpha": 0.2},
    "schedule": [
        {"optimizer": "adam", "lr": 2e-3, "epochs": 4},
        {"optimizer": "sgd", "lr": 1e-3, "epochs": 2, "reload_best": True},
    ],
}


# ------------------------------------------------------------------------------ headless Chromium

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).is_file()), None
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium absent (apt-get install chromium; .ci/run does)"
)


def chromium(*args: str, timeout: float = 120) -> str:
    """Run headless Chromium (no GPU, no sandbox: containers) and return its stdout."""
    command = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--mute-audio"]
    done = subprocess.run(
        command + list(args), capture_output=True, text=True, timeout=timeout, check=True
    )
    return done.stdout
