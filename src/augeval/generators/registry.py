"""The one list of generator kinds: what each needs from the workflow and how it is built.

``common.smk`` plans every generator from this table (which inputs its jobs read, which jobs it
has, their default resources); :func:`augeval.generators.make_generator` builds one. Adding a
kind = one module with a class implementing :class:`augeval.generators.base.Generator`, one
:class:`Kind` line here, its block in ``workflow/schemas/config.schema.yaml``, and tests.

This module imports nothing heavy: the workflow reads it while it builds the DAG.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kind:
    """One generator kind.

    ``trains``: ``fit`` makes a checkpoint (rule ``train_generator``) that generation reads.
    ``features``: ``fit`` and ``generate`` read cached DDSP features (rule ``ddsp_features``) of
    the train/validation splits and of the sources.
    ``pretrained``: generation may load published weights (rule ``fetch_jukebox_weights``).
    ``control``: a reference point of the study, not a generative model.
    ``anchor``: a control the score view shows beside every generator (copy: real clips; noise:
    no music at all), so each score has its reference points.
    ``holdout``: with ``holdout_fraction`` set, its sources come from an artist-disjoint hold-out
    of train that no classifier trains on (rule ``carve_oracle_holdout``).
    ``sources``: how the policy draws this kind's sources: ``excerpts`` of real train tracks
    (primes or inputs), or ``samples`` (whole clips of the user's own, up to each class's budget).
    ``resources``: defaults of its jobs, overridden by ``generators.<name>.resources``.
    ``threads``: whether ``generators.<name>.threads`` sets its jobs' threads (else 1).
    ``written``: the seconds of audio one clip holds as written, from the generator's config
    (filled with the schema's defaults); what the budget counts. None for ``samples`` (its
    clips' own lengths).
    """

    name: str
    implementation: str  # "module:Class"
    trains: bool = False
    features: bool = False
    pretrained: bool = False
    control: bool = False
    anchor: bool = False
    holdout: bool = False
    sources: str = "excerpts"
    threads: bool = True
    resources: dict = field(default_factory=dict)
    written: Callable[[dict], float] | None = None

    def build(self):
        module, cls = self.implementation.split(":")
        return getattr(importlib.import_module(module), cls)()


def _clip_seconds(cfg: dict) -> float:
    """``clip_seconds``: the length of every clip written. SampleRNN: prime included or not
    (``include_prime`` puts the prime inside it); Jukebox: prime region included (rounded down
    to a whole top-level token: 128 samples, 2.9 ms at 44.1 kHz); controls and ``command``: the
    clip asked for."""
    return float(cfg["clip_seconds"])


def _source_seconds(cfg: dict) -> float:
    """DDSP reconstructs the policy's excerpt: ``source_seconds`` (default ``clip_seconds``)."""
    return float(cfg["source_seconds"] if "source_seconds" in cfg else cfg["clip_seconds"])


_MODEL = {"mem_mb": 16000, "runtime": 2880, "gpu": 1}
_CONTROL = {"mem_mb": 2000, "runtime": 60, "gpu": 0}
_OUTSIDE = {"mem_mb": 4000, "runtime": 600, "gpu": 0}
_CONTROLS = "augeval.generators.controls"
_EXTERNAL = "augeval.generators.external"

REGISTRY: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "samplernn",
            "augeval.generators.samplernn:SampleRNNGenerator",
            trains=True,
            resources=_MODEL,
            written=_clip_seconds,
        ),
        Kind(
            "ddsp",
            "augeval.generators.ddsp:DDSPGenerator",
            trains=True,
            features=True,
            resources=_MODEL,
            written=_source_seconds,
        ),
        Kind(
            "jukebox",
            "augeval.generators.jukebox:JukeboxGenerator",
            pretrained=True,
            resources=_MODEL | {"mem_mb": 64000},
            written=_clip_seconds,
        ),
        Kind(
            "copy",
            f"{_CONTROLS}:CopyControl",
            control=True,
            anchor=True,
            threads=False,
            resources=_CONTROL,
            written=_clip_seconds,
        ),
        Kind(
            "noise",
            f"{_CONTROLS}:NoiseControl",
            control=True,
            anchor=True,
            threads=False,
            resources=_CONTROL,
            written=_clip_seconds,
        ),
        Kind(
            "oracle",
            f"{_CONTROLS}:OracleControl",
            control=True,
            holdout=True,
            threads=False,
            resources=_CONTROL,
            written=_clip_seconds,
        ),
        Kind("samples", f"{_EXTERNAL}:SamplesGenerator", sources="samples", resources=_OUTSIDE),
        Kind(
            "command",
            f"{_EXTERNAL}:CommandGenerator",
            resources=_OUTSIDE,
            written=_clip_seconds,
        ),
    )
}
KINDS = tuple(REGISTRY)


def kinds_where(**flags) -> tuple[str, ...]:
    """Names of the kinds whose attributes equal ``flags`` (e.g. ``trains=True``)."""
    return tuple(
        k.name for k in REGISTRY.values() if all(getattr(k, f) == v for f, v in flags.items())
    )


def generator_resources(kind: str, cfg: dict | None) -> dict:
    """The resources of a generator's jobs: its kind's defaults, updated by its ``resources:``."""
    return REGISTRY[kind].resources | (cfg or {}).get("resources", {})


def generator_threads(kind: str, cfg: dict | None) -> int:
    """Threads of a generator's jobs: ``threads:`` (default: the schema's) where the kind
    honours it, else 1."""
    if not REGISTRY[kind].threads:
        return 1
    cfg = cfg or {}
    if "threads" in cfg:
        return int(cfg["threads"])
    from augeval.config_schema import defaults

    return int(defaults(f"generators.{kind}")["threads"])


def written_seconds(kind: str, cfg: dict) -> float:
    """Seconds of audio one clip of a generator of ``kind`` holds as written (the budget's clip
    length), from its config section ``cfg``; a key it leaves out takes the schema's default.
    Raises ValueError for ``samples`` (no fixed length: its clips' own lengths count)."""
    spec = REGISTRY[kind]
    if spec.written is None:
        raise ValueError(f"generator kind {kind!r} has no fixed clip length")
    from augeval.config_schema import defaults

    return spec.written(defaults(f"generators.{kind}") | cfg)
