"""The shared resumable training state: a save/load round trip continues every random stream."""

import logging

import numpy as np
import pytest
import torch

from augeval.checkpoints import load_checkpoint
from augeval.train_state import TrainState

LOG = logging.getLogger("tests.train_state")


def parts(np_seed, gen_seed):
    torch.manual_seed(gen_seed)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    return {
        "model": model,
        "optimizer": optimizer,
        "numpy_rng": np.random.default_rng(np_seed),
        "noise_rng": torch.Generator().manual_seed(gen_seed),
    }


def draws(p):
    return (
        p["numpy_rng"].random(5),
        torch.rand(5, generator=p["noise_rng"]),
        torch.rand(5),  # torch's global RNG
    )


def test_round_trip_restores_random_streams_parts_and_position(tmp_path, caplog):
    path = tmp_path / "train_state.pt"
    saved = parts(11, 12)
    model, optimizer = saved["model"], saved["optimizer"]
    optimizer.zero_grad()
    model(torch.ones(4, 3)).sum().backward()
    optimizer.step()  # the optimiser now has moments to save
    torch.manual_seed(13)
    draws(saved)  # advance every stream
    position = (np.array([3, 0, 2, 1]), 2, [0.25])
    TrainState(path, "abc", saved, batch_size=2).save({"epoch": 3, "step": 7}, position)
    # what the streams give next, drawn from freshly seeded streams advanced the same way
    np_expected = np.random.default_rng(11)
    np_expected.random(5)
    gen_expected = torch.Generator().manual_seed(12)
    torch.rand(5, generator=gen_expected)
    torch.manual_seed(13)
    torch.rand(5)
    expected = (np_expected.random(5), torch.rand(5, generator=gen_expected), torch.rand(5))

    torch.manual_seed(999)  # another global stream, other weights, fresh generators
    fresh = parts(0, 1)
    state_file = TrainState(path, "abc", fresh, batch_size=2, log=LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        state = state_file.load("epoch {epoch}/5", " + {batches} batches (step {step})")
    assert (state["epoch"], state["step"]) == (3, 7)
    assert f"resuming from {path} at epoch 3/5 + 1 batches (step 7)" in caplog.text
    for got, want in zip(draws(fresh), expected, strict=True):
        assert np.array_equal(got, want)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(fresh["model"].state_dict()[key], value, rtol=0, atol=0)
    moments = optimizer.state_dict()["state"][0]["exp_avg"]
    torch.testing.assert_close(fresh["optimizer"].state_dict()["state"][0]["exp_avg"], moments)

    order, first, losses = state_file.epoch_position(lambda: pytest.fail("drew a new order"))
    assert order.tolist() == [3, 0, 2, 1] and first == 2 and losses == [0.25]
    order, first, losses = state_file.epoch_position(lambda: np.arange(4))
    assert order.tolist() == [0, 1, 2, 3] and first == 0 and losses == []  # only once


def test_state_saved_between_epochs_has_no_position(tmp_path, caplog):
    path = tmp_path / "train_state.pt"
    TrainState(path, "abc", torch_rng=False).save({"epoch": 2})
    assert "order" not in load_checkpoint(path) and "torch_rng" not in load_checkpoint(path)
    state_file = TrainState(path, "abc", torch_rng=False, batch_size=4, log=LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        assert state_file.load("epoch {epoch}/5", " + {batches} batches")["epoch"] == 2
    assert caplog.text.rstrip().endswith(f"resuming from {path} at epoch 2/5")
    assert state_file.position is None


def test_state_for_another_configuration_is_ignored_and_logged(tmp_path, caplog):
    path = tmp_path / "train_state.pt"
    TrainState(path, "old", parts(11, 12)).save({"epoch": 3}, ([1, 0], 1, [0.5]))
    fresh = parts(5, 6)
    state_file = TrainState(path, "new", fresh, log=LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        assert state_file.load("epoch {epoch}/5") is None
    assert f"ignoring {path}: it was written for another configuration" in caplog.text
    assert "resuming" not in caplog.text
    assert state_file.position is None
    untouched = np.random.default_rng(5).random(5)
    assert np.array_equal(fresh["numpy_rng"].random(5), untouched)
    assert path.exists()  # the next save overwrites it


def test_missing_state_file_returns_none(tmp_path, caplog):
    path = tmp_path / "train_state.pt"
    with caplog.at_level(logging.DEBUG, logger=LOG.name):
        assert TrainState(path, "abc", parts(1, 2), log=LOG).load("epoch {epoch}/5") is None
    assert caplog.text == "" and not path.exists()
