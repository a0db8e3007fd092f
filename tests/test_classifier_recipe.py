"""Training-recipe options beyond the reference: scoring a track on several windows
(``classifier.eval_windows``), a linear learning-rate warm-up per schedule phase
(``classifier.schedule[].warmup_epochs``), output biases at the train rows' log prior odds
(``classifier.output_bias``) and a global gradient-norm clip (``classifier.grad_clip``)."""

import numpy as np
import pytest
import torch
from helpers import CLASSES, N_MELS, fake_cache
from helpers import CLASSIFIER_CFG as CFG

from augeval.checkpoints import load_checkpoint
from augeval.classifier import train as train_mod
from augeval.classifier.data import DB_SCALE
from augeval.classifier.model import MoodClassifier
from augeval.classifier.predict import predict_manifest
from augeval.classifier.train import (
    model_from_checkpoint,
    predict_scores,
    train_classifier,
    window_offsets,
)
from augeval.data.manifest import LABEL_SEP
from augeval.errors import ConfigError
from augeval.features import MelStore

PLAIN = {k: v for k, v in CFG.items() if k != "augment"}


def test_window_offsets_run_from_the_first_frames_to_the_last():
    assert window_offsets(100, 32, 1) == [0]  # the reference: the first frames
    assert window_offsets(100, 32, 3) == [0, 34, 68]  # 68 = 100 - 32 frames of room
    assert window_offsets(100, 32, 4) == [0, 23, 45, 68]  # 68 / 3 = 22.67, rounded
    assert window_offsets(20, 32, 3) == [0, 0, 0]  # shorter than a window: tiled, same each time
    with pytest.raises(ConfigError, match="eval_windows"):
        window_offsets(100, 32, 0)


def independent_scores(model, store, ids, n_frames, starts_of):
    """Mean over windows of the model's probabilities, each window cut here by slicing."""
    out = []
    with torch.no_grad():
        for t in ids:
            mel = store.get(t)
            probs = []
            for s in starts_of(mel.shape[1]):
                window = torch.from_numpy(mel[:, s : s + n_frames] / DB_SCALE).float()[None]
                probs.append(model.probabilities(model(window)).numpy()[0])
            out.append(np.mean(probs, axis=0))
    return np.stack(out)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A one-epoch model trained with ``eval_windows: 3`` (an untrained one scores every input
    alike), its checkpoint's path, the cache's manifest and indexes."""
    tmp_path = tmp_path_factory.mktemp("windows")
    df, indexes = fake_cache(tmp_path)
    cfg = PLAIN | {
        "input_frames": 32,
        "eval_windows": 3,
        "schedule": [{"optimizer": "adam", "lr": 2e-3, "epochs": 1}],
    }
    torch.set_num_threads(1)
    path = tmp_path / "w3" / "checkpoint.pt"
    result = train_classifier(df, df, CLASSES, MelStore(indexes), cfg, N_MELS, seed=3,
                              checkpoint_path=path)  # fmt: skip
    return model_from_checkpoint(result), path, df, indexes


def test_scores_average_the_windows_and_one_window_is_the_first_frames(trained):
    model, _, df, indexes = trained
    store, ids, n = MelStore(indexes), list(df["track_id"]), 32
    assert min(store.length(t) for t in ids) >= n  # every window is a plain slice
    one = predict_scores(model, store, ids, n, 7)
    np.testing.assert_allclose(one, independent_scores(model, store, ids, n, lambda L: [0]),
                               atol=1e-6)  # fmt: skip
    three = predict_scores(model, store, ids, n, 7, windows=3)
    expected = independent_scores(model, store, ids, n, lambda L: [0, round((L - n) / 2), L - n])
    np.testing.assert_allclose(three, expected, atol=1e-6)
    assert np.abs(three - one).max() > 1e-4  # the other windows count


def test_checkpoint_keeps_eval_windows_for_prediction(trained, tmp_path):
    model, path, df, indexes = trained
    store, ids = MelStore(indexes), list(df["track_id"])
    assert load_checkpoint(path)["eval_windows"] == 3
    predicted = predict_manifest(path, df, indexes, batch_size=5)[CLASSES].to_numpy()
    np.testing.assert_allclose(predicted, predict_scores(model, store, ids, 32, 5, windows=3),
                               atol=1e-6)  # fmt: skip
    first_only = predict_scores(model, store, ids, 32, 5)
    assert np.abs(predicted - first_only).max() > 1e-4
    # an older checkpoint without the key is scored on its first frames
    old = dict(load_checkpoint(path))
    del old["eval_windows"]
    torch.save(old, tmp_path / "old.pt")
    older = predict_manifest(tmp_path / "old.pt", df, indexes, batch_size=5)[CLASSES].to_numpy()
    np.testing.assert_allclose(older, first_only, atol=1e-6)


def test_warmup_raises_the_lr_linearly_over_the_phase_s_first_epochs(tmp_path, monkeypatch):
    df, indexes = fake_cache(tmp_path)
    assert len(df) == 30  # batches of 6: 5 steps per epoch
    schedule = [
        {"optimizer": "adam", "lr": 2e-3, "epochs": 2, "warmup_epochs": 1.5},
        {"optimizer": "sgd", "lr": 1e-3, "epochs": 1},
    ]
    made, lrs = [], []
    real_make = train_mod.make_optimizer

    def recording_make(*args):
        made.append(real_make(*args))
        return made[-1]

    monkeypatch.setattr(train_mod, "make_optimizer", recording_make)
    torch.set_num_threads(1)
    train_classifier(
        df, df, CLASSES, MelStore(indexes), PLAIN | {"schedule": schedule}, N_MELS, seed=3,
        checkpoint_path=tmp_path / "warm" / "checkpoint.pt",
        on_step=lambda epoch, batch: lrs.append(made[-1].param_groups[0]["lr"]),
    )  # fmt: skip
    # Independently: warm-up over 1.5 x 5 = 7.5 steps, step k (from 1) at 2e-3 * k / 7.5; the
    # SGD phase has none
    expected = [2e-3 * min(1.0, k / 7.5) for k in range(1, 11)] + [1e-3] * 5
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)


# ---------------------------------------------------------------- output_bias, grad_clip


def test_output_bias_prior_makes_an_untrained_model_predict_the_class_frequencies():
    torch.manual_seed(0)
    model = MoodClassifier(3, n_mels=N_MELS, chunk_frames=32, width_mult=0.25).eval()
    for head in (model.head_a, model.head_b):
        torch.nn.init.zeros_(head[-1].weight)  # the output is then the bias alone
    model.init_output_bias(torch.tensor([0.5, 0.2, 0.0]))
    x = torch.randn(4, N_MELS, 64)
    probs = model.probabilities(model(x)).detach().numpy()
    # sigmoid(log(p / (1 - p))) = p, with 0 clamped to 1e-3
    np.testing.assert_allclose(probs, np.tile([0.5, 0.2, 1e-3], (4, 1)), rtol=1e-5)


@pytest.mark.parametrize("setting", ["torch", "prior"])
def test_training_starts_from_the_train_rows_class_frequencies(setting, tmp_path, monkeypatch):
    df, indexes = fake_cache(tmp_path)
    df = df.copy()
    df.loc[df.index[:4], "labels"] = f"a{LABEL_SEP}b"  # 4 rows gain a second class
    seen = []
    real_init = MoodClassifier.init_output_bias

    def recording_init(self, frequencies):
        seen.append(frequencies.numpy().copy())
        real_init(self, frequencies)

    monkeypatch.setattr(MoodClassifier, "init_output_bias", recording_init)
    cfg = PLAIN | {
        "output_bias": setting,
        "schedule": [{"optimizer": "adam", "lr": 1e-3, "epochs": 1}],
    }
    train_classifier(df, df, CLASSES, MelStore(indexes), cfg, N_MELS, seed=3,
                     checkpoint_path=tmp_path / "bias" / "checkpoint.pt")  # fmt: skip
    if setting == "torch":
        assert seen == []
        return
    labels = [set(s.split(LABEL_SEP)) for s in df["labels"]]
    expected = [sum(c in ls for ls in labels) / len(labels) for c in CLASSES]
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], expected, rtol=1e-6)


REAL_MAKE_OPTIMIZER = train_mod.make_optimizer


def _step_sizes(tmp_path, monkeypatch, grad_clip):
    """Norms of the parameter updates of one SGD epoch (lr 0.01, no momentum or decay)."""
    tmp_path.mkdir(exist_ok=True)
    df, indexes = fake_cache(tmp_path)
    params, snapshots = [], []

    def flat():
        return torch.cat([p.detach().flatten() for p in params]).clone()

    def recording_make(*args):
        optimizer = REAL_MAKE_OPTIMIZER(*args)
        params.extend(p for g in optimizer.param_groups for p in g["params"])
        snapshots.append(flat())
        return optimizer

    monkeypatch.setattr(train_mod, "make_optimizer", recording_make)
    phase = {
        "optimizer": "sgd",
        "lr": 0.01,
        "epochs": 1,
        "momentum": 0.0,
        "nesterov": False,
        "weight_decay": 0.0,
    }
    cfg = PLAIN | {"grad_clip": grad_clip, "schedule": [phase]}
    train_classifier(df, df, CLASSES, MelStore(indexes), cfg, N_MELS, seed=3,
                     checkpoint_path=tmp_path / f"clip{grad_clip}" / "checkpoint.pt",
                     on_step=lambda epoch, batch: snapshots.append(flat()))  # fmt: skip
    return [
        float(torch.linalg.vector_norm(b - a))
        for a, b in zip(snapshots[:-1], snapshots[1:], strict=True)
    ]


def test_grad_clip_bounds_every_update_to_lr_times_the_clip(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    clipped = _step_sizes(tmp_path, monkeypatch, 1e-3)
    assert len(clipped) == 5  # 30 rows in batches of 6
    # plain SGD: the update is lr x the gradient, whose norm the clip caps at 1e-3
    assert max(clipped) <= 0.01 * 1e-3 * 1.01  # float32 parameters: the differences round
    free = _step_sizes(tmp_path / "free", monkeypatch, None)
    assert free[0] > 10 * 0.01 * 1e-3  # unclipped, the first step is far larger
