"""Mel-spectrogram caches: sharded float16 ``.npy`` frame stores + index TSVs.

The parameters default to MTG-Jamendo's own mels, which the classifier was built for: 12 kHz mono,
n_fft 512, hop 256, Hann, 96 Slaney mel bands (unit-area triangles) over 0–6000 Hz, power → dB.

A shard ``shard-K.npy`` holds the mels of its tracks concatenated along time, shape
``(n_mels, total_frames)``; ``shard-K.tsv`` says where each track lies
(``track_id shard start n_frames``). The array is stored in Fortran (frame-major) order, so one
track's mel, or any window of it, is a single contiguous run of bytes on disk: a random crop is one
sequential read, and :func:`build_shard` streams the mels to disk one track at a time, so its
memory does not grow with the shard. (``np.load`` reads either order; older C-order shards work.)
:class:`MelStore` reads any number of shards by memory map, so the classifier never loads a whole
split into memory and a cache can be rebuilt one shard at a time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torchaudio.transforms as T

from augeval.atomic import atomic_path, write_tsv
from augeval.audio import read_audio
from augeval.classifier.data import fit_frames
from augeval.errors import DataError


@dataclass(frozen=True)
class MelParams:
    sample_rate: int = 12000
    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 96
    f_min: float = 0.0
    f_max: float = 6000.0
    max_frames: int = 4096  # frames kept per track (the classifier reads the first 4096)

    @classmethod
    def from_config(cls, cfg: dict) -> MelParams:
        return cls(**{k: cfg[k] for k in cls.__dataclass_fields__ if k in cfg})

    @property
    def max_seconds(self) -> float:
        """Audio needed for ``max_frames`` centred frames."""
        return (self.max_frames - 1) * self.hop_length / self.sample_rate


class MelExtractor:
    """Audio (mono, ``params.sample_rate``) → dB mel-spectrogram ``(n_mels, frames)``."""

    def __init__(self, params: MelParams):
        self.params = params
        self._mel = T.MelSpectrogram(
            sample_rate=params.sample_rate,
            n_fft=params.n_fft,
            hop_length=params.hop_length,
            f_min=params.f_min,
            f_max=params.f_max,
            n_mels=params.n_mels,
            power=2.0,
            norm="slaney",
            mel_scale="slaney",
            center=True,
            pad_mode="constant",
        )

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            power = self._mel(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)))
        return (10.0 * torch.log10(torch.clamp(power, min=1e-10))).numpy()

    def from_file(self, path: str | os.PathLike) -> np.ndarray:
        p = self.params
        audio = read_audio(path, p.sample_rate, max_seconds=p.max_seconds)
        return self(audio)[:, : p.max_frames]


def shard_rows(track_ids: list[str], shard: int, n_shards: int) -> list[str]:
    """The tracks of one shard: every ``n_shards``-th of the sorted ids, starting at ``shard``."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} outside 0..{n_shards - 1}")
    return sorted(track_ids)[shard::n_shards]


def build_shard(
    manifest: pd.DataFrame,
    params: MelParams,
    out_npy: str | os.PathLike,
    out_index: str | os.PathLike,
) -> None:
    """Compute the mels of every manifest row into one shard (atomic ``.npy`` + index TSV).

    Each track's mel is appended to a temporary body file as soon as it is computed (frame-major
    float16), and the ``.npy`` header is written in front of it at the end, so memory holds one
    track at a time whatever the shard's size.
    """
    out_npy = Path(out_npy)
    extractor = MelExtractor(params)
    rows, start = [], 0
    out_npy.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=out_npy.parent) as body:
        for track_id, path in zip(manifest["track_id"], manifest["path"], strict=True):
            mel = extractor.from_file(path)
            body.write(np.ascontiguousarray(mel.T, dtype="<f2").tobytes())
            rows.append((track_id, start, mel.shape[1]))
            start += mel.shape[1]
        body.seek(0)
        header = {"descr": "<f2", "fortran_order": True, "shape": (params.n_mels, start)}
        with atomic_path(out_npy) as tmp, open(tmp, "wb") as out:
            np.lib.format.write_array_header_1_0(out, header)
            shutil.copyfileobj(body, out, 1 << 22)
    index = pd.DataFrame(rows, columns=["track_id", "start", "n_frames"])
    index.insert(1, "shard", out_npy.name)
    write_tsv(index, out_index)


class MelStore:
    """Random access to cached mels by track id across any number of shard index files."""

    def __init__(self, index_files: list[str | os.PathLike]):
        self._where: dict[str, tuple[Path, int, int]] = {}
        self._arrays: dict[Path, np.ndarray] = {}
        for index_file in index_files:
            index_file = Path(index_file)
            index = pd.read_csv(index_file, sep="\t", dtype={"track_id": str, "shard": str})
            for track_id, shard, start, n in index.itertuples(index=False):
                self._where[track_id] = (index_file.parent / shard, int(start), int(n))

    def __contains__(self, track_id: str) -> bool:
        return track_id in self._where

    def __len__(self) -> int:
        return len(self._where)

    def _locate(self, track_id: str) -> tuple[np.ndarray, int, int]:
        try:
            shard, start, n = self._where[track_id]
        except KeyError:
            raise DataError(
                f"no cached mel-spectrogram for {track_id}; is its feature shard an input?"
            ) from None
        if shard not in self._arrays:
            self._arrays[shard] = np.load(shard, mmap_mode="r")
        return self._arrays[shard], start, n

    def length(self, track_id: str) -> int:
        """Cached frames of a track (from the index; reads no mel data)."""
        if track_id not in self._where:
            self._locate(track_id)  # raises the DataError
        return self._where[track_id][2]

    def get(self, track_id: str) -> np.ndarray:
        """The cached dB mel ``(n_mels, n_frames)`` of a track, as float32."""
        array, start, n = self._locate(track_id)
        return np.asarray(array[:, start : start + n], dtype=np.float32)

    def window(self, track_id: str, n_frames: int, offset: int = 0) -> np.ndarray:
        """``(n_mels, n_frames)`` float32 frames from ``offset``, reading only those frames.

        Same rule as :func:`augeval.classifier.data.fit_frames`: the offset is clamped so the
        window fits, and a track shorter than the window is tiled.
        """
        array, start, n = self._locate(track_id)
        if n < n_frames:
            return fit_frames(np.asarray(array[:, start : start + n], np.float32), n_frames)
        offset = min(max(offset, 0), n - n_frames)
        return np.asarray(array[:, start + offset : start + offset + n_frames], np.float32)
