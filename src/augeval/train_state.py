"""The resumable training state (``train_state.pt``) shared by the training loops.

A training loop (classifier, DDSP, SampleRNN) saves its state so that a killed or preempted job
(see :mod:`augeval.preempt`) continues where it stopped and ends with the same weights as an
uninterrupted run. :class:`TrainState` owns what the loops have in common:

- reading the file (:func:`augeval.checkpoints.load_checkpoint`, weights only) and checking its
  configuration digest: a state written for another configuration is ignored, with a warning;
- the stateful parts, each under its own key: numpy ``Generator`` objects (their bit generator
  state as JSON), ``torch.Generator`` objects, the model and optimiser (anything with
  ``state_dict``/``load_state_dict``), and torch's global RNG (key ``torch_rng``), captured on
  save and restored on load;
- the mid-epoch :class:`Position` (the epoch's batch ``order``, the ``next_batch`` start and the
  epoch's ``losses`` so far) of a state saved between two steps, which the first epoch after
  resuming continues (:meth:`TrainState.epoch_position`);
- the atomic save (:func:`augeval.checkpoints.save_checkpoint`).

Each loop keeps its own fields (best score and weights, history, epoch, step, ...): it passes
them to :meth:`TrainState.save` and reads them back from the dict :meth:`TrainState.load`
returns. The file is one flat dict: the loop's keys sit beside ``digest``, the parts' keys and
the position.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from augeval.checkpoints import load_checkpoint, save_checkpoint

_log = logging.getLogger("augeval.train_state")

TORCH_RNG_KEY = "torch_rng"


class Position(NamedTuple):
    """Where in an epoch a state was saved: the epoch's batch order, the start of the next batch
    and the losses of the batches done."""

    order: np.ndarray
    next_batch: int
    losses: list[float]


def _capture(part: Any):
    if isinstance(part, np.random.Generator):
        return json.dumps(part.bit_generator.state)
    if isinstance(part, torch.Generator):
        return part.get_state()
    return part.state_dict()


def _restore(part: Any, saved) -> None:
    if isinstance(part, np.random.Generator):
        part.bit_generator.state = json.loads(saved)
    elif isinstance(part, torch.Generator):
        part.set_state(saved.cpu())
    else:
        part.load_state_dict(saved)


class TrainState:
    """The state file ``path`` of one training run whose configuration hashes to ``digest``.

    ``parts`` maps a key in the file to a numpy ``Generator``, a ``torch.Generator`` or an object
    with ``state_dict``/``load_state_dict`` (a model, an optimiser); they and torch's global RNG
    (unless ``torch_rng=False``) are saved with every state and restored by :meth:`load`.
    ``batch_size`` turns a mid-epoch position into the batches done, for the resume log line.
    ``log`` is the loop's logger (the resume/ignore lines appear under its name); ``device`` is
    where :meth:`load` puts tensors (RNG states always go back to the CPU).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        digest: str,
        parts: dict[str, Any] | None = None,
        *,
        torch_rng: bool = True,
        batch_size: int | None = None,
        log: logging.Logger = _log,
        device: str | torch.device = "cpu",
    ):
        self.path = Path(path)
        self.digest = digest
        self.parts = dict(parts or {})
        self.torch_rng = torch_rng
        self.batch_size = batch_size
        self.log = log
        self.device = device
        self.position: Position | None = None  # of a state read back mid-epoch, until used

    def load(self, where: str, mid_epoch: str = "") -> dict | None:
        """Read the state, restore the parts and torch's global RNG, keep its mid-epoch
        :attr:`position` and return the saved dict (the loop's own fields among its keys);
        ``None`` when there is no file or it was written for another configuration (then
        nothing is touched).

        The log line says ``resuming from <path> at <where>``, followed by ``mid_epoch`` for a
        state saved mid-epoch; both are formatted with the saved fields and ``batches`` (the
        batches done in the cut epoch), e.g. ``"epoch {epoch}/6"``, ``" + {batches} batches"``.
        An unreadable file raises :class:`augeval.errors.CheckpointError` naming it.
        """
        if not self.path.exists():
            return None
        state = load_checkpoint(self.path, self.device)
        if state.get("digest") != self.digest:
            self.log.warning("ignoring %s: it was written for another configuration", self.path)
            return None
        for key, part in self.parts.items():
            _restore(part, state[key])
        if self.torch_rng:
            torch.set_rng_state(state[TORCH_RNG_KEY].cpu())
        batches = None
        if state.get("order") is not None:
            order, next_batch = np.asarray(state["order"]), state["next_batch"]
            self.position = Position(order, next_batch, list(state["losses"]))
            batches = next_batch // self.batch_size if self.batch_size else None
            where += mid_epoch
        text = where.format(**state, batches=batches)
        self.log.info("resuming from %s at %s", self.path, text)
        return state

    def epoch_position(self, new_order: Callable[[], np.ndarray]) -> Position:
        """Where the next epoch starts: the mid-epoch position read by :meth:`load` (once: the
        epoch that a signal or the timer cut), else ``new_order()`` from its first batch."""
        if self.position is not None:
            position, self.position = self.position, None
            return position
        return Position(new_order(), 0, [])

    def save(self, fields: dict, position: Sequence | None = None) -> None:
        """Write ``fields`` with the digest, the parts' and torch's global RNG states and, when
        saving mid-epoch, the ``position`` ``(order, next_batch, losses)``; atomically."""
        state = {"digest": self.digest, **fields}
        state.update({key: _capture(part) for key, part in self.parts.items()})
        if self.torch_rng:
            state[TORCH_RNG_KEY] = torch.get_rng_state()
        if position is not None:
            order, next_batch, losses = position
            state["order"] = [int(i) for i in order]
            state["next_batch"] = int(next_batch)
            state["losses"] = [float(x) for x in losses]
        save_checkpoint(state, self.path)
