"""The torch device a config names (``auto``, ``cpu``, ``cuda``), for the classifier and the
generators."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

import torch

from augeval.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; asking for CUDA without one is a config error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device is 'cuda' but no CUDA device is available; use auto or cpu")
    return torch.device(name)


PRECISIONS = ("fp32", "tf32", "bf16")


@contextmanager
def precision(mode: str, device: str | torch.device):
    """Run the block at a config's ``precision`` on ``device``.

    ``fp32`` changes nothing (bit-reproducible); ``tf32`` allows TF32 matmuls and cuDNN
    convolutions (CUDA, Ampere and newer; a CPU ignores it); ``bf16`` autocasts to bfloat16 on
    the device's type (CUDA or CPU). The global TF32 flags are restored on exit.
    """
    if mode not in PRECISIONS:
        raise ConfigError(f"precision is {mode!r}; allowed: {', '.join(PRECISIONS)}")
    device = torch.device(device)
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:
        if mode == "tf32":
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        if mode == "bf16":
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
                yield
        else:
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def config_precision(cfg: dict):
    """:func:`precision` of a filled config block (``precision``, ``device``); a block without
    them (controls, bring-your-own kinds) runs as it is: a no-op."""
    if "precision" not in cfg:
        return nullcontext()
    return precision(cfg["precision"], resolve_device(cfg["device"]))
