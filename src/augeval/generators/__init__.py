"""Generators behind one interface (:mod:`augeval.generators.base`): the paper's SampleRNN and DDSP,
and the control generators. :func:`make_generator` gives one by its config name."""

from __future__ import annotations

from augeval.errors import ConfigError

# Config keys read by the workflow (policy, scheduling), not by the generator itself.
WORKFLOW_KEYS = ("source_seconds", "resources", "threads")
TRAINABLE = ("samplernn", "ddsp")


def make_generator(name: str):
    """A generator instance by name (imports only the module it needs)."""
    if name == "samplernn":
        from augeval.generators.samplernn import SampleRNNGenerator

        return SampleRNNGenerator()
    if name == "ddsp":
        from augeval.generators.ddsp import DDSPGenerator

        return DDSPGenerator()
    from augeval.generators.controls import CONTROLS, make_control

    if name in CONTROLS:
        return make_control(name)
    raise ConfigError(f"unknown generator {name!r}; allowed: {', '.join(TRAINABLE + CONTROLS)}")


def generator_config(cfg: dict) -> dict:
    """The generator's own settings: its config section without the workflow's keys."""
    return {k: v for k, v in cfg.items() if k not in WORKFLOW_KEYS}
