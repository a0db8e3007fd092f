"""Atomic file output: write to a temporary file in the target directory, then rename.

A killed job therefore never leaves a file that looks complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` if the block succeeds.

    ``suffix`` defaults to the target's own suffix, so libraries that pick a format from the
    file name (soundfile, numpy, matplotlib) write the right one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    ext = target.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{ext}", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write ``text`` to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_tsv(
    df: pd.DataFrame,
    path: str | os.PathLike,
    *,
    float_format: str | None = None,
    index: bool = False,
    na_rep: str = "",
) -> None:
    """Atomically write ``df`` to ``path`` as tab-separated text (pandas ``to_csv``).

    ``float_format`` (e.g. ``"%.6f"``), ``index`` and ``na_rep`` are passed to ``to_csv``; the
    defaults write no index and empty cells for missing values.
    """
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=index, float_format=float_format, na_rep=na_rep)


def write_npz(
    path: str | os.PathLike, arrays: dict[str, np.ndarray], compress: bool = True
) -> None:
    """Atomically write ``arrays`` as an ``.npz`` that ``np.load`` reads (deflated unless not
    ``compress``), with fixed zip timestamps, so equal arrays give byte-identical files
    (``np.savez`` stamps the clock)."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_path(path, suffix=".npz") as tmp:
        with zipfile.ZipFile(tmp, "w", method) as zf:
            for name, value in arrays.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = method
                with zf.open(info, "w", force_zip64=True) as fh:
                    np.lib.format.write_array(fh, np.asanyarray(value), allow_pickle=False)
