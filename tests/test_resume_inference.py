"""Resumable inference jobs (augeval.work_units, augeval.classifier.predict.predict_outputs and
embed_outputs): a job killed with SIGKILL half-way reruns only the batches it had not finished
and writes the bytes of an uninterrupted run; changed inputs or settings invalidate the kept
batches; SIGTERM stops the job after the batch in progress, with the preemption exit status."""

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import CLASSES, N_MELS, REPO, fake_cache

from augeval.checkpoints import save_checkpoint
from augeval.classifier import predict as predict_mod
from augeval.classifier.model import MoodClassifier
from augeval.classifier.predict import (
    embed_manifest,
    embed_outputs,
    predict_manifests,
    predict_outputs,
)
from augeval.classifier.train import build_model
from augeval.data.manifest import write_manifest
from augeval.features import MelStore
from augeval.predictions import write_predictions

MODEL_CFG = {"width_mult": 0.25, "pretrained": "none", "chunk_frames": 32}
EVAL_AUGMENT = {
    "augment": {"resized_crop_scope": "chunk", "resized_crop_p": 1.0, "specaugment_p": 1.0},
    "chunk_frames": 32,
    "seed": 7,
}
BATCH = 4  # 30 tracks: 8 batches (the last one of 2)
DONE = re.compile(r"(\d+) of (\d+) batches done before")

# The job in its own process, each batch slowed down so that the kill lands half-way.
DRIVER = textwrap.dedent(
    """
    import sys, time
    from augeval.classifier.model import MoodClassifier
    from augeval.classifier import predict
    from augeval.logs import run_logged
    from augeval.seeding import set_deterministic

    kind, args = sys.argv[1], eval(sys.argv[2])
    set_deterministic(1)
    name = "forward" if kind == "predict" else "embed_chunks"
    original = getattr(MoodClassifier, name)

    def slow(self, x):
        time.sleep(0.25)
        return original(self, x)

    setattr(MoodClassifier, name, slow)
    job = predict.predict_outputs if kind == "predict" else predict.embed_outputs
    run_logged(None, lambda: job(*args))
    """
)


def make_checkpoint(path, seed, eval_augment=EVAL_AUGMENT):
    torch.manual_seed(seed)
    model = build_model(len(CLASSES), MODEL_CFG, N_MELS)
    save_checkpoint(
        {
            "model": model.state_dict(),
            "classes": CLASSES,
            "model_config": MODEL_CFG | {"n_mels": N_MELS},
            "input_frames": 64,
            "eval_augment": eval_augment,
        },
        path,
    )
    return str(path)


@pytest.fixture
def setup(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the killed job (set_deterministic(1)): the same float sums
    yield _setup(tmp_path)
    torch.set_num_threads(threads)


def _setup(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    df, index = fake_cache(cache)  # 30 tracks
    write_manifest(df, tmp_path / "clips.tsv")
    checkpoints = []
    for trial in range(2):
        (tmp_path / "ckpt" / f"trial-{trial}").mkdir(parents=True)
        checkpoints.append(make_checkpoint(tmp_path / f"ckpt/trial-{trial}/checkpoint.pt", trial))
    return tmp_path, df, index, checkpoints


def pred_outputs(root):
    return [str(root / f"out/trial-{t}/generated_g.tsv") for t in range(2)]


def start_job(kind, args):
    env = os.environ | {"PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-c", DRIVER, kind, repr(args)]
    return subprocess.Popen(cmd, env=env, start_new_session=True, stderr=subprocess.PIPE, text=True)


def kill_after(proc, work_glob, root, n_units, sig=signal.SIGKILL):
    """Signal the job's process group once ``n_units`` batch units exist under ``root``."""
    deadline = time.monotonic() + 120
    while len(list(root.glob(work_glob))) < n_units and proc.poll() is None:
        assert time.monotonic() < deadline, "no batch finished"
        time.sleep(0.01)
    os.killpg(proc.pid, sig)  # as SLURM ends a job
    _, stderr = proc.communicate()
    return stderr


def count_calls(monkeypatch, name):
    calls = []
    original = getattr(MoodClassifier, name)

    def counted(self, x):
        calls.append(len(x))
        return original(self, x)

    monkeypatch.setattr(MoodClassifier, name, counted)
    return calls


def done_counts(text):
    return [(int(a), int(b)) for a, b in DONE.findall(text)]


# --------------------------------------------------------------------------- predictions


def test_predict_outputs_equal_the_one_shot_predictions(setup):
    """Batch by batch with the augmentation's generator carried on: the same TSV bytes as one
    uninterrupted pass of predict_manifests (the evaluation augmentation is on)."""
    root, df, index, checkpoints = setup
    outputs = pred_outputs(root)
    predict_outputs(checkpoints, [root / "clips.tsv"], index, BATCH, outputs)
    for checkpoint, out in zip(checkpoints, outputs, strict=True):
        [table] = predict_manifests(checkpoint, [df], MelStore(index), BATCH)
        write_predictions(table, root / "expected.tsv")
        assert Path(out).read_bytes() == (root / "expected.tsv").read_bytes()
        assert not Path(out).with_suffix(".work").exists()  # work folder removed


def test_predictions_killed_half_way_resume_without_redoing_batches(setup, caplog, monkeypatch):
    root, df, index, checkpoints = setup
    clean = [str(root / f"clean/trial-{t}/generated_g.tsv") for t in range(2)]
    predict_outputs(checkpoints, [root / "clips.tsv"], index, BATCH, clean)

    outputs = pred_outputs(root)
    proc = start_job("predict", [checkpoints, [str(root / "clips.tsv")], index, BATCH, outputs])
    kill_after(proc, "out/*/*.work/batch-*.npz", root, 11)  # trial 0 done, trial 1 under way
    assert proc.returncode == -signal.SIGKILL, "the job finished before it could be killed"
    per_trial = [len(list(Path(o).with_suffix(".work").glob("batch-*.npz"))) for o in outputs]
    assert per_trial[0] == 8 and 3 <= per_trial[1] < 8

    calls = count_calls(monkeypatch, "forward")
    with caplog.at_level("INFO", logger="augeval.work_units"):
        predict_outputs(checkpoints, [root / "clips.tsv"], index, BATCH, outputs)
    assert done_counts(caplog.text) == [(8, 8), (per_trial[1], 8)]
    assert len(calls) == 8 - per_trial[1]  # only the unfinished batches were computed
    for out, ref in zip(outputs, clean, strict=True):
        assert Path(out).read_bytes() == Path(ref).read_bytes()
        assert not Path(out).with_suffix(".work").exists()


class Crash(Exception):
    pass


def crash_after(monkeypatch, n):
    """Make the job die (an exception, as a node failure would) after ``n`` batches."""
    original = predict_mod.head_batches

    def dying(*args, **kwargs):
        for i, item in enumerate(original(*args, **kwargs)):
            if i == n:
                raise Crash
            yield item

    monkeypatch.setattr(predict_mod, "head_batches", dying)
    return original


def test_changed_checkpoint_batch_size_or_mels_invalidate_kept_predictions(
    setup, caplog, monkeypatch
):
    root, df, index, checkpoints = setup
    manifests, outputs = [root / "clips.tsv"], pred_outputs(root)[:1]
    original = crash_after(monkeypatch, 3)
    with pytest.raises(Crash):
        predict_outputs(checkpoints[:1], manifests, index, BATCH, outputs)
    monkeypatch.setattr(predict_mod, "head_batches", original)
    work = Path(outputs[0]).with_suffix(".work")
    assert len(list(work.glob("batch-*.npz"))) == 3

    def rerun(batch_size=BATCH):
        caplog.clear()
        with caplog.at_level("INFO", logger="augeval.work_units"):
            predict_outputs(checkpoints[:1], manifests, index, batch_size, outputs)
        [table] = predict_manifests(checkpoints[0], [df], MelStore(index), batch_size)
        write_predictions(table, root / "expected.tsv")
        assert Path(outputs[0]).read_bytes() == (root / "expected.tsv").read_bytes()
        return done_counts(caplog.text)

    def partial():  # three batches kept from the settings in force
        crash_after(monkeypatch, 3)
        with pytest.raises(Crash):
            predict_outputs(checkpoints[:1], manifests, index, BATCH, outputs)
        monkeypatch.setattr(predict_mod, "head_batches", original)

    make_checkpoint(checkpoints[0], seed=99)  # retrained weights
    assert rerun() == [(0, 8)]
    partial()
    assert rerun(batch_size=5) == [(0, 6)]  # other batches
    partial()
    shard = Path(index[0]).with_name("shard-0.npy")
    mels = np.load(shard)
    np.save(shard, mels + np.float16(1))  # the mel cache was recomputed
    assert rerun() == [(0, 8)]
    partial()
    assert rerun() == [(3, 8)]  # nothing changed: the kept batches are used


# --------------------------------------------------------------------------- embeddings


def embed_args(root, index, checkpoint, output):
    sets = ["validation", "gen"]
    return [
        checkpoint,
        sets,
        [str(root / "clips.tsv"), str(root / "half.tsv")],
        index,
        BATCH,
        output,
    ]


def test_embed_killed_half_way_resumes_and_writes_the_same_bytes(setup, caplog, monkeypatch):
    root, df, index, checkpoints = setup
    write_manifest(df.iloc[::2], root / "half.tsv")  # 15 tracks: 4 batches
    clean = str(root / "clean/trial-0.npz")
    embed_outputs(*embed_args(root, index, checkpoints[0], clean))
    again = str(root / "again/trial-0.npz")
    embed_outputs(*embed_args(root, index, checkpoints[0], again))
    assert Path(clean).read_bytes() == Path(again).read_bytes()  # byte-reproducible
    with np.load(clean) as data:  # the embeddings of the former one-pass function
        for name, manifest in (("validation", df), ("gen", df.iloc[::2])):
            ids, expected = embed_manifest(checkpoints[0], manifest, index, BATCH)
            assert list(data[f"{name}.track_id"]) == ids
            np.testing.assert_array_equal(data[f"{name}.embedding"], expected)

    output = str(root / "out/trial-0.npz")
    proc = start_job("embed", embed_args(root, index, checkpoints[0], output))
    kill_after(proc, "out/trial-0.work/*/batch-*.npz", root, 9)  # validation done, gen under way
    assert proc.returncode == -signal.SIGKILL, "the job finished before it could be killed"
    work = Path(output).with_suffix(".work")
    kept = [len(list((work / s).glob("batch-*.npz"))) for s in ("validation", "gen")]
    assert kept[0] == 8 and 1 <= kept[1] < 4
    assert not Path(output).exists()

    calls = count_calls(monkeypatch, "embed_chunks")
    with caplog.at_level("INFO", logger="augeval.work_units"):
        embed_outputs(*embed_args(root, index, checkpoints[0], output))
    assert done_counts(caplog.text) == [(8, 8), (kept[1], 4)]
    assert len(calls) == 4 - kept[1]
    assert Path(output).read_bytes() == Path(clean).read_bytes()
    assert not work.exists()


def test_embed_sigterm_stops_after_a_batch_and_changed_inputs_invalidate(setup, caplog):
    """SIGTERM (SLURM's preemption) ends the job after the batch in progress, status 143; a
    rerun with another checkpoint recomputes everything, one with another manifest that set."""
    root, df, index, checkpoints = setup
    write_manifest(df.iloc[::2], root / "half.tsv")
    output = str(root / "out/trial-0.npz")
    proc = start_job("embed", embed_args(root, index, checkpoints[0], output))
    stderr = kill_after(proc, "out/trial-0.work/*/batch-*.npz", root, 3, signal.SIGTERM)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "stopped by SIGTERM after saving the finished batches" in stderr
    work = Path(output).with_suffix(".work")
    kept = len(list((work / "validation").glob("batch-*.npz")))
    assert 3 <= kept < 8

    with caplog.at_level("INFO", logger="augeval.work_units"):
        embed_outputs(*embed_args(root, index, checkpoints[1], output))  # another checkpoint
    assert done_counts(caplog.text) == [(0, 8), (0, 4)]
    expected = str(root / "expected.npz")
    embed_outputs(*embed_args(root, index, checkpoints[1], expected))
    assert Path(output).read_bytes() == Path(expected).read_bytes()


def test_a_damaged_or_foreign_unit_is_recomputed(tmp_path, caplog):
    """WorkUnits: a unit is used only with its own tag; a truncated file (outside damage) or one
    of other settings or another unit name reads as missing, with a log line naming the file."""
    from augeval.work_units import WorkUnits

    units = WorkUnits(tmp_path / "w", {"batch_size": 4}, "test")
    units.save("batch-000000", {"x": np.arange(3)})
    np.testing.assert_array_equal(units.load("batch-000000")["x"], np.arange(3))
    assert WorkUnits(tmp_path / "w", {"batch_size": 5}, "test").load("batch-000000") is None
    units.path("batch-000000").rename(units.path("batch-000001"))  # the right settings, wrong unit
    with caplog.at_level("INFO", logger="augeval.work_units"):
        assert units.load("batch-000001") is None
    assert "batch-000001.npz was made from other inputs or settings" in caplog.text
    units.save("batch-000002", {"x": np.arange(1000)})
    data = units.path("batch-000002").read_bytes()
    units.path("batch-000002").write_bytes(data[: len(data) // 2])
    with caplog.at_level("WARNING", logger="augeval.work_units"):
        assert units.load("batch-000002") is None
    assert "cannot read" in caplog.text and "batch-000002.npz" in caplog.text
    assert units.load("batch-000003") is None  # never made
    units.clear()
    assert not (tmp_path / "w").exists()
