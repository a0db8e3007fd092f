"""Settings of the DDSP generator: the schema defaults over a generator's config, checked.

Config keys: see ``workflow/schemas/config.schema.yaml``, block ``generators.ddsp`` (or
``config/README.md``); its defaults are the paper's sizes, filled in by :func:`resolve_config`.
The demo's sizes (``config/config.yaml``) train in about 80 s on one CPU core on the demo corpus
(125 train excerpts). pYIN per 4 s excerpt on one core: ~2.9 s at hop 64 / 0.1 semitones, ~0.1 s
at hop 256 / 0.25 st. The learning rate: 1e-3 at paper size, 3e-3 for the demo (1e-2 stalls);
``lr_decay`` is Magenta's 0.98 per 10000 steps when set, 1.0 (constant) by default. A ``threads``
key (library calls only; the workflow sets its jobs' threads itself) sets torch's CPU threads.
"""

from __future__ import annotations

import torch

from augeval.errors import ConfigError
from augeval.generators import generator_defaults, with_defaults
from augeval.generators.ddsp_features import feature_config

# The schema's defaults (workflow/schemas/config.schema.yaml, generators.ddsp), for reference.
DEFAULTS: dict = generator_defaults("ddsp")


def resolve_config(cfg: dict) -> dict:
    """``cfg`` over the schema defaults, checked; unknown keys (e.g. ``resources``) are kept."""
    out = with_defaults("ddsp", cfg)
    out |= feature_config(out)
    for key in ("n_harmonics", "n_noise_bands", "hidden", "mlp_layers", "batch_size", "epochs"):
        if int(out[key]) < 1:
            raise ConfigError(f"ddsp {key} must be a positive integer, got {out[key]!r}")
    if out["n_noise_bands"] < 2:
        raise ConfigError("ddsp n_noise_bands must be at least 2")
    if out["device"] not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"ddsp device {out['device']!r}; allowed: auto, cpu, cuda")
    if not out["fft_sizes"]:
        raise ConfigError("ddsp fft_sizes must list at least one FFT size")
    return out


def apply_threads(cfg: dict) -> None:
    """Set torch's CPU threads from ``threads`` when it is positive (library calls only)."""
    if int(cfg.get("threads") or 0) > 0:
        torch.set_num_threads(int(cfg["threads"]))
