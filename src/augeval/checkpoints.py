"""Checkpoint files, shared by the classifier and the generators.

Checkpoints are plain dicts of tensors and Python values, written atomically (temp file + rename)
and read with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import os

import torch

from augeval.atomic import atomic_path
from augeval.errors import CheckpointError


def save_checkpoint(obj: dict, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict:
    """Load a checkpoint or training state; :class:`CheckpointError` names the file if unusable."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint not found: {path}; re-run its training rule") from None
    except Exception as exc:
        raise CheckpointError(
            f"cannot load checkpoint {path} ({exc}); delete it and re-run its training rule"
        ) from exc
