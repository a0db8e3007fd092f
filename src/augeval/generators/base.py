"""The interface every generator implements, and the tables that connect it to the workflow.

A generator turns *sources* (real train clips chosen by the augmentation policy) into generated
clips that inherit their source's label:

* ``fit(job)`` (a :class:`FitJob`) trains on the real train split of one label set (validation
  decides the kept checkpoint) and writes ``job.checkpoint`` atomically; pretrained generators
  (Jukebox) and controls have ``trainable = False`` and skip it.
* ``generate(job)`` (a :class:`GenerateJob`) writes one WAV per ``job.sources`` row to
  ``job.out_dir/wav/<clip_id>.wav`` (atomically) and returns the generated manifest rows.

What each kind needs from the workflow is declared in :mod:`augeval.generators.registry`.

``sources`` (``results/augment/{generator}/{labelset}/{run}/sources.tsv``) has the columns
:data:`SOURCE_COLUMNS`: ``clip_id`` (id of the clip to make), ``track_id``/``path`` (the real source
track), ``offset_s`` and ``source_seconds`` (the prime or input excerpt), ``drawn_class`` (the class
it was drawn for) and ``labels`` (the labels the generated clip inherits).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

SOURCE_COLUMNS = [
    "clip_id",
    "track_id",
    "path",
    "offset_s",
    "source_seconds",
    "drawn_class",
    "labels",
]


@dataclass
class FitJob:
    """One training job of one generator on one label set.

    ``cfg``: the generator's own settings (its config section without the workflow's keys).
    ``features``: cached DDSP features by split (``train``, ``validation``) for kinds that
    declare ``features`` in the registry. ``hooks``: optional callbacks a generator documents
    (e.g. ``on_step``), used by tests and preemption drills.
    """

    name: str
    labelset: str
    cfg: dict
    train: pd.DataFrame
    validation: pd.DataFrame
    checkpoint: Path
    seed: int
    features: dict[str, Path] = field(default_factory=dict)
    hooks: dict[str, Callable] = field(default_factory=dict)


@dataclass
class GenerateJob:
    """One generation job: turn ``sources`` into clips under ``out_dir/wav/``.

    ``checkpoint``: what ``fit`` wrote (kinds that train). ``features``: cached DDSP features of
    the sources (kinds that declare ``features``). ``labels``: the config's ``labels`` section (the
    oracle synthesises a class from its tags). ``source_seconds``: the policy's excerpt length
    (an outside program's prime). ``rows``: the rows of ``sources`` this job makes, whole
    ``gen_batch_size`` batches (a ``generate_shard`` job, :mod:`augeval.generators.gen_shards`;
    kinds with a ``gen_shards`` key honour it); ``None``: every row. ``metadata``: the corpus
    metadata TSV (MTG-Jamendo format) of the sources' tracks (the oracle's ``tags: source``).
    """

    name: str
    labelset: str
    cfg: dict
    sources: pd.DataFrame
    out_dir: Path
    seed: int
    checkpoint: Path | None = None
    features: Path | None = None
    labels: dict = field(default_factory=dict)
    source_seconds: float | None = None
    rows: range | None = None
    metadata: Path | None = None


class Generator(Protocol):
    name: str
    trainable: bool

    def fit(self, job: FitJob) -> None: ...

    def generate(self, job: GenerateJob) -> pd.DataFrame: ...


def generated_row(
    source: pd.Series | dict, wav_path: str | os.PathLike, duration_s: float, generator: str
) -> dict:
    """Manifest row of a generated clip: the label is inherited, the source is recorded."""
    return {
        "track_id": source["clip_id"],
        "path": str(Path(wav_path)),
        "duration_s": float(duration_s),
        "labels": source["labels"],
        "source": generator,
        "source_track_id": source["track_id"],
        "source_offset_s": float(source["offset_s"]),
    }
