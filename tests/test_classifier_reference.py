"""The options that reproduce the reference classifier (Sukhavasi & Adapa) and the paper's fork
where augeval's defaults differ: each changes what it says, and only that."""

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import CLASSES, N_MELS, fake_cache
from helpers import CLASSIFIER_CFG as CFG
from scipy import stats

from augeval import config_schema
from augeval.checkpoints import load_checkpoint
from augeval.classifier import augment
from augeval.classifier.model import MoodClassifier
from augeval.classifier.predict import predict_manifest
from augeval.classifier.train import (
    augment_inputs,
    load_windows,
    model_from_checkpoint,
    predict_scores,
    recalibrate_batchnorm,
    train_classifier,
)
from augeval.data.manifest import label_matrix
from augeval.errors import ConfigError
from augeval.features import MelStore
from augeval.metrics import ranking_metrics

PLAIN = {k: v for k, v in CFG.items() if k != "augment"}  # absent: no augmentation
PLAIN |= {"schedule": [{"optimizer": "adam", "lr": 2e-3, "epochs": 4}]}


def train(tmp_path, df, indexes, name, cfg, **kw):
    torch.set_num_threads(1)
    return train_classifier(
        df, df, CLASSES, MelStore(indexes), cfg, N_MELS, seed=3,
        checkpoint_path=tmp_path / name / "checkpoint.pt", **kw,
    )  # fmt: skip


def crop_only(scope: str) -> dict:
    aug = {"resized_crop_p": 1.0, "specaugment_p": 0.0, "resized_crop_scope": scope}
    return config_schema.fill({"augment": aug}, "classifier")["augment"]


# ---------------------------------------------------------------- resized_crop_scope


def ramp(batch: int, bands: int, frames: int) -> torch.Tensor:
    """A mel whose every cell holds its frame index: a crop shows which frames it kept."""
    return torch.arange(frames, dtype=torch.float32).expand(batch, bands, frames).clone()


@pytest.mark.parametrize(("bands", "frames"), [(96, 4096), (24, 512)])
def test_input_scope_stretches_the_central_frames_to_the_whole_input(bands, frames):
    out = augment_inputs(
        ramp(3, bands, frames), torch.Generator().manual_seed(0), crop_only("input"), 256
    )
    # Independently: aspect 1.7-2.3 and area >= 0.8 need >= sqrt(0.8 * F * T / 2.3) bands (370
    # for 96 x 4096), more than there are, so the reference falls back to the central box of the
    # widest aspect: F x round(2.3 F) frames, resized bilinearly (half-pixel centres) to F x T.
    width = round(2.3 * bands)
    first = (frames - width) // 2
    source = np.clip((np.arange(frames) + 0.5) * width / frames - 0.5, 0, width - 1)
    expected = np.broadcast_to(first + source, (3, bands, frames))
    np.testing.assert_allclose(out.numpy(), expected, atol=2e-3)
    if bands == 96:
        assert (width, first) == (221, 1937)
        assert out.min() >= 1937 and out.max() <= 1937 + 220  # frames 1937-2157 only


def test_chunk_scope_crops_inside_each_chunk_with_little_stretch():
    x = ramp(4, 96, 1024)
    out = augment_inputs(x, torch.Generator().manual_seed(1), crop_only("chunk"), 256)
    assert not torch.equal(out, x)
    for k in range(4):
        chunk = out[..., 256 * k : 256 * (k + 1)]
        assert chunk.min() >= 256 * k and chunk.max() <= 256 * k + 255  # its own frames only
        spans = chunk.amax(dim=(1, 2)) - chunk.amin(dim=(1, 2))
        assert (spans >= 0.8 * 256 - 2).all()  # at most a 1.25x stretch


def test_reference_box_that_fits_is_a_random_box_not_the_centre():
    # 100 x 200 (aspect 2): the reference's draws fit, so boxes vary and are resized crops.
    x = ramp(40, 100, 200)
    out = augment.random_resized_crop(x, torch.Generator().manual_seed(2), p=1.0, box="reference")
    starts = out[:, 0, 0].numpy()
    assert len(np.unique(np.round(starts))) > 5
    spans = (out.amax(dim=(1, 2)) - out.amin(dim=(1, 2))).numpy()
    assert (spans >= np.sqrt(0.8 * 100 * 200 * 1.7) - 3).all() and (spans <= 199).all()


# ---------------------------------------------------------------- per-sample mixup


def test_mixup_pairs_draws_one_lambda_per_row_from_beta():
    n = 2000
    x, x2 = torch.zeros(n, 4, 8, dtype=torch.float64), torch.ones(n, 4, 8, dtype=torch.float64)
    y, y2 = torch.zeros(n, 3), torch.ones(n, 3)
    xm, ym = augment.mixup_pairs(x, y, x2, y2, torch.Generator().manual_seed(0), alpha=1.0)
    lam = 1 - xm[:, 0, 0]  # x_mixed = lam * 0 + (1 - lam) * 1
    assert torch.equal(xm, (1 - lam)[:, None, None].expand_as(xm))  # one weight per row ...
    torch.testing.assert_close(ym, (1 - lam)[:, None].expand_as(ym))  # ... shared by its labels
    assert len(np.unique(lam.numpy())) == n
    assert stats.kstest(lam.numpy(), "uniform").pvalue > 1e-3  # Beta(1, 1)
    again = augment.mixup_pairs(x, y, x2, y2, torch.Generator().manual_seed(0), alpha=1.0)
    assert torch.equal(again[0], xm)
    with pytest.raises(ValueError, match="equal shapes"):
        augment.mixup_pairs(x, y, x2[:3], y2, torch.Generator())


def test_reference_mixup_takes_partners_from_a_second_pass(tmp_path, monkeypatch):
    df, indexes = fake_cache(tmp_path)
    calls = []
    real = augment.mixup_pairs
    monkeypatch.setattr(augment, "mixup_pairs", lambda *a, **k: calls.append(a) or real(*a, **k))
    aug = {"resized_crop_p": 0.0, "specaugment_p": 0.0, "mixup": True, "mixup_style": "reference"}
    one = PLAIN | {"augment": aug, "schedule": [{"optimizer": "adam", "lr": 2e-3, "epochs": 1}]}
    train(tmp_path, df, indexes, "ref", one)
    assert len(calls) == 5  # every batch of 30 rows / 6, the last one too
    y, y2 = calls[0][1], calls[0][3]
    assert y.shape == y2.shape == (6, 3) and not torch.equal(y, y2)  # partners: other rows


# ---------------------------------------------------------------- out_conv_padding


def test_out_conv_padding_zero_is_the_reference_valid_convolution():
    torch.manual_seed(0)
    maps = {}
    for padding in (1, 0):
        model = MoodClassifier(3, n_mels=96, chunk_frames=256, width_mult=0.25,
                               out_conv_padding=padding).eval()  # fmt: skip
        model.reduce.register_forward_hook(lambda m, i, o, p=padding: maps.__setitem__(p, o))
        with torch.no_grad():
            model(torch.randn(1, 96, 256))
        # receptive field: a change in the backbone map's last column reaches only the output
        # columns whose 3x3 window covers it
        f = torch.randn(1, model.features[-1].out_channels, 3, 8)
        g = f.clone()
        g[..., 7] += 1.0
        with torch.no_grad():
            changed = (model.reduce(g) - model.reduce(f)).abs().amax(dim=(0, 1, 2)) > 0
        assert changed.tolist() == (
            [False] * 5 + [True] if padding == 0 else [False] * 6 + [True] * 2
        )
    assert maps[1].shape[-2:] == (3, 8) and maps[0].shape[-2:] == (1, 6)
    with pytest.raises(ConfigError, match="out_conv_padding 0 needs"):
        MoodClassifier(3, n_mels=24, chunk_frames=256, out_conv_padding=0)


def test_checkpoint_model_config_carries_the_padding():
    model = MoodClassifier(3, n_mels=96, chunk_frames=128, width_mult=0.25, out_conv_padding=0)
    config = {"width_mult": 0.25, "pretrained": "none", "chunk_frames": 128, "n_mels": 96}
    for padding, extra in ((0, {"out_conv_padding": 0}), (1, {})):  # {}: an older checkpoint
        state = model.state_dict()  # the padding changes no parameter shape
        restored = model_from_checkpoint(
            {"model_config": config | extra, "classes": CLASSES, "model": state}
        )
        assert restored.reduce[0].padding == (padding, padding)


# ---------------------------------------------------------------- bn_batches


def constant_rows_cache(tmp_path, n: int):
    """Track i's mel is the constant i dB, so a BatchNorm's input mean tells which rows it saw."""
    mels = [np.full((N_MELS, 32), float(i), dtype=np.float16) for i in range(n)]
    np.save(tmp_path / "shard-0.npy", np.concatenate(mels, axis=1))
    rows = [(f"t{i}", "shard-0.npy", 32 * i, 32) for i in range(n)]
    index = pd.DataFrame(rows, columns=["track_id", "shard", "start", "n_frames"])
    index.to_csv(tmp_path / "shard-0.tsv", sep="\t", index=False)
    return MelStore([str(tmp_path / "shard-0.tsv")]), [f"t{i}" for i in range(n)]


def test_bn_recalibration_reads_a_seeded_random_sample_of_rows(tmp_path):
    store, ids = constant_rows_cache(tmp_path, 40)
    torch.manual_seed(0)
    model = MoodClassifier(3, n_mels=N_MELS, chunk_frames=32, width_mult=0.25)
    used = {}
    for seed in (1, 1, 2):
        chosen = recalibrate_batchnorm(model, store, ids, 32, 4, 3, seed=seed)
        assert len(chosen) == 12 and len(set(chosen)) == 12
        values = [int(t[1:]) for t in chosen]
        # the first BatchNorm sees the raw inputs (dB / 100): its running mean is their mean
        expected = np.mean(values) / 100
        assert model.to_rgb[0].running_mean.item() == pytest.approx(expected, rel=1e-4)
        used.setdefault(seed, []).append(chosen)
    assert used[1][0] == used[1][1]  # seeded
    assert used[1][0] != used[2][0]  # random
    assert used[1][0] != ids[:12] and used[2][0] != ids[:12]  # not the first rows
    assert recalibrate_batchnorm(model, store, ids, 32, 4, 0, seed=1) == []  # bn_batches: 0
    # bn_sample: first (the default, as before): the first rows in manifest order
    assert recalibrate_batchnorm(model, store, ids, 32, 4, 3) == ids[:12]
    assert model.to_rgb[0].running_mean.item() == pytest.approx(np.mean(range(12)) / 100, rel=1e-4)


def test_bn_sample_random_changes_training_and_first_is_the_default(tmp_path, monkeypatch):
    import augeval.classifier.train as train_module

    df, indexes = fake_cache(tmp_path)
    seen = {}
    real = train_module.recalibrate_batchnorm

    def spy(*a, **k):
        chosen = real(*a, **k)
        seen.setdefault(k.get("seed") is None, []).append(chosen)
        return chosen

    monkeypatch.setattr(train_module, "recalibrate_batchnorm", spy)
    cfg = PLAIN | {"bn_batches": 2, "schedule": [{"optimizer": "adam", "lr": 2e-3, "epochs": 2}]}
    train(tmp_path, df, indexes, "first", cfg)
    train(tmp_path, df, indexes, "random", cfg | {"bn_sample": "random"})
    ids = list(df["track_id"])
    assert seen[True] == [ids[:12], ids[:12]]  # default: the first 2 x 6 rows, every epoch
    first_epoch, second_epoch = seen[False]
    assert len(set(first_epoch)) == 12 and first_epoch != ids[:12]
    assert first_epoch != second_epoch  # drawn afresh each epoch


# ---------------------------------------------------------------- selection_head


def test_selection_head_attention_picks_by_head_a(tmp_path):
    df, indexes = fake_cache(tmp_path)
    cfg = PLAIN | {"selection_head": "attention"}
    result = train(tmp_path, df, indexes, "att", cfg)
    history = result["history"]
    head_a = [h["attention_roc_auc_macro"] for h in history]
    assert result["best_epoch"] == 1 + int(np.argmax(head_a))
    assert result["best_metric"] == max(head_a)
    # independently: head A's validation ROC-AUC of the kept weights is the best metric
    model = model_from_checkpoint(load_checkpoint(tmp_path / "att/checkpoint.pt"))
    with torch.no_grad():
        x = load_windows(MelStore(indexes), list(df["track_id"]), CFG["input_frames"])
        scores = torch.sigmoid(model(x)[0]).numpy()
    y = label_matrix(df, CLASSES)
    assert ranking_metrics(y, scores)["roc_auc_macro"] == pytest.approx(result["best_metric"])
    mean = train(tmp_path, df, indexes, "mean", PLAIN)
    assert not any(k.startswith("attention_") for k in mean["history"][0])
    assert mean["best_metric"] == max(h["roc_auc_macro"] for h in mean["history"])


# ---------------------------------------------------------------- reload_best


@pytest.mark.parametrize("when", ["phase", "every_epoch"])
def test_reload_best_every_epoch_restarts_each_epoch_from_the_best(tmp_path, monkeypatch, when):
    df, indexes = fake_cache(tmp_path)
    loaded, checked = [], []
    real_load = MoodClassifier.load_state_dict

    def spy_load(self, state, *a, **k):
        loaded.append((self, copy.deepcopy(state)))
        return real_load(self, state, *a, **k)

    real_step = torch.optim.Adam.step

    def spy_step(self, *a, **k):
        if loaded and len(checked) < len(loaded):  # the first step after a reload
            model, state = loaded[-1]
            checked.append(all(torch.equal(p, state[n]) for n, p in model.named_parameters()))
        return real_step(self, *a, **k)

    monkeypatch.setattr(MoodClassifier, "load_state_dict", spy_load)
    monkeypatch.setattr(torch.optim.Adam, "step", spy_step)
    cfg = PLAIN | {
        "reload_best": when,
        "schedule": [{"optimizer": "adam", "lr": 5e-3, "epochs": 3}],
    }
    result = train(tmp_path, df, indexes, when, cfg)
    if when == "phase":
        assert loaded == []  # one phase: never reloaded
        return
    assert len(loaded) == 3  # after each epoch
    assert checked == [True, True]  # epochs 2 and 3 started from the reloaded weights
    for key, value in result["model"].items():
        assert torch.equal(loaded[-1][1][key], value)  # the last reload: the kept best


# ---------------------------------------------------------------- keep_sgd_optimizer


@pytest.mark.parametrize("keep", [False, True])
def test_kept_sgd_optimizer_keeps_momentum_across_an_lr_drop(tmp_path, monkeypatch, keep):
    df, indexes = fake_cache(tmp_path)
    steps = []
    real_step = torch.optim.SGD.step

    def spy_step(self, *a, **k):
        first = self.param_groups[0]["params"][0]
        buf = self.state.get(first, {}).get("momentum_buffer")
        steps.append((id(self), self.param_groups[0]["lr"], None if buf is None else buf.clone()))
        out = real_step(self, *a, **k)
        steps[-1] += (self.state[first]["momentum_buffer"].clone(),)
        return out

    monkeypatch.setattr(torch.optim.SGD, "step", spy_step)
    cfg = PLAIN | {
        "keep_sgd_optimizer": keep,
        "schedule": [
            {"optimizer": "sgd", "lr": 3e-3, "epochs": 1},
            {"optimizer": "sgd", "lr": 1e-3, "epochs": 1, "reload_best": True},
        ],
    }  # fmt: skip  (lr 1e-2 can kill this tiny net's ReLUs: NaN scores at validation)
    train(tmp_path, df, indexes, str(keep), cfg)
    assert len(steps) == 10  # 5 batches per epoch
    last_of_phase_1, first_of_phase_2 = steps[4], steps[5]
    assert (last_of_phase_1[1], first_of_phase_2[1]) == (3e-3, 1e-3)
    if keep:
        assert len({s[0] for s in steps}) == 1
        assert torch.equal(first_of_phase_2[2], last_of_phase_1[3])  # momentum carried on
    else:
        assert len({s[0] for s in steps}) == 2
        assert first_of_phase_2[2] is None  # a fresh optimiser: no momentum yet


# ---------------------------------------------------------------- eval_augment


def test_eval_augment_reference_augments_validation_and_test_repeatably(tmp_path):
    df, indexes = fake_cache(tmp_path)
    aug = {"resized_crop_p": 1.0, "specaugment_p": 1.0, "mixup": False}
    one = PLAIN | {"augment": aug, "schedule": [{"optimizer": "adam", "lr": 2e-3, "epochs": 1}]}
    ref = train(tmp_path, df, indexes, "ref", one | {"eval_augment": "reference"})
    none = train(tmp_path, df, indexes, "none", one)
    for key, value in none["model"].items():  # evaluation does not touch training
        assert torch.equal(ref["model"][key], value)
    assert load_checkpoint(tmp_path / "none/checkpoint.pt")["eval_augment"] is None
    assert ref["history"][0]["roc_auc_macro"] != none["history"][0]["roc_auc_macro"]
    path = tmp_path / "ref/checkpoint.pt"
    first = predict_manifest(path, df, indexes, batch_size=4)
    again = predict_manifest(path, df, indexes, batch_size=4)
    pd.testing.assert_frame_equal(first, again)  # seeded
    plain = predict_scores(
        model_from_checkpoint(load_checkpoint(path)), MelStore(indexes), list(df["track_id"]),
        CFG["input_frames"], 4,
    )  # fmt: skip
    assert np.abs(first[CLASSES].to_numpy() - plain).max() > 1e-3  # augmented
    deterministic = predict_manifest(tmp_path / "none/checkpoint.pt", df, indexes, batch_size=4)
    np.testing.assert_allclose(deterministic[CLASSES].to_numpy(), plain, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- all together


def test_reference_options_resume_like_an_uninterrupted_run(tmp_path):
    df, indexes = fake_cache(tmp_path)
    aug = CFG["augment"] | {"resized_crop_scope": "input", "mixup_style": "reference"}
    cfg = CFG | {
        "augment": aug, "eval_augment": "reference", "selection_head": "attention",
        "reload_best": "every_epoch", "keep_sgd_optimizer": True, "bn_batches": 2,
        "schedule": [
            {"optimizer": "adam", "lr": 2e-3, "epochs": 1},
            {"optimizer": "sgd", "lr": 1e-2, "epochs": 1, "reload_best": True},
            {"optimizer": "sgd", "lr": 1e-3, "epochs": 1, "reload_best": True},
        ],
    }  # fmt: skip
    full = train(tmp_path, df, indexes, "full", cfg)

    class Killed(Exception):
        pass

    def kill_at_epoch_2(epoch):  # the SGD -> SGD boundary: the kept optimiser must resume
        if epoch == 2:
            raise Killed

    with pytest.raises(Killed):
        train(tmp_path, df, indexes, "cut", cfg, on_epoch_end=kill_at_epoch_2)
    resumed = train(tmp_path, df, indexes, "cut", cfg)
    assert resumed["history"] == full["history"]
    for key, value in full["model"].items():
        assert torch.equal(resumed["model"][key], value)
