"""The helpers of bench/rehearsal.py: job-stat and SLURM-submission counting, templates, the
tracks the SampleRNN step rewrites, process-group CPU time and sampling progress."""

import importlib.util
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from helpers import REPO

from augeval.errors import AudioError
from augeval.generators.base import FitJob
from augeval.generators.samplernn import SampleRNNGenerator

spec = importlib.util.spec_from_file_location("rehearsal", REPO / "bench" / "rehearsal.py")
rehearsal = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rehearsal)

# A hand-written excerpt in the shape of Snakemake 9's dry-run listing under the SLURM profile:
# two ungrouped jobs, one group of two jobs, one local rule, then the job-stats table.
LISTING = """\
[Thu Dec  3 07:41:11 2026]
rule check_audio:
    output: results/data/audio_check/test.tsv
Shell command: None
[Thu Dec  3 07:41:11 2026] Group job small (jobs in lexicogr. order):

    [Thu Dec  3 07:41:11 2026]
    rule make_manifest:
        output: results/data/mood/train.tsv

    [Thu Dec  3 07:41:11 2026]
    rule plan_augmentation:
        output: results/augment/copy/mood/main/sources.tsv
[Thu Dec  3 07:41:12 2026]
rule train_generator:
    output: results/generators/samplernn/mood/checkpoint.pt
[Thu Dec  3 07:41:12 2026]
localrule all:
    input: x
Job stats:
job                   count
------------------  -------
all                       1
check_audio               1
make_manifest             1
plan_augmentation         1
train_generator           1
total                     5

Reasons:
    (check individual jobs above for details)
"""


def test_job_stats_table_is_read_with_its_total():
    assert rehearsal.parse_job_stats(LISTING) == {
        "all": 1,
        "check_audio": 1,
        "make_manifest": 1,
        "plan_augmentation": 1,
        "train_generator": 1,
        "total": 5,
    }
    assert rehearsal.parse_job_stats("Nothing to be done.") == {}


def test_submissions_count_groups_once_and_ungrouped_jobs_each():
    # check_audio, train_generator and the local all: 3 top-level; 1 group of 2 members
    assert rehearsal.count_submissions(LISTING) == (1, 3, 2)


def test_templates_are_stable_spread_and_distinct():
    paths = [f"{n % 100:02d}/{n}.mp3" for n in range(2000)]
    picks = [rehearsal.template_index(p, 8) for p in paths]
    assert picks == [rehearsal.template_index(p, 8) for p in paths]
    assert set(picks) == set(range(8))
    assert max(np.bincount(picks)) < 2 * len(paths) / 8  # no template takes a double share
    a, b = rehearsal.template_audio(0, 1.0, 8000), rehearsal.template_audio(1, 1.0, 8000)
    assert a.shape == (8000,) and a.dtype == np.float32 and np.abs(a).max() <= 0.4
    assert not np.allclose(a, b)


# A SampleRNN small enough to train in a second: lookback 4, 2 segments of 8 samples per
# 16-sample example (8 kHz), 3 examples per batch; 3 steps use batches 0 and 1 (the loader
# decodes batch 2 ahead).
SR = 8000
TINY_SRNN = {
    "sample_rate": SR,
    "frame_sizes": [2, 2],
    "dim": 4,
    "n_rnn": 1,
    "q_levels": 16,
    "seq_len": 8,
    "chunk_seconds": 16 / SR,
    "batch_size": 3,
    "steps": 3,
    "val_every": 3,
    "val_chunks": 2,
    "loader_workers": 1,
    "device": "cpu",
}


def stand_in_manifest(root, prefix, n):
    """``n`` tracks whose manifest says 1-3 s but whose files hold 2 samples (as the
    rehearsal's short stand-ins, read past their end they raise AudioError)."""
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        path = root / f"{prefix}{i}.mp3"
        sf.write(path, np.zeros(2, np.float32), SR, format="WAV")
        rows.append((f"{prefix}{i}", str(path), 1.0 + 2.0 * i / n, "happy", "real"))
    return pd.DataFrame(rows, columns=["track_id", "path", "duration_s", "labels", "source"])


def fit_tiny(tmp_path, train, validation):
    ckpt = tmp_path / "ckpt.pt"
    job = FitJob("samplernn", "mood", TINY_SRNN, train, validation, ckpt, seed=11)
    SampleRNNGenerator().fit(job)
    return ckpt


def test_samplernn_train_reads_are_what_fit_reads(tmp_path):
    train = stand_in_manifest(tmp_path / "a", "t", 40)
    validation = stand_in_manifest(tmp_path / "a", "v", 10)
    reads = rehearsal.samplernn_train_reads(train, validation, TINY_SRNN, 11)
    # 2 validation excerpts + 3 batches of 3 at most (repeats dropped), not every track
    assert 3 <= len(reads) <= 11 and len({p for p, _ in reads}) == len(reads)
    assert [p for p, _ in reads[:2]] == [validation["path"][0], validation["path"][5]]
    assert {p for p, _ in reads[2:]} <= set(train["path"])
    durations = dict(zip(train["path"], train["duration_s"], strict=True))
    assert all(d == durations[p] for p, d in reads[2:])
    # Only the first read (a validation excerpt), then only the first training read, left short:
    # fit fails; every one rewritten at its manifest length: fit trains (other files stay short).
    rehearsal.write_full_length(reads[1:], SR)
    with pytest.raises(AudioError, match=Path(reads[0][0]).name):
        fit_tiny(tmp_path, train, validation)
    rehearsal.write_full_length(reads[:1], SR)
    sf.write(reads[2][0], np.zeros(2, np.float32), SR, format="WAV")
    with pytest.raises(AudioError, match=Path(reads[2][0]).name):
        fit_tiny(tmp_path, train, validation)
    rehearsal.write_full_length(reads[2:3], SR)
    assert fit_tiny(tmp_path, train, validation).is_file()


def test_shard_prime_paths_are_the_shards_first_batches():
    # 10 sources in batches of 3 = 4 batches, 2 shards of 2 batches: rows 0-5 and 6-9
    sources = pd.DataFrame({"path": ["p0", "p0", *(f"p{i}" for i in range(2, 10))]})
    assert rehearsal.shard_prime_paths(sources, 3, 2, 0, 1) == ["p0", "p2"]
    assert rehearsal.shard_prime_paths(sources, 3, 2, 0, 9) == ["p0", "p2", "p3", "p4", "p5"]
    assert rehearsal.shard_prime_paths(sources, 3, 2, 1, 1) == ["p6", "p7", "p8"]
    assert rehearsal.shard_prime_paths(sources, 3, 2, 1, 2) == ["p6", "p7", "p8", "p9"]


def test_group_cpu_seconds_counts_a_busy_child(tmp_path):
    spin = (
        "import time\nwhile time.process_time() < 0.6: pass\nprint('x', flush=True)\ntime.sleep(30)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", spin], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        proc.stdout.readline()
        assert 0.55 <= rehearsal.group_cpu_seconds(proc.pid) < 3.0  # ticks of 10 ms, rounded down
        assert rehearsal.group_cpu_seconds(proc.pid + 10**7) == 0.0  # no such group
    finally:
        proc.kill()
        proc.wait()


def test_progress_lines_are_parsed_with_their_time(tmp_path):
    log = tmp_path / "shard.log"
    log.write_text(
        "2026-12-03 13:00:00,000 INFO augeval.generators.samplernn: samplernn: 5 parameters\n"
        "2026-12-03 13:00:10,500 INFO augeval.generators.samplernn: batch 1/44: "
        "sampled 700/96000 (1%) x 32 rows: 0.004 x real time per row, 0.140 x overall\n"
    )
    t = datetime(2026, 12, 3, 13, 0, 10, 500000).timestamp()
    assert rehearsal.progress_lines(log) == [(t, 700, 96000)]
    assert rehearsal.progress_lines(tmp_path / "none.log") == []
