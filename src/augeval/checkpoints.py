"""Checkpoint files and devices, shared by the classifier and the generators.

Checkpoints are plain dicts of tensors and Python values, written atomically (temp file + rename)
and read with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import os

import torch

from augeval.atomic import atomic_path
from augeval.errors import CheckpointError, ConfigError


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


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; asking for CUDA without one is a config error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device is 'cuda' but no CUDA device is available; use auto or cpu")
    return torch.device(name)
