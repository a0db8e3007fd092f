"""Bring your own generator: ``kind: samples`` (clips you already generated) and ``kind: command``
(any program, run by the workflow per batch of sources).

``samples`` (config: ``dir``, optional ``table``, ``clip_seconds``, ``sample_rate``): ``dir``
(may contain ``{labelset}``) holds audio files labelled either by a TSV ``table`` (columns
``path`` relative to ``dir`` and ``labels``, ``;``-joined class names of the label set) or,
without a table, by one sub-folder per class (``dir/<class>/*.wav``). The augmentation policy
(:func:`draw_samples`) cuts the files into excerpts of ``clip_seconds`` (non-overlapping, seeded
offsets; a shorter file whole; null: whole files) and takes, per class, excerpts of its files in a
seeded random order, one per file per round, until the class's share of the duration budget is
reached; a class with too little audio is an error naming its folder and the seconds needed.
Generation writes each chosen excerpt (resampled to ``sample_rate``) into the generated folder.

``command`` (config: ``command``, ``clip_seconds``, ``source_seconds``, ``sample_rate``,
``batch_size``, ``length_tolerance_s``): the policy draws primes from the real train split as for
any primed generator. For each batch the workflow writes the primes as WAVs and a prime list TSV
(``clip_id  prime_path  out_path  labels``), then runs the command template through the shell with
these fields filled in:

``{prime_list}`` the prime list · ``{out_dir}`` where to write ``<clip_id>.wav`` ·
``{seconds}`` clip length · ``{prime_seconds}`` · ``{sample_rate}`` · ``{batch}`` batch number ·
``{n}`` rows in the batch.

What comes back is checked (one file per row, sample rate, length within ``length_tolerance_s``,
finite, not silent) before it is moved into place; a batch is recorded as done only then, so a
restarted job resumes at the next batch. Any failure raises :class:`GeneratorError` naming the
batch, the command and the clip; the manifest is written by the caller only after every batch.

Defaults: ``workflow/schemas/config.schema.yaml``, blocks ``generators.samples`` and
``generators.command`` (``source_seconds`` defaults to ``clip_seconds``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from augeval.atomic import atomic_path
from augeval.audio import read_audio, write_audio
from augeval.data.manifest import LABEL_SEP
from augeval.digest import json_digest
from augeval.errors import ConfigError, DataError, GeneratorError
from augeval.generators import with_defaults
from augeval.generators.base import SOURCE_COLUMNS, FitJob, GenerateJob, generated_row
from augeval.paths import sample_dir

log = logging.getLogger("augeval.generators.external")

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
SILENCE_RMS = 1e-4


# ----------------------------------------------------------------------------- samples


def read_sample_pool(cfg: dict, labelset: str, classes: list[str]) -> pd.DataFrame:
    """The clips on offer: ``path  duration_s  labels`` (labels restricted to ``classes``)."""
    root = sample_dir(cfg, labelset)
    if not root.is_dir():
        raise DataError(f"samples folder not found: {root} (generators.<name>.dir)")
    if cfg.get("table"):
        table_path = root / cfg["table"]
        if not table_path.is_file():
            raise DataError(f"samples table not found: {table_path} (generators.<name>.table)")
        table = pd.read_csv(table_path, sep="\t", dtype=str)
        if not {"path", "labels"} <= set(table.columns):
            raise DataError(f"{table_path}: needs the columns path and labels (tab-separated)")
        entries = [(root / p, ls) for p, ls in zip(table["path"], table["labels"], strict=True)]
    else:
        entries = [
            (p, c)
            for c in classes
            if (root / c).is_dir()
            for p in sorted((root / c).iterdir())
            if p.suffix.lower() in AUDIO_SUFFIXES
        ]
    rows = []
    pool_where = {c: f"{root}, listed in {table_path}" for c in classes} if cfg.get("table") else {
        c: str(root / c) for c in classes
    }  # fmt: skip
    for path, labels in entries:
        if not path.is_file():
            raise DataError(f"samples: listed clip not found: {path}")
        kept = [c for c in str(labels).split(LABEL_SEP) if c in classes]
        if kept:
            rows.append({"path": str(path), "duration_s": sf.info(path).duration,
                         "labels": LABEL_SEP.join(kept)})  # fmt: skip
    pool = pd.DataFrame(rows, columns=["path", "duration_s", "labels"])
    pool.attrs.update(where=pool_where, root=str(root))  # for the plan's messages and budget
    return pool


def draw_samples(
    pool: pd.DataFrame,
    classes: list[str],
    budget_seconds: float | None,
    *,
    seed: int,
    clip_prefix: str,
    clip_seconds: float | None = None,
    inherit_other_labels: bool = False,
) -> pd.DataFrame:
    """Sources (:data:`SOURCE_COLUMNS`) taking, per class, ``budget_seconds`` of the pool's audio.

    Classes are served from the rarest; a file serves one class only. With ``clip_seconds`` a
    file is cut into excerpts of that length: the class's files, in a seeded random order, give
    one excerpt each, then a second each where it fits, and so on, until the class's seconds reach
    its budget (so a class gets its budget within one excerpt). The excerpts of one file never
    overlap (seeded offsets, see :func:`augeval.policy.excerpt_offsets`); a file shorter than
    ``clip_seconds`` is taken whole, once. ``clip_seconds=None`` takes every file whole. A class
    with too little audio is a :class:`DataError` naming its folder (``pool.attrs["where"]``, set
    by :func:`read_sample_pool`) and the seconds it needs.

    ``budget_seconds=None`` takes everything on offer (the score view's plan): every file of the
    pool, each assigned to one class as above, with every non-overlapping excerpt it holds (or
    whole); the order stays the seeded one, class by class.
    """
    from augeval.policy import excerpt_offsets

    if budget_seconds is None:
        budget_seconds = math.inf

    rng = np.random.default_rng(seed)
    labels = [ls.split(LABEL_SEP) for ls in pool["labels"]]
    seconds = pool["duration_s"].astype(float).to_numpy()
    holders = {c: [i for i, ls in enumerate(labels) if c in ls] for c in classes}
    where = pool.attrs.get("where", {})

    def fits(i: int) -> int:  # excerpts file i can give
        if clip_seconds is None or seconds[i] < clip_seconds:
            return 1
        return int(seconds[i] / clip_seconds + 1e-9)

    def length(i: int) -> float:
        return seconds[i] if clip_seconds is None else min(seconds[i], clip_seconds)

    used: set[int] = set()
    rows = []
    for c in sorted(classes, key=lambda c: (len(holders[c]), classes.index(c))):
        free = [int(i) for i in rng.permutation(holders[c]) if i not in used] if holders[c] else []
        taken = dict.fromkeys(free, 0)  # file -> excerpts, in draw order
        total, r = 0.0, 0
        while total < budget_seconds - 1e-9 and any(fits(i) > r for i in free):
            r += 1
            for i in free:
                if total >= budget_seconds - 1e-9:
                    break
                if fits(i) >= r:
                    taken[i] += 1
                    total += length(i)
        if math.isfinite(budget_seconds) and total < budget_seconds - 1e-9:
            cut = "whole files" if clip_seconds is None else (
                f"excerpts of {clip_seconds:g} s without overlap, shorter files whole"
            )  # fmt: skip
            folder = where.get(c) or "the samples folder"
            raise DataError(
                f"samples: class {c!r} ({folder}) has {total:.1f} s of usable audio in "
                f"{len(free)} unused files ({cut}) but its budget is {budget_seconds:.1f} s; "
                f"add at least {budget_seconds - total:.1f} s of this class's audio to {folder} "
                "or lower augment.fraction"
            )
        picked = [i for i in free if taken[i]]
        used.update(picked)
        for i in picked:
            inherited = [c] + ([x for x in labels[i] if x != c] if inherit_other_labels else [])
            whole = clip_seconds is None or seconds[i] < clip_seconds
            starts = [0.0] if whole else excerpt_offsets(seconds[i], clip_seconds, taken[i], rng)
            for start in starts:
                rows.append({
                    "track_id": Path(pool["path"].iloc[i]).stem,
                    "path": pool["path"].iloc[i],
                    "offset_s": round(start, 3),
                    "source_seconds": float(length(i)),
                    "drawn_class": c,
                    "labels": LABEL_SEP.join(x for x in classes if x in inherited),
                })  # fmt: skip
    out = pd.DataFrame(rows, columns=SOURCE_COLUMNS[1:])
    order = {c: k for k, c in enumerate(classes)}
    out = out.sort_values("drawn_class", key=lambda s: s.map(order), kind="stable")
    out.insert(0, "clip_id", [f"{clip_prefix}_{k:05d}" for k in range(len(out))])
    return out[SOURCE_COLUMNS].reset_index(drop=True)


def samples_taken(
    sources: pd.DataFrame, clip_seconds: float | None, root: str | None = None
) -> pd.DataFrame:
    """Per class, what a samples plan took from which file: ``n_files`` and ``taken_from``,
    entries ``file: n x seconds`` (``(whole)`` when the file was shorter than an excerpt) joined by
    ``; ``, files relative to ``root`` where given. ``sources.tsv`` has each excerpt's offset."""
    rows = []
    for c, part in sources.groupby("drawn_class", sort=False):
        entries = []
        for path, files in part.groupby("path", sort=False):
            name = os.path.relpath(path, root) if root else Path(path).name
            size = float(files["source_seconds"].iloc[0])
            whole = clip_seconds is None or size < clip_seconds - 1e-6
            entries.append(f"{name}: {len(files)} x {size:g} s" + (" (whole)" if whole else ""))
        rows.append({"class": c, "n_files": part["path"].nunique(),
                     "taken_from": "; ".join(entries)})  # fmt: skip
    return pd.DataFrame(rows, columns=["class", "n_files", "taken_from"])


class SamplesGenerator:
    """Clips made elsewhere: generation writes the chosen excerpts (resampled) into place."""

    name = "samples"
    trainable = False

    def fit(self, job: FitJob) -> None:
        raise ConfigError("a kind: samples generator has nothing to train")

    def generate(self, job: GenerateJob) -> pd.DataFrame:
        cfg, sources, out_dir = job.cfg, job.sources, job.out_dir
        sr = int(with_defaults("samples", cfg)["sample_rate"])
        rows = []
        for source in sources.to_dict(orient="records"):
            y = read_audio(source["path"], sr, offset_s=float(source["offset_s"]),
                           max_seconds=float(source["source_seconds"]))  # fmt: skip
            wav = Path(out_dir) / "wav" / f"{source['clip_id']}.wav"
            write_audio(wav, y, sr)
            rows.append(generated_row(source, wav, len(y) / sr, self.name))
        return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- command


def check_clip(path: Path, sr: int, seconds: float, tolerance_s: float) -> float:
    """Raise :class:`GeneratorError` unless ``path`` is a usable clip; return its duration."""
    if not path.is_file():
        raise GeneratorError(f"missing output {path}")
    try:
        y, got_sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise GeneratorError(f"unreadable output {path}: {exc}") from None
    if got_sr != sr:
        raise GeneratorError(f"{path} has sample rate {got_sr} Hz; expected {sr} Hz")
    duration = len(y) / sr
    if abs(duration - seconds) > tolerance_s:
        raise GeneratorError(
            f"{path} lasts {duration:.3f} s; expected {seconds} s (± {tolerance_s} s)"
        )
    if not np.isfinite(y).all():
        raise GeneratorError(f"{path} contains NaN or infinite samples")
    if float(np.sqrt(np.mean(y**2))) < SILENCE_RMS:
        raise GeneratorError(f"{path} is silent (RMS < {SILENCE_RMS})")
    return duration


class CommandGenerator:
    """An outside program, run per batch of primes (see the module docstring)."""

    name = "command"
    trainable = False

    def fit(self, job: FitJob) -> None:
        raise ConfigError("a kind: command generator is trained outside augeval")

    def generate(self, job: GenerateJob) -> pd.DataFrame:
        cfg, sources, out_dir = job.cfg, job.sources, job.out_dir
        if "command" not in cfg:
            raise ConfigError("a kind: command generator needs command: (a shell template)")
        c = with_defaults("command", cfg)
        sr = int(c["sample_rate"])
        seconds = float(c["clip_seconds"])
        prime = c["clip_seconds"] if job.source_seconds is None else job.source_seconds
        prime_seconds = float(prime)  # the policy's excerpt
        tolerance = float(c["length_tolerance_s"])
        bs = int(c["batch_size"])
        out_dir = Path(out_dir)
        records = sources.to_dict(orient="records")
        # the prime length is part of what a finished batch was made with
        digest = _digest(cfg | {"source_seconds": prime}, sources)
        rows: list[dict] = []
        for k in range(0, len(records), bs):
            batch, b = records[k : k + bs], k // bs
            work = out_dir / "work" / f"batch-{b:05d}"
            done = out_dir / "batches" / f"batch-{b:05d}.done"
            if done.is_file():
                saved = json.loads(done.read_text())
                if saved["digest"] == digest and all(Path(r["path"]).is_file()
                                                     for r in saved["rows"]):  # fmt: skip
                    rows += saved["rows"]
                    continue
            prime_list = self._write_primes(batch, work, sr)
            fields = {
                "prime_list": shlex.quote(str(prime_list)),
                "out_dir": shlex.quote(str(work / "out")),
                "seconds": f"{seconds:g}",
                "prime_seconds": f"{prime_seconds:g}",
                "sample_rate": str(sr),
                "batch": str(b),
                "n": str(len(batch)),
            }
            try:
                command = cfg["command"].format(**fields)
            except (KeyError, IndexError) as exc:
                raise ConfigError(
                    f"command template {cfg['command']!r}: unknown field {exc}; "
                    f"allowed: {', '.join('{' + f + '}' for f in fields)}"
                ) from None
            (work / "out").mkdir(parents=True, exist_ok=True)
            log.info("batch %d: %s", b, command)
            proc = subprocess.run(command, shell=True, capture_output=True, text=True)
            for stream in (proc.stdout, proc.stderr):
                for line in stream.splitlines():
                    log.info("[command] %s", line)
            if proc.returncode != 0:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
                raise GeneratorError(
                    f"generator command failed (exit {proc.returncode}) on batch {b}: "
                    f"{command}\n" + "\n".join(tail)
                )
            batch_rows = []
            for source in batch:
                got = work / "out" / f"{source['clip_id']}.wav"
                try:
                    duration = check_clip(got, sr, seconds, tolerance)
                except GeneratorError as exc:
                    raise GeneratorError(f"generator command, batch {b}: {exc}") from None
                final = out_dir / "wav" / got.name
                final.parent.mkdir(parents=True, exist_ok=True)
                batch_rows.append(generated_row(source, final, duration, self.name))
            for source in batch:  # all checked: move into place
                os.replace(work / "out" / f"{source['clip_id']}.wav",
                           out_dir / "wav" / f"{source['clip_id']}.wav")  # fmt: skip
            with atomic_path(done) as tmp:
                tmp.write_text(json.dumps({"digest": digest, "rows": batch_rows}))
            rows += batch_rows
            shutil.rmtree(work)  # the primes are no longer needed once the batch is done
            log.info("batch %d: %d clips checked", b, len(batch))
        return pd.DataFrame(rows)

    @staticmethod
    def _write_primes(batch: list[dict], work: Path, sr: int) -> Path:
        lines = ["clip_id\tprime_path\tout_path\tlabels"]
        for source in batch:
            y = read_audio(source["path"], sr, offset_s=float(source["offset_s"]),
                           max_seconds=float(source["source_seconds"]))  # fmt: skip
            prime = work / "primes" / f"{source['clip_id']}.wav"
            write_audio(prime, y, sr)
            out = work / "out" / f"{source['clip_id']}.wav"
            lines.append(f"{source['clip_id']}\t{prime.resolve()}\t{out.resolve()}\t"
                         f"{source['labels']}")  # fmt: skip
        path = work / "primes.tsv"
        with atomic_path(path) as tmp:
            tmp.write_text("\n".join(lines) + "\n")
        return path


def _digest(cfg: dict, sources: pd.DataFrame) -> str:
    return json_digest({"cfg": cfg, "sources": sources.to_csv(index=False)})
