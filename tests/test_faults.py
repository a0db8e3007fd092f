"""Faults: a training process killed with SIGKILL leaves nothing that looks complete and resumes
to the same result; truncated checkpoints give an error that names the file and the fix."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch
from helpers import CLASSES, N_MELS, fake_cache
from helpers import CLASSIFIER_CFG as CFG

from augeval import config_schema
from augeval.checkpoints import load_checkpoint, save_checkpoint
from augeval.classifier.predict import predict_manifest
from augeval.classifier.train import MODEL_KEYS, build_model, train_classifier
from augeval.errors import CheckpointError
from augeval.features import MelStore

# A real training run in its own process: 6 epochs, a resumable state every 2, then predictions.
CHILD = textwrap.dedent(
    """
    import sys
    import pandas as pd
    import torch
    from augeval.classifier.predict import predict_manifest
    from augeval.predictions import write_predictions
    from augeval.classifier.train import MODEL_KEYS, build_model, train_classifier
    from augeval.features import MelStore
    from augeval.logs import setup_logging
    from augeval.seeding import set_deterministic

    cache, out, cfg = sys.argv[1], sys.argv[2], eval(sys.argv[3])
    setup_logging(None)
    set_deterministic(1)
    df = pd.read_csv(f"{cache}/manifest.tsv", sep="\\t", dtype={"track_id": str})
    index = [f"{cache}/shard-0.tsv"]
    train_classifier(df, df, ["a", "b", "c"], MelStore(index), cfg, 24, seed=5,
                     checkpoint_path=f"{out}/checkpoint.pt")
    write_predictions(predict_manifest(f"{out}/checkpoint.pt", df, index, 8), f"{out}/test.tsv")
    """
)
KILL_CFG = CFG | {
    "schedule": [
        {"optimizer": "adam", "lr": 2e-3, "epochs": 3},
        {"optimizer": "sgd", "lr": 1e-3, "epochs": 3, "reload_best": True},
    ],
    "checkpoint_every": 2,
}


def start(cache, out):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    cmd = [sys.executable, "-c", CHILD, str(cache), str(out), repr(KILL_CFG)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def cache(tmp_path):
    df, _ = fake_cache(tmp_path)
    df.to_csv(tmp_path / "manifest.tsv", sep="\t", index=False)
    return tmp_path


def test_sigkill_mid_training_then_rerun_resumes_to_the_uninterrupted_result(cache, tmp_path):
    full, cut = tmp_path / "full", tmp_path / "cut"
    reference = start(cache, full)
    _, err = reference.communicate(timeout=600)
    assert reference.returncode == 0, err[-3000:]

    victim = start(cache, cut)
    state = cut / "train_state.pt"
    deadline = time.monotonic() + 300
    while not state.exists():  # the first periodic checkpoint (after epoch 2)
        assert victim.poll() is None, victim.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=60)
    assert victim.returncode == -signal.SIGKILL  # killed while still training
    # nothing that looks complete: no checkpoint, no predictions, only the resumable state
    assert not (cut / "checkpoint.pt").exists() and not (cut / "test.tsv").exists()
    saved_epoch = load_checkpoint(state)["epoch"]
    assert 2 <= saved_epoch < 6

    rerun = start(cache, cut)
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err[-3000:]
    assert f"resuming from {state} at epoch {saved_epoch}/6" in err
    assert not state.exists()  # removed once the final checkpoint is written
    assert (cut / "test.tsv").read_bytes() == (full / "test.tsv").read_bytes()
    a, b = load_checkpoint(full / "checkpoint.pt"), load_checkpoint(cut / "checkpoint.pt")
    assert a["best_epoch"] == b["best_epoch"] and a["history"] == b["history"]
    for key, value in a["model"].items():
        torch.testing.assert_close(b["model"][key], value, rtol=0, atol=0)


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_truncated_checkpoint_names_the_file_and_the_fix(cache, tmp_path):
    path = tmp_path / "model" / "checkpoint.pt"
    save_checkpoint({"model": {"w": torch.ones(1000)}, "epoch": 3}, path)
    truncate(path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    message = str(err.value)
    assert str(path) in message and "delete it and re-run" in message


def test_truncated_classifier_checkpoint_fails_prediction_clearly(cache, tmp_path):
    df, indexes = fake_cache(cache)
    model = build_model(len(CLASSES), CFG, N_MELS)
    path = tmp_path / "clf" / "checkpoint.pt"
    save_checkpoint(
        {
            "model": model.state_dict(),
            "classes": CLASSES,
            "model_config": {k: config_schema.fill(CFG, "classifier")[k] for k in MODEL_KEYS}
            | {"n_mels": N_MELS},
            "input_frames": CFG["input_frames"],
        },
        path,
    )
    assert len(predict_manifest(path, df, indexes, batch_size=8)) == len(df)  # intact: loads
    truncate(path)
    with pytest.raises(CheckpointError, match=rf"{path}.*delete it and re-run"):
        predict_manifest(path, df, indexes, batch_size=8)


def test_truncated_training_state_fails_clearly_and_deleting_it_recovers(cache, tmp_path):
    df, indexes = fake_cache(cache)
    cfg = CFG | {"schedule": [{"optimizer": "adam", "lr": 1e-3, "epochs": 1}]}
    out = tmp_path / "clf" / "checkpoint.pt"
    state = out.with_name("train_state.pt")
    save_checkpoint({"epoch": 1, "model": {"w": torch.ones(1000)}}, state)
    truncate(state)
    store = MelStore(indexes)
    torch.set_num_threads(1)
    with pytest.raises(CheckpointError, match=rf"{state}.*delete it and re-run"):
        train_classifier(df, df, CLASSES, store, cfg, N_MELS, 1, out)
    assert not out.exists()
    state.unlink()  # what the message says to do
    train_classifier(df, df, CLASSES, store, cfg, N_MELS, 1, out)
    assert load_checkpoint(out)["best_epoch"] == 1
