"""The interface every generator implements, and the tables that connect it to the workflow.

A generator turns *sources* (real train clips chosen by the augmentation policy) into generated
clips that inherit their source's label:

* ``fit(train, validation, cfg, checkpoint_path, seed)`` trains on the real train split of one
  label set (validation decides the kept checkpoint) and writes ``checkpoint_path`` atomically;
  pretrained generators (Jukebox) and controls have ``trainable = False`` and skip it.
* ``generate(checkpoint_path, sources, cfg, out_dir, seed)`` writes one WAV per sources row to
  ``out_dir/wav/<clip_id>.wav`` (atomically) and returns the generated manifest rows.

``sources`` (``results/augment/{generator}/{labelset}/sources.tsv``) has the columns
:data:`SOURCE_COLUMNS`: ``clip_id`` (id of the clip to make), ``track_id``/``path`` (the real source
track), ``offset_s`` and ``source_seconds`` (the prime or input excerpt), ``drawn_class`` (the class
it was drawn for) and ``labels`` (the labels the generated clip inherits).
"""

from __future__ import annotations

import os
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


class Generator(Protocol):
    name: str
    trainable: bool

    def fit(
        self,
        train: pd.DataFrame,
        validation: pd.DataFrame,
        cfg: dict,
        checkpoint_path: str | os.PathLike,
        seed: int,
    ) -> None: ...

    def generate(
        self,
        checkpoint_path: str | os.PathLike | None,
        sources: pd.DataFrame,
        cfg: dict,
        out_dir: str | os.PathLike,
        seed: int,
    ) -> pd.DataFrame: ...


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
