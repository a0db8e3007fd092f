"""The training loop learns, selects on validation, writes loadable checkpoints and resumes."""

import numpy as np
import pytest
import torch
from helpers import CLASSES, N_MELS, fake_cache
from helpers import CLASSIFIER_CFG as CFG

from augeval.checkpoints import load_checkpoint
from augeval.classifier.predict import predict_manifest
from augeval.classifier.train import train_classifier
from augeval.errors import CheckpointError
from augeval.features import MelStore
from augeval.metrics import ranking_metrics

# Learning is checked without augmentation (it slows learning on such tiny data); the resume
# test keeps every augmentation on so that their random streams are part of what must resume.
PLAIN = {k: v for k, v in CFG.items() if k != "augment"}  # absent: no augmentation
# 10 epochs: over seeds 3-6, test ROC-AUC 0.88-0.98 in either memory format (6 epochs: 0.78-0.96)
PLAIN |= {"schedule": [{"optimizer": "adam", "lr": 2e-3, "epochs": 10}]}


def train(tmp_path, df, indexes, name, cfg=CFG, **kw):
    torch.set_num_threads(1)
    store = MelStore(indexes)
    return train_classifier(
        df, df, CLASSES, store, cfg, N_MELS, seed=3, checkpoint_path=tmp_path / name, **kw
    )


def test_learns_and_writes_a_safe_checkpoint(tmp_path):
    df, indexes = fake_cache(tmp_path)
    result = train(tmp_path, df, indexes, "run/checkpoint.pt", cfg=PLAIN)
    assert len(result["history"]) == 10 and 1 <= result["best_epoch"] <= 10
    saved = load_checkpoint(tmp_path / "run/checkpoint.pt")  # weights_only=True
    assert saved["classes"] == CLASSES and saved["best_epoch"] == result["best_epoch"]
    assert not (tmp_path / "run/train_state.pt").exists()
    predictions = predict_manifest(tmp_path / "run/checkpoint.pt", df, indexes, batch_size=4)
    y = np.eye(3, dtype=bool)[np.arange(len(df)) % 3]
    auc = ranking_metrics(y, predictions[CLASSES].to_numpy())["roc_auc_macro"]
    assert auc > 0.8, auc


def test_resume_after_interruption_matches_uninterrupted_run(tmp_path):
    df, indexes = fake_cache(tmp_path)
    full = train(tmp_path, df, indexes, "full/checkpoint.pt")

    class Killed(Exception):
        pass

    def kill_at_epoch_4(epoch):
        if epoch == 4:
            raise Killed

    with pytest.raises(Killed):
        train(tmp_path, df, indexes, "cut/checkpoint.pt", on_epoch_end=kill_at_epoch_4)
    assert (tmp_path / "cut/train_state.pt").exists()
    assert not (tmp_path / "cut/checkpoint.pt").exists()  # nothing that looks complete
    resumed = train(tmp_path, df, indexes, "cut/checkpoint.pt")
    assert [h["epoch"] for h in resumed["history"]] == [1, 2, 3, 4, 5, 6]
    assert resumed["best_epoch"] == full["best_epoch"]
    for key, value in full["model"].items():
        torch.testing.assert_close(resumed["model"][key], value, rtol=0, atol=0)


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    bad = tmp_path / "checkpoint.pt"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match="re-run"):
        load_checkpoint(bad)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_epoch_size_real_takes_the_baseline_number_of_steps(tmp_path, monkeypatch):
    from augeval.classifier.train import epoch_examples

    df, indexes = fake_cache(tmp_path)
    augmented = df.copy()
    augmented.loc[augmented.index[:12], "source"] = "copy"  # 12 of 30 rows "generated"
    assert epoch_examples(augmented, "all") == 30
    assert epoch_examples(augmented, "real") == 18
    assert epoch_examples(augmented[augmented["source"] == "copy"], "real") == 12  # generated only
    one_epoch = PLAIN | {"schedule": [{"optimizer": "adam", "lr": 2e-3, "epochs": 1}]}
    steps = []
    adam_step = torch.optim.Adam.step
    monkeypatch.setattr(
        torch.optim.Adam, "step", lambda self, *a: steps.append(1) or adam_step(self, *a)
    )
    train(tmp_path, augmented, indexes, "all", cfg=one_epoch)
    assert len(steps) == 5  # ceil(30 / batch 6)
    steps.clear()
    train(tmp_path, augmented, indexes, "real", cfg=one_epoch | {"epoch_size": "real"})
    assert len(steps) == 3  # ceil(18 / 6): the baseline's steps


def test_a_diverging_training_stops_with_an_error_naming_the_phase_and_its_lr(tmp_path):
    from augeval.errors import TrainingError

    df, indexes = fake_cache(tmp_path)
    wild = PLAIN | {
        "schedule": [
            {"optimizer": "adam", "lr": 1e-3, "epochs": 1},
            {"optimizer": "sgd", "lr": 1e6, "epochs": 2},
        ]
    }
    with pytest.raises(
        TrainingError, match=r"diverged.*classifier\.schedule\[1\]: sgd at lr 1e\+06"
    ):
        train(tmp_path, df, indexes, "wild/checkpoint.pt", cfg=wild)
    assert not (tmp_path / "wild/checkpoint.pt").exists()  # nothing that looks complete


@pytest.mark.parametrize("kind", ["adam", "sgd"])
def test_optimizer_kernels_take_the_same_step(kind):
    """loop, foreach and fused are torch's kernels for one update rule: the weights after a few
    steps agree to float32 rounding, and an unknown kernel is a config error."""
    from augeval.classifier.train import make_optimizer
    from augeval.errors import ConfigError

    phase = {"optimizer": kind, "lr": 0.01, "epochs": 1}
    x, y = torch.randn(16, 8, generator=torch.Generator().manual_seed(0)), torch.randn(16, 3)
    weights = {}
    for impl in ("loop", "foreach", "fused"):
        torch.manual_seed(1)
        model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
        start = torch.cat([p.detach().flatten() for p in model.parameters()])
        optimizer = make_optimizer(model, phase, impl)
        for _ in range(5):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
        weights[impl] = torch.cat([p.detach().flatten() for p in model.parameters()])
        assert (weights[impl] - start).abs().max() > 1e-3  # it took steps
    for impl in ("foreach", "fused"):
        torch.testing.assert_close(weights[impl], weights["loop"], rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match="optimizer_impl 'fast'; allowed: loop, foreach, fused"):
        make_optimizer(model, phase, "fast")
