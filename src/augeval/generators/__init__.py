"""Generators behind one interface (:mod:`augeval.generators.base`): the paper's SampleRNN, DDSP
and Jukebox, the control generators, and bring-your-own ones (``samples``: a folder of clips;
``command``: any program run per batch). :func:`make_generator` gives one by its *kind*.

A config entry ``generators.<name>`` has an optional ``kind``; without one the kind is the name
(so ``samplernn: {...}`` is a SampleRNN). Any name may use any kind: ``jb: {kind: jukebox}``.

Defaults: ``workflow/schemas/config.schema.yaml``, block ``generators.<kind>`` (listed in
``config/README.md``). :func:`with_defaults` fills a generator's settings from there, so a
generator called with a partial dict (tests, notebooks) uses the values the workflow uses.
"""

from __future__ import annotations

from augeval import config_schema
from augeval.errors import ConfigError
from augeval.generators.registry import KINDS, REGISTRY

# Config keys read by the workflow (policy, scheduling, naming), not by the generator itself.
WORKFLOW_KEYS = ("kind", "source_seconds", "resources", "threads", "display_name", "gen_shards")


def generator_kind(name: str, cfg: dict | None) -> str:
    """The kind of generator ``name`` (its ``kind`` key, else its name)."""
    kind = (cfg or {}).get("kind", name)
    if kind not in KINDS:
        raise ConfigError(
            f"generators.{name}: kind {kind!r} unknown; allowed: {', '.join(KINDS)} "
            f"(a name that is not a built-in generator needs a kind: key)"
        )
    return kind


def make_generator(kind: str, name: str | None = None):
    """A generator instance of ``kind`` whose generated rows carry ``name`` (default: the kind)."""
    if kind not in REGISTRY:
        raise ConfigError(f"unknown generator kind {kind!r}; allowed: {', '.join(KINDS)}")
    gen = REGISTRY[kind].build()
    if name is not None:
        gen.name = name
    return gen


def display_name(name: str, cfg: dict | None) -> str:
    """How tables and figures name generator ``name``: its ``display_name`` key if set; a
    randomly initialised Jukebox is always marked "(untrained)"."""
    cfg = cfg or {}
    label = cfg.get("display_name", name)
    kind = generator_kind(name, cfg)
    if kind == "jukebox" and with_defaults(kind, cfg)["init"] == "random":
        if "untrained" not in label:
            label = f"{label} (untrained)"
    return label


def variant_display_names(generators: dict) -> dict[str, str]:
    """Display name of every configured generator (plus ``baseline``)."""
    names = {"baseline": "baseline"}
    names.update({g: display_name(g, c) for g, c in generators.items()})
    return names


def generator_config(cfg: dict) -> dict:
    """The generator's own settings: its config section without the workflow's keys."""
    return {k: v for k, v in cfg.items() if k not in WORKFLOW_KEYS}


def generator_keys(kind: str) -> list[str]:
    """The settings a generator of ``kind`` reads (its schema block without the workflow's keys)."""
    return [k for k in config_schema.keys(f"generators.{kind}") if k not in WORKFLOW_KEYS]


def generator_defaults(kind: str) -> dict:
    """The schema defaults of generator ``kind``'s own settings (fresh copies)."""
    out = config_schema.defaults(f"generators.{kind}")
    return {k: v for k, v in out.items() if k not in WORKFLOW_KEYS}


def with_defaults(kind: str, cfg: dict) -> dict:
    """A copy of ``cfg`` with the schema defaults of generator ``kind`` added where a key is
    missing (nested blocks such as ``demo_clips`` too); other keys are kept, and no workflow key
    (``threads``, ``resources``, ...) is added. In the workflow Snakemake has already added them,
    so this changes nothing there."""
    out = config_schema.fill(cfg, f"generators.{kind}")
    return {k: v for k, v in out.items() if k in cfg or k not in WORKFLOW_KEYS}
