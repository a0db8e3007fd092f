"""Paper-scale rehearsal: the paper config's real DAG on tiny stand-in audio (issue 19, item 3).

The paper config (``config/mtg_jamendo.yaml``) reads the shipped MTG-Jamendo split-0 metadata
(18,486 tracks, 56 tags). This bench writes a short MP3 for every track of that metadata in the
real layout (``NN/ID.mp3``) under a scratch folder, then runs the paper config's own DAG there
with a small overlay (``data.audio_root`` -> the scratch audio; ``data.check_duration: false``, as
the stand-in files are shorter than the metadata's DURATION, which check_audio would reject as
truncated; SampleRNN's ``steps`` -> ``--samplernn-steps`` when SampleRNN is trained) far enough
to show sharding, grouping and resume at paper job counts:

1. ``audio``: one MP3 per track. ``--templates`` distinct tones are encoded once (libsndfile's
   MP3 encoder) and their bytes copied to every path, so a file costs a copy, not an encode.
2. ``dryrun``: ``snakemake -n`` job counts per rule, and ``--profile profiles/slurm -n``'s
   SLURM submission count (one ``sbatch`` per job group or ungrouped job).
3. ``manifests``: ``check_audio`` (3 jobs, every track decoded) and ``make_manifest`` (6 jobs).
4. ``mel``: the mel-cache shards (``mel_shard``; all of them, or ``--mel-shards N`` per split).
5. ``plan``: ``plan_augmentation`` for every generator and label set.
6. ``ddsp``: ONE ``ddsp_feature_shard`` job (the mood validation part: one shard), SIGKILLed
   once ``--kill-after`` excerpt chunks exist, then rerun: the rerun's log says how many
   excerpts it found done and skipped.
7. ``samplernn``: first rewrites at full metadata length (8 kHz FLAC under the ``.mp3`` name; the
   readers resample to 16 kHz) exactly the tracks the step reads: the validation excerpts and the
   training batches of ``--samplernn-steps`` steps (the batch the loader decodes ahead included;
   :func:`samplernn_train_reads`) and the primes of shard 0's first ``--prime-batches`` batches
   (:func:`shard_prime_paths`). Then ``train_generator`` for SampleRNN/mood (paper-size model,
   ``--samplernn-steps`` steps via the overlay, the paper's 100,000 are days; on the CPU) and ONE
   ``generate_shard_gpu`` shard on the CPU, SIGKILLed after ``--gen-seconds`` (then
   ``--unlock``). Its sampling speed is printed: wall and CPU ms per sample step between the first
   and last progress lines of the shard's log (CPU: the job's process group, from /proc), and the
   shard's CPU-hours at that speed. Measured 2026-12-03 (2 shared cores at load ~3, ``--cores 1``,
   ``--samplernn-steps 2 --gen-seconds 240``): 283 tracks rewritten in 64 s; training 254 s wall,
   206 s CPU (52.0 M parameters, batch 128, 4.5 GiB peak RSS; 120 s wall per step with the
   2-excerpt validation); sampling 6.4 ms wall, 5.8 ms CPU per sample step of 32 rows. A batch is
   96,000 sample steps (6 s continued after the 4 s prime), ~9 CPU-min, so resuming past a
   finished batch is not shown here (``tests/test_gen_shards.py`` shows it at small size); shard 0
   (1408 clips in 44 batches) would take 6.8 CPU-h. The cost forecast gave that job 0.98 h on a
   GPU and 25.8 h on a CPU, counting 160,000 sample steps per batch (clip_seconds x rate, prime
   included); it now counts the 96,000 sampled ones (0.59 h GPU, 15.5 h CPU), and its CPU unit
   cost (13.2 ms, over 128 steps) is 2.3x the 5.8 ms measured here.

Each step's wall time is measured and a table printed at the end (also written to
``<scratch>/rehearsal.tsv``). The stand-in audio is 2.5 s per track, so the DAG, the job counts
and the per-job overheads are the paper's, but the per-track audio work is not: the metadata
durations (which drive planning, excerpt offsets and budgets) are the real ones. A read at an
offset past the end of a short file fails (AudioError), so the ``ddsp`` and ``samplernn`` steps
first rewrite the tracks they read at their metadata length.

Usage (from the repository root; about 20-30 min on 2 cores for all steps)::

    PYTHONPATH=$PWD/src nice python bench/rehearsal.py [--scratch /tmp/rehearsal]
        [--steps audio,dryrun,manifests,mel,plan,ddsp,samplernn] [--mel-shards N] [--cores 2]
        [--samplernn-steps 2] [--gen-seconds 240] [--prime-batches 1]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG = "config/mtg_jamendo.yaml"
OVERLAY = "config/rehearsal.yaml"
STEPS = ["audio", "dryrun", "manifests", "mel", "plan", "ddsp", "samplernn"]
SPLITS = ("train", "validation", "test")


def template_index(track_path: str, n_templates: int) -> int:
    """Which of ``n_templates`` stand-in tones a track gets: a stable hash of its path."""
    digest = hashlib.sha256(track_path.encode()).digest()
    return int.from_bytes(digest[:8], "big") % n_templates


def template_audio(index: int, seconds: float, sample_rate: int) -> np.ndarray:
    """Stand-in music ``index``: a mono two-note figure, distinct pitches per template."""
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    f0 = 110.0 * 2 ** (index / 12)
    freq = np.where((t * 2).astype(int) % 2 == 0, f0, f0 * 1.5)
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate
    return (0.3 * np.sin(phase) + 0.1 * np.sin(2 * phase)).astype(np.float32)


def parse_job_stats(text: str) -> dict[str, int]:
    """``{rule: count}`` from the first ``Job stats:`` table of Snakemake's output (with total)."""
    lines = text.splitlines()
    if "Job stats:" not in lines:
        return {}
    counts = {}
    for line in lines[lines.index("Job stats:") + 3 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    return counts


def count_submissions(text: str) -> tuple[int, int, int]:
    """(group jobs, ungrouped rule jobs, rule jobs inside groups) of a ``-n`` run's listing.

    Under the SLURM executor each group job and each ungrouped job is one ``sbatch``; a group's
    member jobs are listed indented below its ``Group job NAME`` line.
    """
    groups = ungrouped = grouped = 0
    for line in text.splitlines():
        if "] Group job " in line:
            groups += 1
        elif re.fullmatch(r"(local)?rule \w+:", line):
            ungrouped += 1
        elif re.fullmatch(r"\s+(local)?rule \w+:", line):
            grouped += 1
    return groups, ungrouped, grouped


def track_paths(metadata_dir: Path, split: str) -> list[str]:
    """Every track's relative audio path (``NN/ID.mp3``) in the split-0 metadata."""
    from augeval.data.mtg import read_metadata

    paths = []
    for name in SPLITS:
        tsv = metadata_dir / "splits" / split / f"autotagging_moodtheme-{name}.tsv"
        paths += [t.path for t in read_metadata(tsv)]
    return paths


def write_audio(root: Path, paths: list[str], seconds: float, sample_rate: int, n: int) -> dict:
    import soundfile as sf

    t0 = time.perf_counter()
    blobs = []
    tmp = root / ".templates"
    tmp.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        p = tmp / f"{i}.mp3"
        sf.write(
            p, template_audio(i, seconds, sample_rate), sample_rate, "MPEG_LAYER_III", None, "MP3"
        )
        blobs.append(p.read_bytes())
    t_enc = time.perf_counter() - t0
    t1 = time.perf_counter()
    for rel in paths:
        out = root / rel
        out.parent.mkdir(exist_ok=True)
        out.write_bytes(blobs[template_index(rel, n)])
    t_copy = time.perf_counter() - t1
    size = sum(len(blobs[template_index(rel, n)]) for rel in paths)
    return {"files": len(paths), "encode_s": t_enc, "copy_s": t_copy, "bytes": size}


class Runner:
    def __init__(self, work: Path, cores: int):
        self.work, self.cores = work, cores
        self.times: list[tuple[str, str, float, str]] = []
        self.env = dict(os.environ)
        src = str(REPO / "src")
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))

    def cmd(self, *args: str) -> list[str]:
        return [
            sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
            "--configfile", CONFIG, OVERLAY, "--cores", str(self.cores), *args,
        ]  # fmt: skip

    def run(self, step: str, what: str, *args: str, check: bool = True) -> str:
        t0 = time.perf_counter()
        proc = subprocess.run(
            self.cmd(*args), cwd=self.work, env=self.env, capture_output=True, text=True
        )
        wall = time.perf_counter() - t0
        out = proc.stdout + proc.stderr
        (self.work / "logs").mkdir(exist_ok=True)
        (self.work / "logs" / f"rehearsal_{step}.txt").write_text(out)
        if check and proc.returncode != 0:
            raise SystemExit(f"{step}: snakemake failed (rc {proc.returncode}):\n{out[-4000:]}")
        self.record(step, what, wall, f"rc {proc.returncode}")
        return out

    def record(self, step: str, what: str, wall: float, note: str = "") -> None:
        self.times.append((step, what, wall, note))
        print(f"[{step}] {what}: {wall:.1f} s {note}", flush=True)

    def start(self, *args: str, log: Path) -> subprocess.Popen:
        fh = open(log, "w")  # noqa: SIM115  (closed by the caller via proc.wait)
        return subprocess.Popen(
            self.cmd(*args), cwd=self.work, env=self.env, stdout=fh, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def prepare_work(scratch: Path, steps: int | None, ddsp_clips: int) -> Path:
    work = scratch / "work"
    work.mkdir(parents=True, exist_ok=True)
    for part in ("config", "resources"):
        if not (work / part).exists():
            shutil.copytree(REPO / part, work / part)
    # check_duration off: the stand-in files are 2.5 s, the metadata's DURATION minutes
    overlay = {"data": {"audio_root": str(scratch / "audio"), "check_duration": False}}
    # DDSP validation features for ddsp_clips excerpts instead of 256 (CREPE's full model on
    # two shared cores: seconds per excerpt); still one validation shard job
    overlay["generators"] = {"ddsp": {"max_val_clips": ddsp_clips}}
    if steps is not None:
        # SampleRNN trained for a few steps with 2 validation excerpts (the paper's 100,000 steps
        # are days on a GPU), on the CPU (this machine has no GPU)
        overlay["generators"]["samplernn"] = {
            "steps": steps, "val_every": steps, "val_chunks": 2, "device": "cpu",
        }  # fmt: skip
    (work / OVERLAY).write_text(yaml.safe_dump(overlay, sort_keys=False))
    return work


def write_full_length(tracks: list[tuple[str, float]], sample_rate: int = 8000) -> float:
    """Rewrite each ``(path, duration_s)`` as a stand-in tone of its metadata duration + 1 s (FLAC
    data under the ``.mp3`` name: libsndfile reads by content, and the readers resample), so
    excerpts taken at the metadata's offsets exist. Returns the seconds it took."""
    import soundfile as sf

    t0 = time.perf_counter()
    for i, (path, duration_s) in enumerate(tracks):
        y = template_audio(i % 24, float(duration_s) + 1.0, sample_rate)
        tmp = Path(str(path) + ".tmp")
        sf.write(tmp, y, sample_rate, format="FLAC")
        os.replace(tmp, path)
    return time.perf_counter() - t0


def full_length_audio(manifest: Path, n_tracks: int, sample_rate: int = 8000) -> float:
    """:func:`write_full_length` for the first ``n_tracks`` tracks of ``manifest``."""
    import pandas as pd

    rows = pd.read_csv(manifest, sep="\t").head(n_tracks)
    return write_full_length(list(zip(rows["path"], rows["duration_s"], strict=True)), sample_rate)


def samplernn_train_reads(train, validation, cfg: dict, seed: int) -> list[tuple[str, float]]:
    """The tracks ``(path, duration_s)`` that SampleRNN's ``fit`` decodes in ``cfg['steps']``
    steps, without repeats: its ``val_chunks`` validation excerpts, then every training batch
    its loader cuts (batch ``k`` of the plan seeded ``(seed, 0, k)``; a batch is
    ``segments_per_chunk`` steps, and the loader decodes the next batch ahead, so one more)."""
    from augeval.generators.samplernn import chunk_plan, resolve_config, segments_per_chunk

    c = resolve_config(cfg)
    validation, train = validation.reset_index(drop=True), train.reset_index(drop=True)
    n = int(np.prod(c["frame_sizes"])) + segments_per_chunk(c) * c["seq_len"]
    val_rows = (np.arange(c["val_chunks"]) * len(validation)) // max(c["val_chunks"], 1)
    picked = [(str(validation["path"][r]), float(validation["duration_s"][r])) for r in val_rows]
    for k in range(-(-c["steps"] // segments_per_chunk(c)) + 1):
        rng = np.random.default_rng([seed, 0, k])
        rows, _ = chunk_plan(train, c["batch_size"], n / c["sample_rate"], rng)
        picked += [(str(train["path"][r]), float(train["duration_s"][r])) for r in rows]
    return list(dict.fromkeys(picked))


def shard_prime_paths(sources, batch_size: int, n_shards: int, shard: int, batches: int):
    """The source paths whose primes the first ``batches`` batches of generation shard ``shard``
    read (the shard's rows cut as :func:`augeval.generators.gen_shards.shard_rows` cuts them)."""
    from augeval.generators.gen_shards import shard_rows

    rows = shard_rows(len(sources), batch_size, n_shards, shard)
    end = min(rows.stop, rows.start + batches * max(1, int(batch_size)))
    return list(dict.fromkeys(map(str, sources["path"].iloc[rows.start : end])))


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the live processes of process group ``pgid`` (Linux)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def ddsp_kill_resume(r: Runner, target: str, work_dir: Path, kill_after: int, log: Path) -> dict:
    """Start the shard, SIGKILL it once ``kill_after`` chunks exist, rerun it; times both."""
    t0 = time.perf_counter()
    proc = r.start(target, "--rerun-incomplete", log=log.with_suffix(".killed.txt"))
    n = 0
    while proc.poll() is None:
        n = len(list(work_dir.glob("*.npz"))) if work_dir.exists() else 0
        if n >= kill_after:
            kill_group(proc)
            break
        time.sleep(0.5)
    r.record(
        "ddsp", f"ddsp_feature_shard until SIGKILL ({n} chunks done)", time.perf_counter() - t0
    )
    out = r.run("ddsp", "ddsp_feature_shard rerun (resumes)", target, "--rerun-incomplete")
    return {"chunks_at_kill": n, "out": out}


SAMPLERNN_SOURCES = "results/augment/samplernn/mood/main/sources.tsv"
SAMPLERNN_SHARD = "results/generated/samplernn/mood/main/shards/shard-0.tsv"
PROGRESS = re.compile(r"^(\S+ \S+) INFO .*: sampled (\d+)/(\d+) ")


def progress_lines(log: Path) -> list[tuple[float, int, int]]:
    """``(epoch seconds, samples done, samples per row)`` of each sampling progress line."""
    from datetime import datetime

    out = []
    for line in log.read_text().splitlines() if log.exists() else []:
        if m := PROGRESS.match(line):
            t = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            out.append((t, int(m[2]), int(m[3])))
    return out


def benchmark_note(path: Path) -> str:
    """CPU seconds and peak RSS of a finished job from its Snakemake benchmark file."""
    import pandas as pd

    if not path.exists():
        return "no benchmark (job did not run)"
    row = pd.read_csv(path, sep="\t").iloc[-1]
    return f"cpu {row['cpu_time']:.0f} s, max RSS {row['max_rss'] / 1024:.1f} GiB"


def samplernn_step(r: Runner, cfg: dict, work: Path, gen_seconds: float, prime_batches: int):
    """Rewrite at full length the tracks SampleRNN/mood's training and the first
    ``prime_batches`` batches of generation shard 0 read, train, run the shard for
    ``gen_seconds`` and time its sampling (wall and CPU seconds per sample step)."""
    import pandas as pd

    from augeval.generators import generator_config
    from augeval.generators.gen_shards import shard_rows
    from augeval.seeding import derive_seed

    manifests = [f"results/data/mood/{s}.tsv" for s in ("train", "validation")]
    r.run("samplernn", "manifests + plan (up to date?)", *manifests, SAMPLERNN_SOURCES)
    overlay = yaml.safe_load((work / OVERLAY).read_text())["generators"]["samplernn"]
    section = {**cfg["generators"]["samplernn"], **overlay}
    train, validation = (pd.read_csv(work / m, sep="\t") for m in manifests)
    seed = derive_seed(cfg["seed"], "fit", "samplernn", "mood")
    reads = samplernn_train_reads(train, validation, generator_config(section), seed)
    sources = pd.read_csv(work / SAMPLERNN_SOURCES, sep="\t", dtype={"clip_id": str})
    batch, n_shards = int(section["gen_batch_size"]), int(section["gen_shards"])
    primes = shard_prime_paths(sources, batch, n_shards, 0, prime_batches)
    durations = dict(zip(train["path"].astype(str), train["duration_s"], strict=True))
    if missing := [p for p in primes if p not in durations]:
        raise SystemExit(f"samplernn: sources not in the train manifest: {missing[:3]}")
    tracks = dict(reads)
    tracks.update((p, float(durations[p])) for p in primes)
    wall = write_full_length(list(tracks.items()))
    r.record("samplernn", f"{len(tracks)} tracks rewritten full length (FLAC 8 kHz)", wall,
             f"{len(reads)} read by training, {len(primes)} primes of shard 0's first"
             f" {prime_batches} batch(es)")  # fmt: skip

    ckpt = "results/generators/samplernn/mood/checkpoint.pt"
    r.run("samplernn", f"train_generator samplernn/mood ({section['steps']} steps)", ckpt)
    r.times[-1] = (
        *r.times[-1][:3],
        benchmark_note(work / "benchmarks/generators/train/samplernn_mood.tsv"),
    )
    train_log = work / "logs/generators/train/samplernn_mood.log"
    print(
        *[ln for ln in train_log.read_text().splitlines() if "step " in ln or "parameters" in ln],
        sep="\n  ",
    )

    log = work / "logs/generators/generate_shard/samplernn_mood_main_0.log"
    t0 = time.perf_counter()
    proc = r.start(
        SAMPLERNN_SHARD, "--rerun-incomplete", log=work / "logs" / "rehearsal_samplernn_shard.txt"
    )
    cpu = []  # (epoch seconds, CPU seconds of the job's process group)
    while proc.poll() is None and time.perf_counter() - t0 < gen_seconds:
        cpu.append((time.time(), group_cpu_seconds(proc.pid)))
        time.sleep(1.0)
    finished = proc.poll() is not None
    cpu_total = cpu[-1][1] if cpu else 0.0
    if not finished:
        kill_group(proc)
        r.run("samplernn", "snakemake --unlock (after the SIGKILL)", "--unlock")
    note = f"rc {proc.returncode}" if finished else f"cut after {gen_seconds:.0f} s"
    r.record("samplernn", "generate_shard_gpu shard 0 (cpu)", time.perf_counter() - t0,
             f"{note}, group cpu {cpu_total:.0f} s")  # fmt: skip
    lines = progress_lines(log)
    if len(lines) >= 2 and cpu:
        (ta, da, per_row), (tb, db, _) = lines[0], lines[-1]
        ts, cs = np.array(cpu).T
        cpu_rate = (np.interp(tb, ts, cs) - np.interp(ta, ts, cs)) / (db - da)
        wall_rate = (tb - ta) / (db - da)
        rows = len(shard_rows(len(sources), batch, n_shards, 0))
        steps = math.ceil(rows / batch) * per_row
        r.record("samplernn", f"sampling, {db - da} sample steps x {batch} rows", tb - ta,
                 f"{1e3 * wall_rate:.1f} ms wall, {1e3 * cpu_rate:.1f} ms CPU per sample step;"
                 f" shard 0 = {rows} clips, {steps} sample steps:"
                 f" {steps * cpu_rate / 3600:.1f} CPU-h")  # fmt: skip
    else:
        print("samplernn: fewer than 2 progress lines in", log, "- raise --gen-seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/rehearsal"))
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma list of {STEPS}")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=2.5, help="stand-in audio per track")
    parser.add_argument("--sample-rate", type=int, default=44100)
    parser.add_argument("--templates", type=int, default=32)
    parser.add_argument("--mel-shards", type=int, default=None, help="shards per split (all)")
    parser.add_argument("--kill-after", type=int, default=8, help="ddsp chunks before SIGKILL")
    parser.add_argument("--ddsp-clips", type=int, default=24, help="ddsp max_val_clips overlay")
    parser.add_argument("--samplernn-steps", type=int, default=2)
    parser.add_argument("--gen-seconds", type=float, default=240.0)
    parser.add_argument(
        "--prime-batches", type=int, default=1, help="shard-0 batches whose primes are rewritten"
    )
    args = parser.parse_args()
    steps = args.steps.split(",")
    if unknown := set(steps) - set(STEPS):
        parser.error(f"--steps: unknown {sorted(unknown)}; choose from {STEPS}")
    cfg = yaml.safe_load((REPO / CONFIG).read_text())
    scratch = args.scratch.resolve()
    work = prepare_work(
        scratch, args.samplernn_steps if "samplernn" in steps else None, args.ddsp_clips
    )
    r = Runner(work, args.cores)
    labelsets, n_shards = cfg["labelsets"], cfg["features"]["shards"]
    counts: dict[str, int] = {}

    if "audio" in steps:
        paths = track_paths(REPO / cfg["data"]["metadata_dir"], cfg["data"]["split"])
        a = write_audio(scratch / "audio", paths, args.seconds, args.sample_rate, args.templates)
        note = (
            f"encode {a['encode_s']:.2f} s, copy {1e3 * a['copy_s'] / a['files']:.3f} ms/file,"
            f" {a['bytes'] / 2**20:.0f} MiB"
        )
        what = f"{a['files']} MP3 ({args.templates} encodes)"
        r.record("audio", what, a["encode_s"] + a["copy_s"], note)
    if "dryrun" in steps:
        counts = parse_job_stats(r.run("dryrun", "snakemake -n", "-n"))
        out = r.run("dryrun", "snakemake --profile profiles/slurm -n",
                    "--profile", str(REPO / "profiles/slurm"), "-n")  # fmt: skip
        groups, alone, inside = count_submissions(out)
        (work / "logs" / "dryrun_counts.yaml").write_text(yaml.safe_dump(counts))
        r.record("dryrun", "SLURM submissions", 0.0,
                 f"{groups + alone} sbatch = {groups} group jobs (of {inside} rule jobs)"
                 f" + {alone} ungrouped jobs")  # fmt: skip
    manifests = [f"results/data/{ls}/{s}.tsv" for ls in labelsets for s in SPLITS]
    if "manifests" in steps:
        r.run("manifests", "check_audio x3 + make_manifest x6", *manifests)
    if "mel" in steps:
        k = n_shards if args.mel_shards is None else min(args.mel_shards, n_shards)
        targets = [f"results/features/real/{s}/shard-{i}.tsv" for s in SPLITS for i in range(k)]
        r.run("mel", f"mel_shard x{len(targets)}", *targets)
    gens = list(cfg["generators"])
    if "plan" in steps:
        targets = [f"results/augment/{g}/{ls}/main/sources.tsv" for g in gens for ls in labelsets]
        r.run("plan", f"plan_augmentation x{len(targets)}", *targets)
    if "ddsp" in steps:
        target = "results/generators/ddsp/mood/features/validation/shard-0.npz"
        wall = full_length_audio(work / "results/data/mood/validation.tsv", args.ddsp_clips)
        r.record("ddsp", f"{args.ddsp_clips} validation tracks rewritten full length (FLAC)", wall)
        chunks = work / Path(target).with_suffix(".work")
        ddsp_kill_resume(r, target, chunks, args.kill_after, work / "logs" / "rehearsal_ddsp")
        log = work / "logs/generators/ddsp_feature_shard/ddsp_mood_validation_0.log"
        done = (
            [ln for ln in log.read_text().splitlines() if "done before" in ln]
            if log.exists()
            else []
        )
        print("ddsp rerun log:", *done[-1:], sep="\n  ")
    if "samplernn" in steps:
        samplernn_step(r, cfg, work, args.gen_seconds, args.prime_batches)

    print("\nstep       | what | wall s | note")
    rows = ["step\twhat\twall_s\tnote"]
    for step, what, wall, note in r.times:
        print(f"{step:10s} | {what} | {wall:.1f} | {note}")
        rows.append(f"{step}\t{what}\t{wall:.2f}\t{note}")
    if counts:
        print("\njobs per rule (snakemake -n):")
        for rule, n in counts.items():
            print(f"  {rule:24s} {n}")
    (scratch / "rehearsal.tsv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
