"""DDSP feature shards: the shard arithmetic, sharded caches equal to one job's, a process pool
that changes no byte, a shard killed with SIGKILL that resumes, and validation cut to what
training reads. Real WAVs, real pYIN (small settings: 1-2 s tones, hop 256)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from augeval.errors import DataError
from augeval.generators import with_defaults
from augeval.generators.ddsp_features import (
    cache_part,
    compute_features,
    compute_shard,
    gather_features,
    load_features,
    part_excerpts,
    source_excerpts,
    train_excerpts,
)
from augeval.generators.ddsp_shards import (
    excerpts_per_shard,
    part_excerpt_count,
    part_shard_sizes,
    shard_bounds,
    shard_count,
)
from augeval.generators.ddsp_train import load_clip_set

REPO = Path(__file__).resolve().parents[1]
SR = 16000
CFG = {
    "sample_rate": SR,
    "hop": 256,
    "clip_seconds": 1.0,
    "f0_min": 60.0,
    "f0_max": 1000.0,
    "f0_resolution": 0.25,
    "max_val_clips": 3,
    "feature_shards": 4,
}


def tone(f0: float, seconds: float, seed: int) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    y = 0.3 * np.sin(2 * np.pi * f0 * t) * np.minimum(1, t / 0.05)
    return (y + 0.01 * np.random.default_rng(seed).standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Seven tracks of 1.2-2.4 s and a sources table of excerpts of unequal lengths."""
    root = tmp_path_factory.mktemp("ddsp_shards")
    rows = []
    for i in range(7):
        path = root / "audio" / f"t{i}.wav"
        path.parent.mkdir(exist_ok=True)
        seconds = 1.2 + 0.2 * i
        sf.write(path, tone(110.0 * (1 + i % 4), seconds, i), SR)
        rows.append((f"t{i}", str(path), seconds))
    manifest = pd.DataFrame(rows, columns=["track_id", "path", "duration_s"])
    sources = pd.DataFrame(
        {
            "clip_id": [f"c{i}" for i in range(5)],
            "track_id": manifest["track_id"][:5],
            "path": manifest["path"][:5],
            "offset_s": [0.0, 0.25, 0.5, 0.1, 0.0],
            "source_seconds": [1.0, 0.5, 1.0, 0.75, 1.0],  # unequal: shards of unequal width
        }
    )
    return root, manifest, sources


def read_bytes(path) -> bytes:
    return Path(path).read_bytes()


# --- arithmetic -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n,k", [(0, 3), (1, 4), (7, 3), (10, 5), (27500, 16), (5, 8)])
def test_shards_cover_every_excerpt_once_in_order(n, k):
    covered = [i for s in range(k) for i in range(*shard_bounds(n, k, s))]
    assert covered == list(range(n))
    sizes = excerpts_per_shard(n, k)
    assert sum(sizes) == n and max(sizes) - min(sizes) <= 1
    with pytest.raises(ValueError, match="outside"):
        shard_bounds(n, k, k)


def test_shard_and_excerpt_counts_per_part():
    cfg = {"feature_shards": 16, "max_val_clips": 256, "excerpts_per_track": 2}
    assert shard_count(cfg, "train") == shard_count(cfg, "sources-frac-0.1") == 16
    assert shard_count(cfg, "validation") == 1  # its 256 excerpts are one job
    assert part_excerpt_count(cfg, "train", 9949) == 19898
    assert part_excerpt_count(cfg, "validation", 3802) == 256  # what training reads
    assert part_excerpt_count(cfg, "sources-main", 27500) == 27500
    assert sorted(excerpts_per_shard(27500, 16)) == [1718] * 4 + [1719] * 12  # 27500 = 16*1718 + 12
    assert part_shard_sizes(cfg, "validation", 3802) == [256]
    assert part_shard_sizes(cfg | {"feature_shards": 3}, "train", 5) == [3, 3, 4]
    with pytest.raises(ValueError, match="sources-<run>"):
        shard_count(cfg, "test")


# --- sharded caches -------------------------------------------------------------------------------


@pytest.mark.parametrize("part", ["train", "sources-main"])
def test_sharded_cache_equals_one_job(corpus, tmp_path, part):
    _, manifest, sources = corpus
    table = sources if part.startswith("sources") else manifest
    excerpts = (
        source_excerpts(sources) if part.startswith("sources") else train_excerpts(manifest, 1.0)
    )
    whole = compute_features(excerpts, CFG)
    # 9 shards of 5 or 7 excerpts: some are empty; 2 processes per shard
    path = cache_part(table, CFG, part, tmp_path, n_shards=9, threads=2)
    got = load_features(path, CFG)
    for k in whole:
        if k == "config":
            assert got[k] == whole[k]
        else:
            assert got[k].dtype == whole[k].dtype, k
            np.testing.assert_array_equal(got[k], whole[k], err_msg=k)
    assert list(got["n_frames"]) == [int(np.ceil(round(s * SR) / 256)) for s in excerpts.seconds]


def test_threads_change_no_byte(corpus, tmp_path):
    _, manifest, _ = corpus
    excerpts = train_excerpts(manifest, 1.0)
    compute_shard(excerpts, CFG, tmp_path / "one.npz", threads=1)
    compute_shard(excerpts, CFG, tmp_path / "three.npz", threads=3)
    assert read_bytes(tmp_path / "one.npz") == read_bytes(tmp_path / "three.npz")
    assert not (tmp_path / "one.work").exists()  # the chunks are gone once the cache is written


def test_validation_part_is_what_training_reads(corpus, tmp_path):
    _, manifest, _ = corpus
    excerpts = part_excerpts(manifest, CFG, "validation")
    assert list(excerpts["track_id"]) == ["t0", "t1", "t2"]  # the first max_val_clips
    path = cache_part(
        manifest, CFG, "validation", tmp_path, n_shards=shard_count(CFG, "validation")
    )
    assert len(load_features(path)["key"]) == 3
    cfg = with_defaults("ddsp", CFG)
    clips = load_clip_set(manifest, cfg, path, "ddsp validation", CFG["max_val_clips"])
    assert clips.keys == list(excerpts["key"])
    with pytest.raises(DataError, match="re-run its feature rule"):  # all 7 were not computed
        load_clip_set(manifest, cfg, path, "ddsp validation")


def test_gather_refuses_shards_of_other_settings(corpus, tmp_path):
    _, manifest, _ = corpus
    excerpts = train_excerpts(manifest, 1.0)
    compute_shard(excerpts.iloc[:1], CFG, tmp_path / "a.npz")
    compute_shard(excerpts.iloc[1:2], CFG | {"hop": 128}, tmp_path / "b.npz")
    with pytest.raises(DataError, match="different settings"):
        gather_features([tmp_path / "a.npz", tmp_path / "b.npz"], tmp_path / "all.npz")


# --- resume after SIGKILL -------------------------------------------------------------------------

DRIVER = """
import sys
import pandas as pd
from augeval.generators.ddsp_features import compute_shard, train_excerpts
manifest = pd.read_csv(sys.argv[1], sep="\\t", dtype={"track_id": str})
cfg = {"sample_rate": 16000, "hop": 256, "clip_seconds": 1.0, "f0_min": 60.0,
       "f0_max": 1000.0, "f0_resolution": 0.25}
compute_shard(train_excerpts(manifest, 1.0), cfg, sys.argv[2], threads=int(sys.argv[3]))
"""


def start_shard(manifest_tsv: Path, out: Path, threads: int) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-c", DRIVER, str(manifest_tsv), str(out), str(threads)]
    return subprocess.Popen(args, env=env, start_new_session=True)  # its own process group


def test_killed_shard_resumes_and_writes_the_same_bytes(corpus, tmp_path, caplog):
    _, manifest, _ = corpus
    big = pd.concat([manifest] * 2, ignore_index=True)  # 14 excerpts, a few s of pYIN
    big["track_id"] = [f"t{i}" for i in range(len(big))]
    tsv = tmp_path / "manifest.tsv"
    big.to_csv(tsv, sep="\t", index=False)
    threads = 2
    clean = tmp_path / "clean" / "shard-0.npz"
    compute_shard(train_excerpts(big, 1.0), CFG, clean, threads=1)  # uninterrupted, 1 process

    out = tmp_path / "killed" / "shard-0.npz"
    work = out.with_suffix(".work")
    proc = start_shard(tsv, out, threads)
    deadline = time.monotonic() + 300
    while len(list(work.glob("0*.npz"))) < 4 and proc.poll() is None:
        assert time.monotonic() < deadline, "no chunk written"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the job and its pool, as SLURM ends a job
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the shard finished before it could be killed"
    done = sorted(p.name for p in work.glob("0*.npz"))
    assert 4 <= len(done) < len(big) and not out.exists()
    (work / done[0]).write_bytes(b"damaged")  # a chunk broken from outside is recomputed
    caplog.clear()
    with caplog.at_level("INFO", logger="augeval.generators.ddsp"):
        compute_shard(train_excerpts(big, 1.0), CFG, out, threads=threads)
    assert f"excerpts, {len(done) - 1} done before" in caplog.text
    assert f", {len(big) - len(done) + 1} to compute" in caplog.text
    assert read_bytes(out) == read_bytes(clean)
    assert not work.exists()
