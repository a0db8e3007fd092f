"""The torch device a config names (``auto``, ``cpu``, ``cuda``), for the classifier and the
generators."""

from __future__ import annotations

import torch

from augeval.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; asking for CUDA without one is a config error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device is 'cuda' but no CUDA device is available; use auto or cpu")
    return torch.device(name)
