"""DDSP conditioning features: f0 and A-weighted loudness per frame, and their ``.npz`` cache.

Frames. With frame hop ``hop`` (samples), frame ``i`` is centred on sample ``i * hop`` (centred
STFT/pYIN frames, zero padding at the edges). A clip is zero-padded to ``n_frames * hop`` samples,
``n_frames = ceil(samples / hop)``, which is also the length the synthesiser produces.

* f0: :func:`estimate_f0` dispatches on ``f0_method`` to a backend in :data:`F0_METHODS`
  (``pyin``: ``librosa.pyin`` between ``f0_min`` and ``f0_max``, pitch grid ``f0_resolution``
  semitones, window ``f0_frame_length``). A backend returns f0 in Hz with NaN on unvoiced frames
  plus a voicing probability; :func:`fill_unvoiced` then fills unvoiced frames by linear
  interpolation *in log-frequency* between the neighbouring voiced frames, holds the first/last
  voiced value before/after them, and uses ``f0_min`` for a clip with no voiced frame at all.
  ``crepe``: :func:`augeval.generators.crepe_f0.crepe_f0` (torchcrepe, Magenta's tracker).
* loudness: :func:`a_weighted_loudness`, the A-weighted mean-square power of each Hann-windowed
  frame (``loudness_n_fft`` samples) in dB re full scale (a 1 kHz sine of amplitude 1 reads
  -3 dB), floored at -100 dB. Scaling the signal by ``g`` shifts it by exactly ``20 log10 g``.

The cache (:func:`save_features` / :func:`load_features`) is one compressed ``.npz`` per table of
excerpts (:func:`train_excerpts` for a train/validation manifest, :func:`source_excerpts` for a
generator's sources), written atomically, with the feature configuration stored inside so a cache
made with other settings is refused.

Defaults of the feature keys: ``workflow/schemas/config.schema.yaml``, block ``generators.ddsp``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable

import librosa
import numpy as np
import pandas as pd
import torch

from augeval.atomic import atomic_path
from augeval.audio import read_audio
from augeval.errors import ConfigError, DataError
from augeval.generators import with_defaults
from augeval.generators.crepe_f0 import crepe_f0

log = logging.getLogger("augeval.generators.ddsp")

# The settings a feature cache depends on (defaults: the schema's generators.ddsp block).
FEATURE_KEYS = (
    "sample_rate",
    "hop",
    "f0_method",
    "f0_min",
    "f0_max",
    "f0_resolution",
    "f0_frame_length",
    "loudness_n_fft",
)
CREPE_KEYS = ("crepe_model", "crepe_batch_size", "crepe_voicing_threshold")  # with crepe only
LOUDNESS_FLOOR_DB = -100.0
ARRAY_KEYS = ("f0_hz", "voiced", "voiced_prob", "loudness_db")
TABLE_KEYS = ("key", "track_id", "path", "offset_s", "seconds", "n_frames")


def feature_config(cfg: dict) -> dict:
    """The feature settings of ``cfg`` (defaults filled in), as stored with a cache."""
    filled = with_defaults("ddsp", cfg)
    out = {k: filled[k] for k in FEATURE_KEYS}
    out["sample_rate"], out["hop"] = int(out["sample_rate"]), int(out["hop"])
    out["f0_frame_length"], out["loudness_n_fft"] = (
        int(out["f0_frame_length"]),
        int(out["loudness_n_fft"]),
    )
    for k in ("f0_min", "f0_max", "f0_resolution"):
        out[k] = float(out[k])
    if out["f0_method"] == "crepe":  # pyin caches keep exactly their former settings
        out |= {k: filled[k] for k in CREPE_KEYS}
        out["crepe_batch_size"] = int(out["crepe_batch_size"])
        out["crepe_voicing_threshold"] = float(out["crepe_voicing_threshold"])
    if out["f0_method"] not in F0_METHODS:
        raise ConfigError(f"ddsp f0_method {out['f0_method']!r}; allowed: {sorted(F0_METHODS)}")
    if not 0 < out["f0_min"] < out["f0_max"] < out["sample_rate"] / 2:
        raise ConfigError("ddsp f0_min/f0_max must satisfy 0 < f0_min < f0_max < sample_rate/2")
    if out["hop"] < 1:
        raise ConfigError("ddsp hop must be a positive number of samples")
    return out


def frames_for(n_samples: int, hop: int) -> int:
    return max(1, math.ceil(n_samples / hop))


# ---------------------------------------------------------------------------------------------
# f0


def pyin_f0(audio: np.ndarray, fcfg: dict) -> tuple[np.ndarray, np.ndarray]:
    """``librosa.pyin`` on one clip: (f0 in Hz with NaN where unvoiced, voicing probability)."""
    f0, _, prob = librosa.pyin(
        np.asarray(audio, dtype=np.float32),
        fmin=fcfg["f0_min"],
        fmax=fcfg["f0_max"],
        sr=fcfg["sample_rate"],
        frame_length=fcfg["f0_frame_length"],
        hop_length=fcfg["hop"],
        resolution=fcfg["f0_resolution"],
        center=True,
    )
    return f0, prob


F0Backend = Callable[[np.ndarray, dict], tuple[np.ndarray, np.ndarray]]
F0_METHODS: dict[str, F0Backend] = {"pyin": pyin_f0, "crepe": crepe_f0}


def fill_unvoiced(f0_hz: np.ndarray, fallback_hz: float) -> np.ndarray:
    """Replace NaN (unvoiced) frames: log-frequency interpolation between voiced neighbours,
    nearest voiced value at the edges, ``fallback_hz`` if no frame is voiced."""
    f0 = np.asarray(f0_hz, dtype=np.float64)
    voiced = np.isfinite(f0) & (f0 > 0)
    if not voiced.any():
        return np.full(f0.shape, fallback_hz, dtype=np.float32)
    idx = np.arange(len(f0))
    filled = np.exp2(np.interp(idx, idx[voiced], np.log2(f0[voiced])))
    return filled.astype(np.float32)


def estimate_f0(audio: np.ndarray, fcfg: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f0 of one clip (``samples`` a multiple of ``hop``) → (filled f0 Hz, voiced, voiced prob),
    each of ``samples // hop`` frames."""
    n_frames = len(audio) // fcfg["hop"]
    f0, prob = F0_METHODS[fcfg["f0_method"]](audio, fcfg)
    f0, prob = f0[:n_frames], np.nan_to_num(prob[:n_frames]).astype(np.float32)
    voiced = np.isfinite(f0)
    return fill_unvoiced(f0, fcfg["f0_min"]), voiced, prob


# ---------------------------------------------------------------------------------------------
# loudness


def a_weighted_loudness(audio: np.ndarray, sample_rate: int, hop: int, n_fft: int) -> np.ndarray:
    """A-weighted frame power in dB re full scale, ``(B, samples // hop)`` for ``(B, samples)``."""
    x = torch.from_numpy(np.ascontiguousarray(np.atleast_2d(audio), dtype=np.float32))
    window = torch.hann_window(n_fft)
    with torch.no_grad():
        spec = torch.stft(x, n_fft, hop, window=window, center=True, return_complex=True)
    power = spec.abs().numpy().astype(np.float64) ** 2  # (B, bins, frames)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    weight = np.zeros_like(freqs)  # the A-weighting is -inf dB at DC
    weight[1:] = 10.0 ** (librosa.A_weighting(freqs[1:], min_db=None) / 10.0)
    # Parseval: the one-sided sum of |X|^2 over bins is n_fft * sum(w^2 x^2) / 2 for a tone
    mean_square = 2.0 * np.einsum("bft,f->bt", power, weight) / (n_fft * float((window**2).sum()))
    db = 10.0 * np.log10(np.maximum(mean_square, 10.0 ** (LOUDNESS_FLOOR_DB / 10.0)))
    return db[:, : x.shape[-1] // hop].astype(np.float32)


# ---------------------------------------------------------------------------------------------
# batches of clips


def pad_to_frames(audio: np.ndarray, hop: int) -> np.ndarray:
    """Zero-pad ``(..., samples)`` on the right to a whole number of frames."""
    n = audio.shape[-1]
    pad = frames_for(n, hop) * hop - n
    if pad == 0:
        return audio
    return np.pad(audio, [(0, 0)] * (audio.ndim - 1) + [(0, pad)])


def extract_features(audio: np.ndarray, cfg: dict) -> dict[str, np.ndarray]:
    """Features of a batch of equal-length clips ``(B, samples)`` (or one clip ``(samples,)``).

    Returns ``f0_hz`` (unvoiced filled, see the module doc), ``voiced`` (bool), ``voiced_prob`` and
    ``loudness_db``, each ``(B, ceil(samples / hop))`` float32/bool.
    """
    fcfg = feature_config(cfg)
    audio = pad_to_frames(np.atleast_2d(np.asarray(audio, dtype=np.float32)), fcfg["hop"])
    f0s, voiced, probs = zip(*(estimate_f0(clip, fcfg) for clip in audio), strict=True)
    loudness = a_weighted_loudness(audio, fcfg["sample_rate"], fcfg["hop"], fcfg["loudness_n_fft"])
    return {
        "f0_hz": np.stack(f0s),
        "voiced": np.stack(voiced),
        "voiced_prob": np.stack(probs),
        "loudness_db": loudness,
    }


# ---------------------------------------------------------------------------------------------
# excerpt tables and the cache


def excerpt_key(track_id: str, offset_s: float) -> str:
    return f"{track_id}@{offset_s:.3f}"


def train_excerpts(manifest: pd.DataFrame, clip_seconds: float, per_track: int = 1) -> pd.DataFrame:
    """The fixed ``clip_seconds`` excerpts of each manifest track used for training/validation.

    ``per_track`` excerpts are spread evenly over the track (centred in equal parts of the range of
    valid offsets; one excerpt is the track's middle). A track shorter than an excerpt gives one
    excerpt at offset 0 (zero-padded when read). Columns: :data:`TABLE_KEYS` minus ``n_frames``.
    """
    rows = []
    for rec in manifest.itertuples(index=False):
        span = max(float(rec.duration_s) - clip_seconds, 0.0)
        offsets = sorted({round(span * (i + 0.5) / per_track, 3) for i in range(per_track)})
        if span == 0.0:
            offsets = [0.0]
        for off in offsets:
            key = excerpt_key(rec.track_id, off)
            rows.append((key, rec.track_id, str(rec.path), off, float(clip_seconds)))
    return pd.DataFrame(rows, columns=list(TABLE_KEYS[:-1]))


def source_excerpts(sources: pd.DataFrame) -> pd.DataFrame:
    """Excerpt table of a generator's sources: one per row, keyed by ``clip_id``."""
    return pd.DataFrame(
        {
            "key": sources["clip_id"].astype(str).to_numpy(),
            "track_id": sources["track_id"].astype(str).to_numpy(),
            "path": sources["path"].astype(str).to_numpy(),
            "offset_s": sources["offset_s"].astype(float).to_numpy(),
            "seconds": sources["source_seconds"].astype(float).to_numpy(),
        }
    )


def excerpts_for(table: pd.DataFrame, clip_seconds: float, per_track: int = 1) -> pd.DataFrame:
    """Excerpts of a sources table (it has ``clip_id``) or of a train/validation manifest."""
    if "clip_id" in table.columns:
        return source_excerpts(table)
    return train_excerpts(table, clip_seconds, per_track)


def read_excerpt(row, sample_rate: int, hop: int) -> np.ndarray:
    """Audio of one excerpt, zero-padded/trimmed to ``round(seconds * sr)`` then to whole frames."""
    n = int(round(float(row.seconds) * sample_rate))
    y = read_audio(row.path, sample_rate, offset_s=float(row.offset_s), max_seconds=row.seconds)
    y = np.pad(y[:n], (0, max(0, n - len(y))))
    return pad_to_frames(y, hop)


def compute_features(
    excerpts: pd.DataFrame, cfg: dict, log_every_s: float = 30.0
) -> dict[str, np.ndarray]:
    """Read and analyse every excerpt; returns the cache table (see :func:`save_features`).

    Frame arrays are ``(N, max_frames)``; rows shorter than the longest are edge-padded and
    ``n_frames`` says how many frames each row really has.
    """
    fcfg = feature_config(cfg)
    sr, hop = fcfg["sample_rate"], fcfg["hop"]
    n_rows = len(excerpts)
    n_frames = np.array(
        [frames_for(int(round(s * sr)), hop) for s in excerpts["seconds"]], dtype=np.int64
    )
    width = int(n_frames.max()) if n_rows else 0
    arrays = {
        "f0_hz": np.zeros((n_rows, width), np.float32),
        "voiced": np.zeros((n_rows, width), bool),
        "voiced_prob": np.zeros((n_rows, width), np.float32),
        "loudness_db": np.zeros((n_rows, width), np.float32),
    }
    t0 = last = time.monotonic()
    for i, row in enumerate(excerpts.itertuples(index=False)):
        feats = extract_features(read_excerpt(row, sr, hop), fcfg)
        for k in ARRAY_KEYS:
            v = feats[k][0]
            arrays[k][i, : len(v)] = v
            arrays[k][i, len(v) :] = v[-1]
        if time.monotonic() - last > log_every_s:
            last = time.monotonic()
            log.info("features: %d/%d excerpts (%.1f s)", i + 1, n_rows, last - t0)
    log.info("features: %d excerpts in %.1f s", n_rows, time.monotonic() - t0)
    table = {k: excerpts[k].to_numpy() for k in TABLE_KEYS[:-1]}
    for k in ("key", "track_id", "path"):
        table[k] = np.asarray([str(v) for v in table[k]], dtype=str)
    table["offset_s"] = table["offset_s"].astype(np.float64)
    table["seconds"] = table["seconds"].astype(np.float64)
    return table | {"n_frames": n_frames} | arrays | {"config": fcfg}


def save_features(path: str | os.PathLike, table: dict) -> None:
    """Atomically write a features table as compressed ``.npz`` (no pickled objects)."""
    arrays = {k: np.asarray(table[k]) for k in (*TABLE_KEYS, *ARRAY_KEYS)}
    arrays["config"] = np.asarray(json.dumps(table["config"], sort_keys=True))
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def load_features(path: str | os.PathLike, cfg: dict | None = None) -> dict:
    """Read a features ``.npz``; with ``cfg``, refuse one made with other feature settings."""
    try:
        with np.load(path, allow_pickle=False) as data:
            table = {k: data[k] for k in (*TABLE_KEYS, *ARRAY_KEYS)}
            table["config"] = json.loads(str(data["config"]))
    except FileNotFoundError:
        raise DataError(f"ddsp features not found: {path}; re-run its feature rule") from None
    except Exception as exc:
        raise DataError(
            f"cannot read ddsp features {path} ({exc}); delete it and re-run its feature rule"
        ) from exc
    if cfg is not None and table["config"] != feature_config(cfg):
        raise DataError(
            f"ddsp features {path} were made with {table['config']}, not {feature_config(cfg)};"
            " delete it and re-run its feature rule"
        )
    return table


def cache_features(table: pd.DataFrame, cfg: dict, out_path: str | os.PathLike) -> dict:
    """One call for a workflow rule: excerpts of a manifest or sources table → features ``.npz``."""
    filled = with_defaults("ddsp", cfg)
    excerpts = excerpts_for(table, float(filled["clip_seconds"]), int(filled["excerpts_per_track"]))
    feats = compute_features(excerpts, cfg)
    save_features(out_path, feats)
    return feats


def select_features(table: dict, keys, where: str = "features") -> dict[str, np.ndarray]:
    """Frame arrays of the rows with ``keys`` (in that order); DataError names missing keys."""
    index = {k: i for i, k in enumerate(table["key"].tolist())}
    missing = [k for k in keys if k not in index]
    if missing:
        raise DataError(
            f"{where}: no features for {len(missing)} excerpt(s) (e.g. {missing[:3]}); the cache"
            " was built for another manifest or excerpt settings: re-run its feature rule"
        )
    rows = np.array([index[k] for k in keys], dtype=np.int64)
    return {k: table[k][rows] for k in (*ARRAY_KEYS, "n_frames")}
