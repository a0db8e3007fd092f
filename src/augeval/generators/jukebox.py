"""Jukebox generator: OpenAI's pretrained Jukebox (PyPI ``jukebox-infer``), primed, not retrained.

Each batch of sources becomes one call of the package's ``sample.primed_sample`` with ``x`` of
shape ``(n, T, 1)``: row ``i`` is the prime of source ``i`` (``prime_seconds`` read at the source's
``offset_s``, 44.1 kHz mono), so different primes are continued together. The VQ-VAE encodes the
primes, the top prior continues them to ``clip_seconds`` in total, the two upsamplers fill in the
lower levels, and the VQ-VAE decodes level 0. Artist, genre and lyrics labels are empty (as in the
paper). The written clip is the whole ``clip_seconds`` (prime region included, as Jukebox returns
it); its label is inherited from the source.

Settings: :mod:`augeval.generators.jukebox_config`; weight files:
:mod:`augeval.generators.jukebox_weights`; the model and its CPU shim:
:mod:`augeval.generators.jukebox_model`.

Resuming: every finished batch is written (WAVs, then a ``batch-<k>.done`` marker holding its
manifest rows) under ``<out_dir>/batches`` before the next starts; a killed job restarted with the
same sources and configuration skips the finished batches. Batch ``k`` is sampled with its own
seed ``(seed, k)``, so a resumed run writes the same audio as an uninterrupted one.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from augeval.atomic import atomic_path
from augeval.audio import read_audio, write_audio
from augeval.device import resolve_device
from augeval.digest import json_digest
from augeval.errors import ConfigError
from augeval.generators.base import FitJob, GenerateJob, generated_row
from augeval.generators.jukebox_config import settings
from augeval.generators.jukebox_model import JukeboxModel, build_model

log = logging.getLogger("augeval.generators.jukebox")


def _config_digest(s: dict, sources: pd.DataFrame) -> str:
    return json_digest(
        {"cfg": {k: s[k] for k in sorted(s) if k not in ("device", "weights_dir")},
         "sources": sources.to_csv(index=False)}
    )  # fmt: skip


class JukeboxGenerator:
    name = "jukebox"
    trainable = False

    def fit(self, job: FitJob) -> None:
        raise ConfigError("Jukebox is pretrained and not retrained (as in the paper)")

    def generate(self, job: GenerateJob) -> pd.DataFrame:
        cfg, sources, out_dir, seed = job.cfg, job.sources, job.out_dir, job.seed
        s = settings(cfg)
        device = resolve_device(s["device"])
        out_dir = Path(out_dir)
        sr = s["sample_rate"]
        records = sources.to_dict(orient="records")
        bs = s["gen_batch_size"]
        batches = [records[k : k + bs] for k in range(0, len(records), bs)]
        state_dir = out_dir / "batches"
        digest = _config_digest(s, sources)
        model: JukeboxModel | None = None
        rows: list[dict] = []
        rows_made = range(len(records)) if job.rows is None else job.rows
        made = range(rows_made.start // bs, -(-rows_made.stop // bs))  # this job's batches
        for k, batch in enumerate(batches):
            if k not in made:
                continue
            done = state_dir / f"batch-{k:05d}.done"
            if done.is_file():
                saved = json.loads(done.read_text())
                if saved.get("digest") == digest and all(
                    Path(r["path"]).is_file() for r in saved["rows"]
                ):
                    rows += saved["rows"]
                    log.info("batch %d/%d already done: skipped", k + 1, len(batches))
                    continue
            if model is None:
                model = _model_for(s, device, records, seed)
            t0 = time.perf_counter()
            x = torch.from_numpy(np.stack([_prime(r, model.prime, sr) for r in batch])[:, :, None])
            audio = model.primed_sample(x, seed=hash_seed(seed, k))
            batch_rows = []
            for r, y in zip(batch, audio[:, :, 0].numpy(), strict=True):
                wav = out_dir / "wav" / f"{r['clip_id']}.wav"
                write_audio(wav, y, sr)
                batch_rows.append(generated_row(r, wav, len(y) / sr, self.name))
            with atomic_path(done) as tmp:
                tmp.write_text(json.dumps({"digest": digest, "rows": batch_rows}))
            rows += batch_rows
            log.info(
                "batch %d/%d: %d clips of %.1f s in %.1f s", k + 1, len(batches), len(batch),
                model.total / sr, time.perf_counter() - t0,
            )  # fmt: skip
        columns = list(
            generated_row({"clip_id": "", "track_id": "", "offset_s": 0, "labels": ""}, "", 0, "")
        )
        return pd.DataFrame(rows, columns=columns)  # columns: an empty shard too


def hash_seed(seed: int, k: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}/{k}".encode()).digest()[:4], "little")


def _prime(source: dict, n: int, sr: int) -> np.ndarray:
    """``n`` samples of the source from ``offset_s`` (right-padded with silence if short)."""
    y = read_audio(source["path"], sr, offset_s=float(source["offset_s"]), max_seconds=n / sr)
    return np.pad(y[:n], (0, max(0, n - len(y)))).astype(np.float32)


def _model_for(s: dict, device: torch.device, records: list[dict], seed: int) -> JukeboxModel:
    if s["init"] == "random":
        torch.manual_seed(seed)  # the random init is part of the configuration
        model = JukeboxModel(s, device)
        # Calibrate on the primes of the first sources (deterministic for a given sources table).
        picks = records[: max(1, min(len(records), 8))]
        calibration = torch.from_numpy(
            np.stack([_prime(r, model.prime, s["sample_rate"]) for r in picks])[:, :, None]
        )
        model.calibrate(calibration, seed)
        return model
    return build_model(copy.deepcopy(s), device)
