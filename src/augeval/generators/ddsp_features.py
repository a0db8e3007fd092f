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
generator's sources), written atomically and byte-reproducibly (:func:`write_npz`), with the
feature configuration stored inside so a cache made with other settings is refused.

Shards. The workflow computes a part's excerpts (:func:`part_excerpts`: train, the first
``max_val_clips`` of validation, or a run's sources) in shard jobs
(:mod:`augeval.generators.ddsp_shards` says which rows), each :func:`compute_shard`: a process
pool over excerpts, every excerpt's arrays saved to its own chunk file in the shard's work folder
as soon as they exist, so a killed job resumes where it stopped; the shard's cache is assembled
from the chunks, so it has the same bytes whatever the threads or interruptions.
:func:`gather_features` concatenates the shards into the part's one cache, equal to what one job
computing every excerpt would write.

Defaults of the feature keys: ``workflow/schemas/config.schema.yaml``, block ``generators.ddsp``.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import math
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import librosa
import numpy as np
import pandas as pd
import torch

from augeval.atomic import write_npz
from augeval.audio import read_audio
from augeval.errors import ConfigError, DataError
from augeval.generators import with_defaults
from augeval.generators.crepe_f0 import crepe_f0
from augeval.generators.ddsp_shards import CREPE_KEYS, FEATURE_KEYS, part_kind, shard_bounds

log = logging.getLogger("augeval.generators.ddsp")

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


def excerpt_features(row, fcfg: dict) -> dict[str, np.ndarray]:
    """Frame arrays of one excerpt (a row of an excerpt table), each ``(n_frames,)``."""
    feats = extract_features(read_excerpt(row, fcfg["sample_rate"], fcfg["hop"]), fcfg)
    return {k: feats[k][0] for k in ARRAY_KEYS}


def assemble_features(excerpts: pd.DataFrame, rows: list[dict], fcfg: dict) -> dict:
    """The cache table of ``excerpts`` from their per-excerpt arrays ``rows`` (same order).

    Frame arrays are ``(N, max_frames)``; rows shorter than the longest are edge-padded and
    ``n_frames`` says how many frames each row really has.
    """
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
    for i, feats in enumerate(rows):
        for k in ARRAY_KEYS:
            v = feats[k]
            arrays[k][i, : len(v)] = v
            arrays[k][i, len(v) :] = v[-1]
    table = {k: excerpts[k].to_numpy() for k in TABLE_KEYS[:-1]}
    for k in ("key", "track_id", "path"):
        table[k] = np.asarray([str(v) for v in table[k]], dtype=str)
    table["offset_s"] = table["offset_s"].astype(np.float64)
    table["seconds"] = table["seconds"].astype(np.float64)
    return table | {"n_frames": n_frames} | arrays | {"config": fcfg}


def compute_features(
    excerpts: pd.DataFrame, cfg: dict, log_every_s: float = 30.0
) -> dict[str, np.ndarray]:
    """Read and analyse every excerpt in this process; returns the cache table (see
    :func:`assemble_features`, :func:`save_features`)."""
    fcfg = feature_config(cfg)
    n_rows = len(excerpts)
    rows = []
    t0 = last = time.monotonic()
    for i, row in enumerate(excerpts.itertuples(index=False)):
        rows.append(excerpt_features(row, fcfg))
        if time.monotonic() - last > log_every_s:
            last = time.monotonic()
            log.info("features: %d/%d excerpts (%.1f s)", i + 1, n_rows, last - t0)
    log.info("features: %d excerpts in %.1f s", n_rows, time.monotonic() - t0)
    return assemble_features(excerpts, rows, fcfg)


def save_features(path: str | os.PathLike, table: dict) -> None:
    """Atomically write a features table as compressed ``.npz`` (no pickled objects; the same
    table always gives the same bytes)."""
    arrays = {k: np.asarray(table[k]) for k in (*TABLE_KEYS, *ARRAY_KEYS)}
    arrays["config"] = np.asarray(json.dumps(table["config"], sort_keys=True))
    write_npz(path, arrays)


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


# ---------------------------------------------------------------------------------------------
# shards: a part's excerpts in resumable shard jobs, gathered into the part's one cache


def part_excerpts(table: pd.DataFrame, cfg: dict, part: str) -> pd.DataFrame:
    """Excerpts of feature part ``part``: a sources table's rows (``sources-<run>``), a train
    manifest's training excerpts, or the first ``max_val_clips`` validation excerpts (those
    training reads, :func:`augeval.generators.ddsp_train.load_clip_set`)."""
    filled = with_defaults("ddsp", cfg)
    kind = part_kind(part)
    if kind == "sources":
        if "clip_id" not in table.columns:
            raise DataError(f"ddsp features of {part}: the table has no clip_id column (sources)")
        return source_excerpts(table)
    out = train_excerpts(table, float(filled["clip_seconds"]), int(filled["excerpts_per_track"]))
    if kind == "validation":
        out = out.iloc[: int(filled["max_val_clips"])].reset_index(drop=True)
    return out


def _chunk_meta(row, fcfg: dict) -> str:
    """What a per-excerpt chunk was computed from; a chunk with other metadata is recomputed."""
    return json.dumps(
        {
            "key": str(row.key),
            "path": str(row.path),
            "offset_s": float(row.offset_s),
            "seconds": float(row.seconds),
            "config": fcfg,
        },
        sort_keys=True,
    )


def _read_chunk(path: Path, meta: str) -> dict | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["meta"]) != meta:
                log.warning("features: %s is another excerpt's or settings'; recomputing", path)
                return None
            return {k: data[k] for k in ARRAY_KEYS}
    except FileNotFoundError:
        return None
    except Exception as exc:  # a chunk is written atomically, so this is outside damage
        log.warning("features: cannot read %s (%s); recomputing", path, exc)
        return None


def _write_chunk(job: tuple) -> int:
    index, row, fcfg, path, meta = job
    write_npz(path, excerpt_features(row, fcfg) | {"meta": np.asarray(meta)})
    return index


def _init_worker() -> None:
    torch.set_num_threads(1)  # the pool's processes are the parallelism


def compute_shard(
    excerpts: pd.DataFrame,
    cfg: dict,
    out_path: str | os.PathLike,
    work_dir: str | os.PathLike | None = None,
    threads: int = 1,
    log_every_s: float = 30.0,
) -> dict:
    """Features of ``excerpts`` into the cache ``out_path``, resumably, on ``threads`` processes.

    Each excerpt's arrays are written atomically to their own chunk file in ``work_dir``
    (default: ``out_path`` with suffix ``.work``) as soon as they are computed; a rerun after a
    kill keeps the chunks whose excerpt and settings match and computes the rest. The cache is
    assembled from the chunks in table order, so its bytes depend neither on ``threads`` nor on
    how many times the job was interrupted; the work folder is removed once it is written.
    """
    fcfg = feature_config(cfg)
    work = Path(work_dir) if work_dir is not None else Path(out_path).with_suffix(".work")
    work.mkdir(parents=True, exist_ok=True)
    rows = [SimpleNamespace(**r._asdict()) for r in excerpts.itertuples(index=False)]
    metas = [_chunk_meta(r, fcfg) for r in rows]
    paths = [work / f"{i:06d}.npz" for i in range(len(rows))]
    done = {i for i in range(len(rows)) if _read_chunk(paths[i], metas[i]) is not None}
    pending = [(i, rows[i], fcfg, paths[i], metas[i]) for i in range(len(rows)) if i not in done]
    workers = max(1, min(int(threads), len(pending)))
    log.info(
        "features: %d excerpts, %d done before (%s), %d to compute on %d process(es)",
        len(rows), len(done), work, len(pending), workers,
    )  # fmt: skip
    t0 = last = time.monotonic()

    def progress(n: int) -> None:
        nonlocal last
        if time.monotonic() - last > log_every_s:
            last = time.monotonic()
            log.info("features: %d/%d computed (%.1f s)", n, len(pending), last - t0)

    if workers > 1:
        # fork: the children inherit the imported libraries, and never re-run the job's script
        ctx = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker
        ) as pool:
            for n, _ in enumerate(pool.map(_write_chunk, pending), 1):
                progress(n)
    else:
        for n, job in enumerate(pending, 1):
            _write_chunk(job)
            progress(n)
    log.info("features: %d excerpts computed in %.1f s", len(pending), time.monotonic() - t0)
    chunks = [_read_chunk(p, m) for p, m in zip(paths, metas, strict=True)]
    if any(c is None for c in chunks):
        raise DataError(f"features: chunks of {work} vanished while the job ran; re-run it")
    table = assemble_features(excerpts, chunks, fcfg)
    save_features(out_path, table)
    shutil.rmtree(work, ignore_errors=True)
    return table


def cache_feature_shard(
    table: pd.DataFrame,
    cfg: dict,
    part: str,
    shard: int,
    n_shards: int,
    out_path: str | os.PathLike,
    threads: int = 1,
) -> dict:
    """One call for rule ``ddsp_feature_shard``: shard ``shard`` of ``n_shards`` of ``part``'s
    excerpts (:func:`augeval.generators.ddsp_shards.shard_bounds`) → its ``.npz``."""
    excerpts = part_excerpts(table, cfg, part)
    start, stop = shard_bounds(len(excerpts), n_shards, shard)
    log.info("features: %s shard %d/%d = excerpts %d..%d", part, shard, n_shards, start, stop)
    rows = excerpts.iloc[start:stop].reset_index(drop=True)
    return compute_shard(rows, cfg, out_path, threads=threads)


def gather_features(paths, out_path: str | os.PathLike) -> dict:
    """Concatenate shard caches (in order) into one cache, as if computed in one job: frame
    arrays edge-padded to the widest shard, settings checked equal, keys unique."""
    paths = list(paths)
    if not paths:
        raise DataError(f"{out_path}: no ddsp feature shards to gather")
    tables = [load_features(p) for p in paths]
    configs = [t["config"] for t in tables]
    if any(c != configs[0] for c in configs):
        raise DataError(
            f"ddsp feature shards {[str(p) for p in paths]} were made with different settings;"
            " delete them and re-run rule ddsp_feature_shard"
        )
    width = max(t["f0_hz"].shape[1] for t in tables)
    out = {k: np.concatenate([t[k] for t in tables]) for k in TABLE_KEYS}
    for k in ARRAY_KEYS:
        blocks = []
        for t in tables:
            a = t[k]
            if len(a) == 0:
                a = np.zeros((0, width), a.dtype)
            elif a.shape[1] < width:
                a = np.pad(a, [(0, 0), (0, width - a.shape[1])], mode="edge")
            blocks.append(a)
        out[k] = np.concatenate(blocks)
    keys = out["key"].tolist()
    if len(set(keys)) != len(keys):
        raise DataError(f"ddsp feature shards {[str(p) for p in paths]} repeat excerpts")
    out["config"] = configs[0]
    save_features(out_path, out)
    return out


def cache_part(
    table: pd.DataFrame,
    cfg: dict,
    part: str,
    out_dir: str | os.PathLike,
    n_shards: int,
    threads: int = 1,
) -> Path:
    """Every shard of ``part`` in turn, then their gather, in this process (what the rules do
    in jobs): shards ``out_dir/<part>/shard-<s>.npz``, the cache ``out_dir/<part>.npz``."""
    out_dir = Path(out_dir)
    shards = [out_dir / part / f"shard-{s}.npz" for s in range(n_shards)]
    for s, path in enumerate(shards):
        cache_feature_shard(table, cfg, part, s, n_shards, path, threads)
    gather_features(shards, out_dir / f"{part}.npz")
    return out_dir / f"{part}.npz"
