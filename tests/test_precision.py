"""augeval.device.precision: fp32 is a no-op, tf32 sets and restores the TF32 flags, bf16
autocasts (on the CPU here), and a tiny classifier really trains under bf16."""

import pytest
import torch
from helpers import CLASSES, N_MELS, fake_cache
from helpers import CLASSIFIER_CFG as CFG

from augeval.classifier.train import train_classifier
from augeval.device import config_precision, precision
from augeval.errors import ConfigError
from augeval.features import MelStore


def flags():
    return torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32


def test_fp32_changes_nothing():
    before = flags()
    layer = torch.nn.Linear(4, 2)
    with precision("fp32", "cpu"):
        assert flags() == before
        assert layer(torch.randn(3, 4)).dtype == torch.float32
    assert flags() == before


def test_tf32_sets_the_flags_and_restores_them_even_after_an_error():
    before = flags()
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        with pytest.raises(RuntimeError, match="boom"), precision("tf32", "cpu"):
            assert flags() == (True, True)
            raise RuntimeError("boom")
        assert flags() == (False, False)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def test_bf16_autocasts_matmuls_on_the_cpu():
    layer = torch.nn.Linear(4, 2)
    x = torch.randn(3, 4)
    with precision("bf16", "cpu"):
        assert layer(x).dtype == torch.bfloat16
    assert layer(x).dtype == torch.float32


def test_unknown_precision_and_blocks_without_one():
    with pytest.raises(ConfigError, match="precision is 'fp8'"), precision("fp8", "cpu"):
        pass
    with config_precision({"clip_seconds": 10}):  # a control: fp32 on the CPU
        assert torch.nn.Linear(2, 2)(torch.randn(1, 2)).dtype == torch.float32


def test_classifier_trains_under_bf16(tmp_path):
    df, idx = fake_cache(tmp_path)
    cfg = dict(CFG) | {"schedule": [{"optimizer": "adam", "lr": 2e-3, "epochs": 2}]}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the workflow's jobs do: bf16 kernels stall when oversubscribed
    try:
        result = _train_bf16(df, idx, cfg, tmp_path)
    finally:
        torch.set_num_threads(threads)
    losses = [h["loss"] for h in result["history"]]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert result["model"]["features.0.0.weight"].dtype == torch.float32  # weights stay fp32


def _train_bf16(df, idx, cfg, tmp_path):
    with precision("bf16", "cpu"):
        return train_classifier(
            df, df, CLASSES, MelStore(idx), cfg, N_MELS, seed=0,
            checkpoint_path=tmp_path / "ck" / "checkpoint.pt",
        )  # fmt: skip
