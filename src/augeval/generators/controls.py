"""Control generators: they make a generator's numbers interpretable (beyond the paper).

* ``copy``: the source excerpt itself, unchanged: the gain from mere duplication of real data.
* ``noise``: pink (1/f) noise shaped by a real excerpt's loudness envelope: a negative control
  that keeps realistic loudness dynamics and nothing musical. With ``envelope: shuffled`` (the
  default) the envelope comes from another source of the job, drawn by a seeded permutation over
  all classes, so it says nothing of the clip's label; ``envelope: source`` takes the clip's own
  source, whose loudness, tempo and onset density can carry its class (arousal) into the noise.
* ``oracle``: fresh music of the drawn class that the classifier never saw: the ceiling a perfect
  generator could reach. With ``holdout_fraction`` (required on real data) the policy draws its
  sources from an artist-disjoint pool carved out of train (:mod:`augeval.data.holdout`) and the
  oracle copies those excerpts; without it (demo corpus only) it synthesises new tracks (new
  artists/timbres) with tags of the drawn class.

All three run through the same policy (``sources.tsv``), rules, tables and figures as real
generators. Config keys (``generators.<name>``): ``clip_seconds``, ``sample_rate``; defaults:
``workflow/schemas/config.schema.yaml``, blocks ``generators.copy`` / ``noise`` / ``oracle``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from augeval.audio import read_audio, write_audio
from augeval.data.manifest import LABEL_SEP
from augeval.errors import ConfigError, DataError
from augeval.generators import with_defaults
from augeval.generators.base import FitJob, GenerateJob, generated_row
from augeval.generators.registry import kinds_where

log = logging.getLogger("augeval.generators")

CONTROLS = kinds_where(control=True)


def _fit_length(y: np.ndarray, n: int) -> np.ndarray:
    """Trim, or tile a too-short excerpt, to exactly ``n`` samples."""
    if len(y) >= n:
        return y[:n]
    return np.tile(y, -(-n // len(y)))[:n]


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise with a 1/f power spectrum."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spectrum), dtype=np.float64)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0.0
    y = np.fft.irfft(spectrum, n)
    return y / (np.sqrt(np.mean(y**2)) + 1e-12)


def loudness_envelope(y: np.ndarray, frame: int) -> np.ndarray:
    """Per-sample RMS envelope from ``frame``-sample windows, linearly interpolated."""
    n_frames = max(1, -(-len(y) // frame))
    padded = np.pad(y, (0, n_frames * frame - len(y)))
    rms = np.sqrt(np.mean(padded.reshape(n_frames, frame) ** 2, axis=1))
    centres = (np.arange(n_frames) + 0.5) * frame
    return np.interp(np.arange(len(y)), centres, rms)


class _Control:
    name = ""
    trainable = False

    def fit(self, job: FitJob) -> None:  # controls are not trained
        raise ConfigError(f"the {self.name} control generator has nothing to train")

    def generate(self, job: GenerateJob) -> pd.DataFrame:
        cfg, sources, out_dir, seed = self.settings(job), job.sources, job.out_dir, job.seed
        sr = with_defaults(type(self).name, cfg)["sample_rate"]  # the kind, not the entry name
        n = int(round(cfg["clip_seconds"] * sr))
        rows = []
        records = self.prepare(sources.to_dict(orient="records"), cfg, seed)
        for k, source in enumerate(records):
            y = self.make(source, n, sr, cfg, np.random.default_rng([seed, k]))
            wav = Path(out_dir) / "wav" / f"{source['clip_id']}.wav"
            write_audio(wav, y, sr)
            rows.append(generated_row(source, wav, n / sr, self.name))
            if (k + 1) % 50 == 0:
                log.info("%s: %d/%d clips", self.name, k + 1, len(sources))
        return pd.DataFrame(rows)

    def settings(self, job: GenerateJob) -> dict:
        """The settings :meth:`make` reads: the generator's config section."""
        return job.cfg

    def prepare(self, records: list[dict], cfg: dict, seed: int) -> list[dict]:
        """The source rows :meth:`make` reads, one per clip (default: unchanged)."""
        return records

    def make(self, source: dict, n: int, sr: int, cfg: dict, rng: np.random.Generator):
        raise NotImplementedError


class CopyControl(_Control):
    name = "copy"

    def make(self, source, n, sr, cfg, rng):
        excerpt = read_audio(source["path"], sr, offset_s=source["offset_s"], max_seconds=n / sr)
        return _fit_length(excerpt, n)


class NoiseControl(_Control):
    name = "noise"

    def prepare(self, records, cfg, seed):
        """Each clip's envelope excerpt (``envelope_path``/``envelope_offset_s``): its own source,
        or (``shuffled``) the source at a seeded permutation of the job's rows (every class)."""
        mode = with_defaults(self.name, cfg)["envelope"]
        if mode == "source":
            order = np.arange(len(records))
        elif mode == "shuffled":
            order = np.random.default_rng([seed, len(records), 1]).permutation(len(records))
        else:
            raise ConfigError(f"generators.noise.envelope must be source or shuffled, not {mode!r}")
        return [
            r | {"envelope_path": records[j]["path"], "envelope_offset_s": records[j]["offset_s"]}
            for r, j in zip(records, order, strict=True)
        ]

    def make(self, source, n, sr, cfg, rng):
        excerpt = read_audio(
            source["envelope_path"], sr, offset_s=source["envelope_offset_s"], max_seconds=n / sr
        )
        envelope = loudness_envelope(_fit_length(excerpt, n), frame=max(1, sr // 20))
        return np.clip(pink_noise(n, rng) * envelope, -1.0, 1.0)


class OracleControl(_Control):
    """Held-out real music (``holdout_fraction``: the sources come from the pool) or fresh demo
    music: a new track, by a new artist, with its source track's tags (``tags: source``, read
    from the corpus metadata, :attr:`GenerateJob.metadata`) or with one tag of the drawn class
    (``tags: class``: the tags of the class, from the job's ``labels`` section; a ``class_tags``
    setting, class -> tags, takes precedence)."""

    name = "oracle"

    def settings(self, job: GenerateJob) -> dict:
        cfg = job.cfg
        if reads_source_tags(cfg):
            return cfg | {"source_tags": _source_tags(job)}
        if cfg.get("holdout_fraction") or "class_tags" in cfg:
            return cfg
        from augeval.data.labels import labelset_from_config

        if "tags" not in job.labels:
            raise ConfigError(
                f"oracle {job.name}: synthesising a class needs the config's labels section "
                "(GenerateJob.labels) or a class_tags setting"
            )
        labelset = labelset_from_config(job.labelset, job.labels)
        return cfg | {"class_tags": labelset.class_tags(job.labels["tags"])}

    def make(self, source, n, sr, cfg, rng):
        if cfg.get("holdout_fraction"):
            return CopyControl().make(source, n, sr, cfg, rng)
        # here, not at the top: the synthesiser's scipy.signal import costs ~1 s of every
        # copy/noise job's start-up
        from augeval.synth import synthesise_clip

        if "source_tags" in cfg:
            tags = cfg["source_tags"][source["track_id"]]  # primary tag first, as in the corpus
        else:
            tags = _class_tags(source, cfg["class_tags"], rng)
        number = int(source["clip_id"].rsplit("_", 1)[-1]) + cfg.get("number_offset", 0)
        return synthesise_clip(
            tags, n / sr, sample_rate=sr, seed=int(rng.integers(2**31)), number=number
        )


def reads_source_tags(cfg: dict) -> bool:
    """Whether an oracle with settings ``cfg`` synthesises each clip with its source track's tags
    (``tags: source``, no hold-out, no ``class_tags``), so its generation job reads the corpus
    metadata (the rule layer adds it as an input)."""
    if cfg.get("holdout_fraction") or "class_tags" in cfg:
        return False
    return with_defaults("oracle", cfg)["tags"] == "source"


def _class_tags(source: dict, class_tags: dict[str, list[str]], rng) -> list[str]:
    """``tags: class``: a random tag of the drawn class, plus the source's other labels that are
    synthesisable tags (mood labels are tags; emotion's quadrants are not)."""
    from augeval.synth import DEMO_TAG_PROFILES

    tags = [t for t in class_tags[source["drawn_class"]] if t in DEMO_TAG_PROFILES]
    if not tags:
        raise ConfigError(f"oracle: no demo-synthesisable tag for class {source['drawn_class']!r}")
    extra = [
        label
        for label in source["labels"].split(LABEL_SEP)
        if label != source["drawn_class"] and label in DEMO_TAG_PROFILES
    ]
    return sorted(set([str(rng.choice(tags))] + extra))


def _source_tags(job: GenerateJob) -> dict[str, list[str]]:
    """``tags: source``: each source track's synthesisable tags in the corpus metadata's order
    (primary first), by track id; every source track must be listed with at least one."""
    from augeval.data.mtg import read_metadata
    from augeval.synth import DEMO_TAG_PROFILES

    if job.metadata is None:
        raise ConfigError(
            f"oracle {job.name}: tags: source synthesises each clip with its source track's tags, "
            "which needs the corpus metadata (GenerateJob.metadata); set tags: class to use the "
            "drawn class's tags instead"
        )
    tracks = {
        t.track_id: [g for g in t.tags if g in DEMO_TAG_PROFILES]
        for t in read_metadata(job.metadata)
    }
    wanted = set(job.sources["track_id"].astype(str))
    missing = sorted(t for t in wanted if not tracks.get(t))
    if missing:
        raise DataError(
            f"{job.metadata}: {len(missing)} source track(s) of oracle {job.name} are not listed "
            f"with a synthesisable tag, e.g. {missing[:5]}; the oracle (tags: source) needs the "
            "metadata of the corpus its sources were drawn from"
        )
    return {t: tracks[t] for t in wanted}


GENERATORS = {c.name: c for c in (CopyControl, NoiseControl, OracleControl)}


def make_control(name: str) -> _Control:
    try:
        return GENERATORS[name]()
    except KeyError:
        raise ConfigError(f"unknown control generator {name!r}; allowed: {CONTROLS}") from None
