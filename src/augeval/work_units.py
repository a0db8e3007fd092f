"""Resumable inference jobs: finished work units kept in a work folder next to the output.

A long job that makes one output from many independent pieces (the baseline classifier's
predictions of every trial, batch by batch; the chunk embeddings of every clip set, batch by
batch) saves each finished piece, a *unit*, atomically as its own ``.npz`` in a work folder
beside its output (``<output>.work``, as :func:`augeval.generators.ddsp_features.compute_shard`
keeps its chunks). Snakemake does not know the folder, so it survives a failed or killed job
(Snakemake removes only declared outputs); a rerun keeps every unit whose tag matches and
computes the rest, and the output is assembled from the units, so it has the same bytes as an
uninterrupted run. The folder is removed once the output is written.

A unit's tag is the digest of the job's *settings* (what its numbers depend on: the checkpoint's
SHA-256, a fingerprint of the mel cache, the manifest's track ids, the batch size...) plus the
unit's own name and content key, so a unit made from other inputs or settings is recomputed.

:func:`file_fingerprint` fingerprints input files: SHA-256 of the small ones (manifests, index
tables, checkpoints) and size + modification time of the big ones (mel shards), which a rerun
after a kill leaves untouched and any re-computation changes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from augeval.atomic import write_npz
from augeval.digest import json_digest, sha256_file

log = logging.getLogger("augeval.work_units")

TAG = "__unit_tag__"


def work_dir_for(output: str | os.PathLike) -> Path:
    """The work folder of ``output``: its path with suffix ``.work``."""
    return Path(output).with_suffix(".work")


def file_fingerprint(path: str | os.PathLike, content: bool = True) -> dict:
    """What identifies an input file: its name and SHA-256 (``content``) or size and
    modification time (a big file that is read, not hashed)."""
    p = Path(path)
    if content:
        return {"file": p.name, "sha256": sha256_file(p)}
    st = p.stat()
    return {"file": p.name, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


def mel_cache_fingerprint(index_files) -> list[dict]:
    """Fingerprint of a mel cache (:class:`augeval.features.MelStore`): each index table's
    SHA-256 and the size and time of every shard it names."""
    out = []
    for index_file in index_files:
        index_file = Path(index_file)
        shards = pd.read_csv(index_file, sep="\t", dtype={"shard": str})["shard"].unique()
        out.append(
            {
                "index": file_fingerprint(index_file),
                "shards": [file_fingerprint(index_file.parent / s, content=False) for s in shards],
            }
        )
    return out


class WorkUnits:
    """The finished units of one output, each ``<work_dir>/<name>.npz`` tagged with the
    digest of ``settings`` (plus the unit's name and ``key``)."""

    def __init__(self, work_dir: str | os.PathLike, settings: dict, what: str):
        self.dir = Path(work_dir)
        self.settings = json_digest(settings, length=64)
        self.what = what

    def _tag(self, name: str, key: object) -> str:
        return json.dumps({"settings": self.settings, "unit": name, "key": key}, sort_keys=True)

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.npz"

    def load(self, name: str, key: object = None) -> dict[str, np.ndarray] | None:
        """The arrays of unit ``name`` if it was finished with these settings, else None."""
        path = self.path(name)
        try:
            with np.load(path, allow_pickle=False) as data:
                if TAG not in data.files or str(data[TAG]) != self._tag(name, key):
                    log.info(
                        "%s: %s was made from other inputs or settings; recomputing",
                        self.what,
                        path,
                    )
                    return None
                return {k: data[k] for k in data.files if k != TAG}
        except FileNotFoundError:
            return None
        except Exception as exc:  # a unit is written atomically, so this is outside damage
            log.warning("%s: cannot read %s (%s); recomputing", self.what, path, exc)
            return None

    def save(self, name: str, arrays: dict[str, np.ndarray], key: object = None) -> None:
        """Atomically keep unit ``name``."""
        self.dir.mkdir(parents=True, exist_ok=True)
        arrays = dict(arrays) | {TAG: np.asarray(self._tag(name, key))}
        write_npz(self.path(name), arrays, compress=False)

    def report(self, done: int, total: int, unit: str = "units") -> None:
        log.info(
            "%s: %d of %d %s done before (%s), %d to compute",
            self.what, done, total, unit, self.dir, total - done,
        )  # fmt: skip

    def clear(self) -> None:
        """Remove the work folder (after the output is written)."""
        shutil.rmtree(self.dir, ignore_errors=True)
