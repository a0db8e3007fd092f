"""Generation in shards (augeval.generators.gen_shards): the blocks of whole batches, the gather,
SampleRNN's shards equal to one job, and a shard killed with SIGKILL that resumes per batch."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from test_samplernn import TINY, fit, gen_job, sine_manifest, sources_for

from augeval.data.manifest import write_manifest
from augeval.errors import ConfigError, DataError
from augeval.generators.gen_shards import (
    BATCH_DIR,
    gather_manifests,
    shard_batches,
    shard_count,
    shard_rows,
)
from augeval.generators.samplernn import SampleRNNGenerator

REPO = Path(__file__).resolve().parents[1]


def test_shards_are_contiguous_blocks_of_whole_batches():
    # 10 sources in batches of 3: batches [0-2] [3-5] [6-8] [9]
    assert shard_batches(4, 3) == [2, 1, 1]
    assert [shard_rows(10, 3, 3, s) for s in range(3)] == [range(0, 6), range(6, 9), range(9, 10)]
    # more shards than batches: the last ones are empty
    assert [shard_rows(10, 3, 5, s) for s in range(5)] == [
        range(0, 3), range(3, 6), range(6, 9), range(9, 10), range(10, 10),
    ]  # fmt: skip
    assert shard_rows(10, 3, 1, 0) == range(0, 10)  # one shard: the whole run
    with pytest.raises(ConfigError, match="outside 0..2"):
        shard_rows(10, 3, 3, 3)
    assert shard_count({}) == 1 and shard_count({"gen_shards": 4}) == 4
    with pytest.raises(ConfigError, match="samplernn.gen_shards"):
        shard_count({"gen_shards": 0}, "samplernn")


def _rows(ids):
    return pd.DataFrame(
        {
            "track_id": ids,
            "path": [f"/x/{i}.wav" for i in ids],
            "duration_s": [1.23456] * len(ids),
            "labels": ["happy"] * len(ids),
            "source": ["samplernn"] * len(ids),
            "source_track_id": ["0042"] * len(ids),
            "source_offset_s": [0.5] * len(ids),
        }
    )


def test_gather_writes_the_bytes_of_one_manifest(tmp_path):
    parts = [_rows(["a", "b"]), _rows([]), _rows(["c"])]
    for i, part in enumerate(parts):
        write_manifest(part, tmp_path / f"shard-{i}.tsv")
    write_manifest(pd.concat(parts, ignore_index=True), tmp_path / "one.tsv")
    gather_manifests([tmp_path / f"shard-{i}.tsv" for i in range(3)], tmp_path / "all.tsv")
    assert (tmp_path / "all.tsv").read_bytes() == (tmp_path / "one.tsv").read_bytes()
    (tmp_path / "shard-1.tsv").write_text("other\tcolumns\n")
    with pytest.raises(DataError, match="shard-1.tsv: its columns differ"):
        gather_manifests([tmp_path / f"shard-{i}.tsv" for i in range(3)], tmp_path / "all.tsv")


# --- SampleRNN -------------------------------------------------------------------------------

CFG = TINY | {"steps": 20, "val_every": 10, "gen_batch_size": 2}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("gen_shards")
    train = sine_manifest(root / "train", 3, seed=0)
    validation = sine_manifest(root / "val", 2, seed=1)
    ckpt = root / "checkpoint.pt"
    fit(SampleRNNGenerator(), train, validation, CFG, ckpt, 0)
    primes = pd.concat([validation] * 4, ignore_index=True)
    sources = sources_for(primes, [0.1 * (i + 1) for i in range(8)])
    return ckpt, sources


def _wavs(rows: pd.DataFrame) -> list[bytes]:
    return [Path(p).read_bytes() for p in rows["path"]]


def test_samplernn_shards_gather_into_the_one_job_run(model, tmp_path):
    ckpt, sources = model  # 8 sources, batches of 2: 4 batches in 3 shards of 2, 1, 1
    gen = SampleRNNGenerator()
    one = gen.generate(gen_job(ckpt, sources, CFG, tmp_path / "one", 5))
    write_manifest(one, tmp_path / "one" / "manifest.tsv")
    out = tmp_path / "sharded"
    shards = []
    for s in range(3):
        job = gen_job(ckpt, sources, CFG, out, 5)
        job.rows = shard_rows(len(sources), CFG["gen_batch_size"], 3, s)
        rows = gen.generate(job)
        assert len(rows) == len(job.rows)
        shards.append(out / "shards" / f"shard-{s}.tsv")
        write_manifest(rows, shards[-1])
    gather_manifests(shards, out / "manifest.tsv")
    one_text = (tmp_path / "one" / "manifest.tsv").read_text()
    assert (out / "manifest.tsv").read_text() == one_text.replace(str(tmp_path / "one"), str(out))
    sharded = pd.read_csv(out / "manifest.tsv", sep="\t")
    assert _wavs(sharded) == _wavs(one)


DRIVER = """
import sys
import pandas as pd
import torch
from augeval.generators.base import GenerateJob
from augeval.generators.gen_shards import shard_rows
from augeval.generators.samplernn import SampleRNNGenerator
torch.set_num_threads(1)
ckpt, sources, out, cfg = sys.argv[1], sys.argv[2], sys.argv[3], eval(sys.argv[4])
sources = pd.read_csv(sources, sep="\\t", dtype={"clip_id": str, "track_id": str})
job = GenerateJob("samplernn", "emotion", cfg, sources, out, 5, checkpoint=ckpt)
job.rows = shard_rows(len(sources), cfg["gen_batch_size"], 2, 1)
SampleRNNGenerator().generate(job)
"""


def _finished(markers: Path) -> int:
    """Finished batches: their markers, not the hidden temporary files (``.<name>.*.tmp.tsv``,
    augeval.atomic) of a marker being written when the job was killed."""
    return sum(not p.name.startswith(".") for p in markers.glob("*.tsv"))


def test_killed_generation_shard_resumes_per_batch_with_the_same_output(model, tmp_path, caplog):
    ckpt, sources = model
    cfg = CFG | {"gen_batch_size": 1, "clip_seconds": 0.25}  # 8 batches; shard 1 of 2: 4
    rows = shard_rows(len(sources), 1, 2, 1)
    gen = SampleRNNGenerator()
    clean_job = gen_job(ckpt, sources, cfg, tmp_path / "clean", 5)
    clean_job.rows = rows
    clean = gen.generate(clean_job)

    tsv = tmp_path / "sources.tsv"
    sources.to_csv(tsv, sep="\t", index=False)
    out = tmp_path / "killed"
    env = os.environ | {"PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-c", DRIVER, str(ckpt), str(tsv), str(out), repr(cfg)]
    proc = subprocess.Popen(args, env=env, start_new_session=True)  # its own process group
    markers = out / BATCH_DIR
    deadline = time.monotonic() + 300
    while _finished(markers) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline, "no batch finished"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # as SLURM ends a job
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the shard finished before it could be killed"
    done = _finished(markers)
    assert 2 <= done < len(rows)

    caplog.clear()
    job = gen_job(ckpt, sources, cfg, out, 5)
    job.rows = rows
    with caplog.at_level("INFO", logger="augeval.generators.samplernn"):
        resumed = gen.generate(job)
    assert caplog.text.count("already written, skipped") == done  # finished batches not redone
    write_manifest(clean, tmp_path / "clean.tsv")
    write_manifest(resumed, tmp_path / "resumed.tsv")
    clean_text = (tmp_path / "clean.tsv").read_text().replace(str(tmp_path / "clean"), str(out))
    assert (tmp_path / "resumed.tsv").read_text() == clean_text
    assert _wavs(resumed) == _wavs(clean)


def test_jukebox_shards_make_the_one_job_clips(tmp_path):
    """The tiny random Jukebox: each batch's seed is its index in the whole run, so shards of
    whole batches make the same clips as one job."""
    import numpy as np
    import soundfile as sf
    from test_jukebox import SR
    from test_jukebox import TINY as JUKEBOX

    from augeval.generators import make_generator
    from augeval.generators.base import GenerateJob

    rows = []
    for k in range(3):
        path = tmp_path / f"track{k}.wav"
        t = np.arange(2 * SR) / SR
        sf.write(path, 0.4 * np.sin(2 * np.pi * (150 + 90 * k) * t), SR)
        rows.append(dict(clip_id=f"jb_{k}", track_id=f"t{k}", path=str(path), offset_s=0.25,
                         source_seconds=0.256, drawn_class="a", labels="a"))  # fmt: skip
    sources = pd.DataFrame(rows)
    cfg = {**JUKEBOX, "gen_batch_size": 1}
    gen = make_generator("jukebox")
    one = gen.generate(GenerateJob("jukebox", "emotion", cfg, sources, tmp_path / "one", seed=3))
    parts = []
    for s in range(2):  # batches 0-1 and 2
        job = GenerateJob("jukebox", "emotion", cfg, sources, tmp_path / "sharded", seed=3)
        job.rows = shard_rows(len(sources), 1, 2, s)
        parts.append(gen.generate(job))
    sharded = pd.concat(parts, ignore_index=True)
    assert list(sharded["track_id"]) == list(one["track_id"])
    assert _wavs(sharded) == _wavs(one)


@pytest.mark.workflow
def test_workflow_shards_gather_into_the_unsharded_manifest(tmp_path):
    """The real rules: gen_shards 3 plans 3 generate_shard jobs and generate_clips gathers
    them into the same manifest and clips as gen_shards 1."""
    import copy

    import yaml
    from helpers import TINY, job_counts, snakemake

    cfg = copy.deepcopy(TINY)
    cfg["generators"]["samplernn"]["gen_batch_size"] = 2
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(cfg))
    run = tmp_path / "results/generated/samplernn/mood/main"
    target = str(run.relative_to(tmp_path) / "manifest.tsv")
    snakemake(tmp_path, "--cores", "2", target)
    one_manifest = (run / "manifest.tsv").read_bytes()
    one = pd.read_csv(run / "manifest.tsv", sep="\t")
    one_wavs = _wavs(one.assign(path=[tmp_path / p for p in one["path"]]))
    assert len(one) >= 5  # at least 3 batches of 2
    (run / "manifest.tsv").unlink()
    shutil.rmtree(run / "wav")
    shutil.rmtree(run / BATCH_DIR)

    cfg["generators"]["samplernn"]["gen_shards"] = 3
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(cfg))
    dry = snakemake(tmp_path, "-n", "--cores", "2", target)
    counts = job_counts(dry)
    assert counts.get("generate_shard_gpu", 0) + counts.get("generate_shard", 0) == 3
    snakemake(tmp_path, "--cores", "2", target)
    assert sorted(p.name for p in (run / "shards").glob("*.tsv")) == [
        f"shard-{s}.tsv" for s in range(3)
    ]
    assert (run / "manifest.tsv").read_bytes() == one_manifest
    assert _wavs(one.assign(path=[tmp_path / p for p in one["path"]])) == one_wavs
