"""Cost forecast: how long each rule's jobs will take, before anything is submitted.

Inputs, all known before any audio exists:

* the filled workflow config (sizes of models, epochs, steps, hops, batch sizes);
* the workflow's plan (:func:`forecast` argument ``plan``; ``common.smk``'s
  ``get_forecast_plan()`` builds it from the same lists the rules are expanded over: label sets,
  trials, mel shards, generators by kind, runs of the sweep/CAS/distance views, and each rule's
  declared ``runtime``/``gpu`` resources);
* the split metadata (track durations and tags), turned into label-set manifests and
  augmentation budgets by the same functions the workflow uses (:func:`augeval.data.manifest
  .build_manifest`, :func:`augeval.policy.budget_table`);
* measured per-unit costs (:class:`Costs`, read from ``resources/costs.yaml``): seconds per
  audio-second, per excerpt, per training example, per sample step, ... each with the machine it
  was measured on and the ``bench/`` command that re-measures it. GPU figures not measured on a
  GPU are marked ``estimated``.

Each rule's jobs are enumerated by one function (``_jobs_<rule>``) that mirrors how the rule is
expanded, so a change in sharding changes only that function (DDSP features:
:func:`ddsp_feature_jobs`, parameterised by the number of excerpts per job).
``tests/test_forecast.py`` checks the job counts against ``snakemake -n``.

Output (:data:`COLUMNS`): one row per rule: its jobs, device (``gpu`` when the rule's ``gpu``
resource is > 0), the forecast of its longest job and of all its jobs in hours, its ``runtime``
limit in hours, ``fits`` (longest job ≤ limit) and ``estimated`` (some unit cost used is an
estimate). :func:`by_generator` sums CPU- and GPU-hours per generator (every job that exists
because of the generator: its plan, features, training, clips, mel cache, and the classifiers of
its variant); ``real`` is the rest (data, baseline, tables).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from augeval import config_schema
from augeval.data.labels import make_labelset
from augeval.data.manifest import build_manifest
from augeval.data.mtg import read_metadata
from augeval.errors import ConfigError
from augeval.generators import with_defaults
from augeval.generators.ddsp_shards import part_shard_sizes
from augeval.generators.gen_shards import shard_batches
from augeval.generators.samplernn_clip import lookback_samples, sampled_samples
from augeval.policy import budget_table

COLUMNS = (
    "rule",
    "jobs",
    "device",
    "forecast_hours_per_job",
    "forecast_hours_total",
    "runtime_limit_hours",
    "fits",
    "estimated",
)
GENERATOR_COLUMNS = ("generator", "jobs", "cpu_hours", "gpu_hours", "estimated")
SPLITS = ("train", "validation", "test")
# A job's start-up by what its script imports (resources/costs.yaml; job_overhead_s, torch's,
# where a file has no figure of the job's kind): pandas/numpy only, or matplotlib/scikit-learn.
LIGHT_RULES = (
    "check_audio", "list_rejected", "make_manifest", "plan_augmentation",
    "make_train_manifest", "controls_check",
)  # fmt: skip
TABLE_RULES = (
    "compute_metrics", "plot_confusion", "make_table3", "make_table1", "plot_class_durations",
    "frechet_distances", "make_which_generator", "plot_distance_gain", "make_cas_table",
    "summarize_ratio_sweep", "plot_ratio_sweep", "score_clips",
)  # fmt: skip
STARTUP_UNITS = {r: "job_overhead_light_s" for r in LIGHT_RULES} | {
    r: "job_overhead_table_s" for r in TABLE_RULES
}
UNIT_KEYS = ("name", "device", "value", "unit", "measured_on", "date", "remeasure", "estimated")
# Rules whose resources come from the generator's registry entry and config (generators.smk).
GENERATOR_RULES = (
    "train_generator",
    "generate_clips",
    "generate_clips_gpu",
    "generate_shard",
    "generate_shard_gpu",
)
# CPU-seconds per GPU-second, for GPU-only unit costs when a GPU rule is forecast on a CPU.
CPU_PER_GPU = "cpu_seconds_per_gpu_second"
REAL = "real"  # the by-generator row of the jobs no generator causes (data, baseline, tables)


# ---------------------------------------------------------------------------------------------
# Unit costs


@dataclass(frozen=True)
class UnitCost:
    """One measured (or estimated) cost: ``value`` seconds at the ``reference`` parameters.

    At other parameters the cost is ``value × Π (p / reference[p]) ** scaling[p]``.
    """

    name: str
    device: str
    value: float
    unit: str
    measured_on: str
    date: str
    remeasure: str
    estimated: bool
    reference: dict = field(default_factory=dict)
    scaling: dict = field(default_factory=dict)

    def at(self, params: dict) -> float:
        out = float(self.value)
        for key, exponent in self.scaling.items():
            if key not in params:
                raise ConfigError(f"unit cost {self.name}: parameter {key!r} not given")
            out *= (float(params[key]) / float(self.reference[key])) ** float(exponent)
        return out

    def distance(self, params: dict) -> float:
        """How far ``params`` are from the reference (sum of |log ratios|): picks the nearest."""
        return sum(
            abs(math.log(float(params[k]) / float(v)))
            for k, v in self.reference.items()
            if k in params and float(params[k]) > 0 and float(v) > 0
        )


class Costs:
    """The unit costs of ``resources/costs.yaml``: :meth:`get` returns (seconds, estimated)."""

    def __init__(self, units: Iterable[UnitCost], where: str = "costs"):
        self.units = list(units)
        self.where = where

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> Costs:
        data = yaml.safe_load(Path(path).read_text())
        if not isinstance(data, dict) or not isinstance(data.get("units"), list):
            raise ConfigError(f"{path}: expected a mapping with a list under 'units'")
        units = []
        for i, entry in enumerate(data["units"]):
            missing = [k for k in UNIT_KEYS if k not in (entry or {})]
            if missing:
                raise ConfigError(
                    f"{path}: units[{i}] lacks {missing}; every unit needs {UNIT_KEYS}"
                )
            if entry["device"] not in ("cpu", "gpu"):
                raise ConfigError(f"{path}: units[{i}] ({entry['name']}) device must be cpu or gpu")
            scaling, reference = entry.get("scaling", {}), entry.get("reference", {})
            if set(scaling) - set(reference):
                raise ConfigError(
                    f"{path}: units[{i}] ({entry['name']}) scales with {sorted(scaling)} but its "
                    f"reference gives only {sorted(reference)}"
                )
            if entry["device"] == "gpu" and "gpu" not in str(entry["measured_on"]).lower():
                if not entry["estimated"]:
                    raise ConfigError(
                        f"{path}: units[{i}] ({entry['name']}) is a GPU figure measured on "
                        f"{entry['measured_on']!r}; mark it estimated: true"
                    )
            fields = {k: entry[k] for k in UNIT_KEYS}
            units.append(UnitCost(**fields, reference=reference, scaling=scaling))
        return cls(units, str(path))

    def has(self, name: str, device: str) -> bool:
        return any(u.name == name and u.device == device for u in self.units)

    def get(self, name: str, device: str, **params) -> tuple[float, bool]:
        """Seconds of unit ``name`` on ``device`` at ``params`` (the nearest reference is used)."""
        found = [u for u in self.units if u.name == name and u.device == device]
        if not found:
            raise ConfigError(f"{self.where}: no unit cost {name!r} for device {device!r}")
        unit = min(found, key=lambda u: u.distance(params))
        return unit.at(params), bool(unit.estimated)


# ---------------------------------------------------------------------------------------------
# Jobs


@dataclass(frozen=True)
class Job:
    rule: str
    device: str
    seconds: float
    limit_minutes: float | None
    estimated: bool
    generator: str = REAL


class _Cost:
    """Accumulates a job's seconds and whether any estimated unit went into them."""

    def __init__(self, costs: Costs, device: str):
        self.costs, self.device, self.seconds, self.estimated = costs, device, 0.0, False

    def add(self, count: float, name: str, device: str | None = None, **params) -> _Cost:
        device = device or self.device
        if device == "cpu" and not self.costs.has(name, "cpu") and self.costs.has(name, "gpu"):
            # A GPU-only figure run on a CPU (forecast with gpu=False): x the CPU/GPU ratio.
            gpu_value, _ = self.costs.get(name, "gpu", **params)
            ratio, _ = self.costs.get(CPU_PER_GPU, "cpu")
            value, estimated = gpu_value * ratio, True
        else:
            value, estimated = self.costs.get(name, device, **params)
        self.seconds += float(count) * value
        self.estimated |= estimated
        return self


@dataclass
class Workload:
    """What the config and the metadata say about the amount of work (no audio read)."""

    config: dict
    plan: dict
    manifests: dict  # {labelset: {split: DataFrame}}
    tracks: dict  # {split: DataFrame of every track of the split: track_id, duration_s}
    classes: dict  # {labelset: tuple of classes}
    _clips: dict = field(default_factory=dict, repr=False)  # n_clips, computed once each

    def gen_cfg(self, generator: str) -> dict:
        kind = self.plan["kinds"][generator]
        return with_defaults(kind, self.config["generators"][generator] or {})

    def clip_seconds(self, generator: str) -> float:
        cfg = self.gen_cfg(generator)
        if "clip_seconds" in cfg:
            return float(cfg["clip_seconds"])
        if "demo_clips" in cfg:
            return float(cfg["demo_clips"]["seconds"])
        raise ConfigError(f"generators.{generator}: the forecast needs its clip_seconds")

    def visible_seconds(self) -> float:
        f = self.config["features"]
        return self.config["classifier"]["input_frames"] * f["hop_length"] / f["sample_rate"]

    def fraction(self, run: str) -> float:
        return float(self.plan["run_fractions"][run])

    def n_clips(self, generator: str, labelset: str, run: str) -> int:
        """Clips the policy makes for a generator, label set and run (augeval.policy)."""
        key = (generator, labelset, run)
        if key not in self._clips:
            self._clips[key] = self._n_clips(generator, labelset, run)
        return self._clips[key]

    def _n_clips(self, generator: str, labelset: str, run: str) -> int:
        table = budget_table(
            self.manifests[labelset]["train"],
            self.classes[labelset],
            fraction=self.fraction(run),
            clip_seconds=self.clip_seconds(generator),
            duration=self.config["augment"]["duration"],
            visible_seconds=self.visible_seconds(),
        )
        return int(table["n_clips"].sum())

    def runs(self, generator: str, labelset: str) -> list[str]:
        """The runs that plan and generate clips of this generator on this label set."""
        p = self.plan
        sweep = generator in p["sweep_generators"] and labelset in p["sweep_labelsets"]
        return ["main"] + (list(p["sweep_runs"]) if sweep else [])

    def generation_jobs(self) -> list[tuple[str, str, str]]:
        return [
            (g, ls, run)
            for ls in self.plan["labelsets"]
            for g in self.plan["kinds"]
            for run in self.runs(g, ls)
        ]


def load_workload(config: dict, plan: dict, metadata: dict) -> Workload:
    """Label-set manifests of each split from its metadata file (``metadata``: {split: path})."""
    labels = config["labels"]
    tracks, manifests, classes = {}, {}, {}
    read = {s: read_metadata(metadata[s]) for s in SPLITS}
    for split, rows in read.items():
        tracks[split] = pd.DataFrame(
            {"track_id": [t.track_id for t in rows], "duration_s": [t.duration for t in rows]}
        )
    for ls in plan["labelsets"]:
        labelset = make_labelset(
            ls, labels["tags"], labels["emotion_mapping"], labels["multi_quadrant"]
        )
        classes[ls] = labelset.classes
        manifests[ls] = {
            s: build_manifest(read[s], labelset, "audio", where=str(metadata[s])) for s in SPLITS
        }
    return Workload(config, plan, manifests, tracks, classes)


def ddsp_feature_jobs(n_excerpts: int, excerpts_per_job: int | None = None) -> list[int]:
    """Excerpts per job of one DDSP-features part: all in one job (``None``), or shards of at
    most ``excerpts_per_job``."""
    if not excerpts_per_job or n_excerpts <= excerpts_per_job:
        return [n_excerpts]
    n_jobs = math.ceil(n_excerpts / excerpts_per_job)
    base, extra = divmod(n_excerpts, n_jobs)
    return [base + (1 if i < extra else 0) for i in range(n_jobs)]


class _Planner:
    """One method per rule: the rule's jobs with their forecast seconds."""

    def __init__(self, w: Workload, costs: Costs, gpu: bool):
        self.w, self.costs, self.gpu = w, costs, gpu
        self.p, self.c = w.plan, w.config

    # -- helpers ---------------------------------------------------------------------------
    def resources(self, rule: str, generator: str | None = None) -> dict:
        if rule in GENERATOR_RULES:
            return self.p["generator_resources"][generator]
        if rule not in self.p["rules"]:
            raise ConfigError(f"forecast: the plan has no resources of rule {rule!r}")
        return self.p["rules"][rule]

    def device(self, rule: str, generator: str | None = None) -> str:
        return "gpu" if int(self.resources(rule, generator).get("gpu") or 0) > 0 else "cpu"

    def cost(self, rule: str, generator: str | None = None) -> _Cost:
        """A job's cost on the device it runs on (CPU for GPU rules when ``gpu`` is False)."""
        device = self.device(rule, generator) if self.gpu else "cpu"
        startup = STARTUP_UNITS.get(rule, "job_overhead_s")
        if not self.costs.has(startup, "cpu"):
            startup = "job_overhead_s"
        return _Cost(self.costs, device).add(1, startup, "cpu")

    def job(self, rule: str, cost: _Cost, generator: str | None = None, owner: str = REAL) -> Job:
        limit = self.resources(rule, generator).get("runtime")
        return Job(rule, self.device(rule, generator), cost.seconds, limit, cost.estimated, owner)

    def overhead(self, rule: str, owner: str = REAL) -> Job:
        return self.job(rule, self.cost(rule), owner=owner)

    def overheads(self, rule: str, count: int, owner: str = REAL) -> list[Job]:
        """``count`` jobs of a rule that costs only its start-up."""
        return [self.overhead(rule, owner) for _ in range(count)]

    def mel_seconds(self, durations) -> float:
        f = self.c["features"]
        cached = (f["max_frames"] - 1) * f["hop_length"] / f["sample_rate"]
        return float(pd.Series(durations, dtype=float).clip(upper=cached).sum())

    def classifier_params(self) -> dict:
        k = config_schema.fill(self.c["classifier"], "classifier")  # e.g. a test's partial one
        # null: MobileNetV2's own 1280 (x width_mult above 1; augeval.classifier.mobilenet)
        last = k["last_channels"] or 1280 * max(1.0, float(k["width_mult"]))
        return {
            "width_mult": k["width_mult"],
            "input_frames": k["input_frames"],
            "n_mels": self.c["features"]["n_mels"],
            "last_channels": last,
        }

    # -- data ------------------------------------------------------------------------------
    def demo_corpus(self):
        if not self.p["demo"]:
            return []
        audio = sum(self.w.tracks[s]["duration_s"].sum() for s in SPLITS)
        # data.demo may be absent (the demo_corpus rule fills it from the schema the same way)
        rate = config_schema.fill(self.c["data"].get("demo") or {}, "data.demo")["sample_rate"]
        cost = self.cost("demo_corpus").add(audio, "demo_synth_s_per_audio_s", sample_rate=rate)
        return [self.job("demo_corpus", cost)]

    def make_demo_samples(self):
        out = []
        for g in self.p["demo_samples"]:
            clips = self.w.gen_cfg(g)["demo_clips"]
            for ls in self.p["labelsets"]:
                audio = clips["clips_per_class"] * len(self.w.classes[ls]) * clips["seconds"]
                cost = self.cost("make_demo_samples").add(
                    audio, "demo_synth_s_per_audio_s", sample_rate=clips["sample_rate"]
                )
                out.append(self.job("make_demo_samples", cost, owner=g))
        return out

    def check_audio(self):
        read_s = self.p["audio_check_seconds"]
        out = []
        for split in SPLITS:
            audio = self.w.tracks[split]["duration_s"].clip(upper=read_s).sum()
            out.append(
                self.job("check_audio", self.cost("check_audio").add(audio, "decode_s_per_audio_s"))
            )
        return out

    def list_rejected(self):
        return self.overheads("list_rejected", len(self.p["labelsets"]))

    def make_manifest(self):
        return self.overheads("make_manifest", len(self.p["labelsets"]) * len(SPLITS))

    def carve_oracle_holdout(self):
        return self.overheads("carve_oracle_holdout", int(bool(self.p["holdout"])))

    def make_pool_manifest(self):
        return self.overheads(
            "make_pool_manifest", len(self.p["labelsets"]) * bool(self.p["holdout"])
        )

    # -- features --------------------------------------------------------------------------
    def mel_shard(self):
        n = self.p["shards"]
        out = []
        for split in SPLITS:
            audio = self.mel_seconds(self.w.tracks[split]["duration_s"]) / n
            out += [
                self.job("mel_shard", self.cost("mel_shard").add(audio, "mel_s_per_audio_s"))
                for _ in range(n)
            ]
        return out

    def mel_generated(self):
        out = []
        for g, ls, run in self.w.generation_jobs():
            audio = self.w.n_clips(g, ls, run) * min(
                self.w.clip_seconds(g), self.mel_seconds([math.inf])
            )
            out.append(
                self.job(
                    "mel_generated",
                    self.cost("mel_generated").add(audio, "mel_s_per_audio_s"),
                    owner=g,
                )
            )
        return out

    def ddsp_parts(self):
        """(generator, labelset, part, table rows) of every DDSP-features part."""
        out = []
        for g in self.p["featured"]:
            for ls in self.p["labelsets"]:
                parts = {s: len(self.w.manifests[ls][s]) for s in ("train", "validation")}
                parts |= {f"sources-{r}": self.w.n_clips(g, ls, r) for r in self.w.runs(g, ls)}
                out += [(g, ls, part, n) for part, n in parts.items()]
        return out

    def ddsp_feature_shard(self):
        """One job per shard (``augeval.generators.ddsp_shards``, as the workflow shards), its
        excerpts spread over ``feature_threads`` processes (assumed to scale linearly)."""
        out = []
        for g, _, part, n_rows in self.ddsp_parts():
            cfg = self.w.gen_cfg(g)
            params = {k: cfg[k] for k in ("hop", "f0_resolution", "clip_seconds")}
            unit = "ddsp_features_s_per_excerpt"  # pYIN
            if cfg.get("f0_method") == "crepe":  # torchcrepe on the job's CPU
                unit = f"crepe_{cfg['crepe_model']}_features_s_per_excerpt"
                params = {k: cfg[k] for k in ("hop", "clip_seconds")}
            per_process = max(1, int(cfg["feature_threads"]))
            for k in part_shard_sizes(cfg, part, n_rows):
                cost = self.cost("ddsp_feature_shard").add(k / per_process, unit, "cpu", **params)
                out.append(self.job("ddsp_feature_shard", cost, owner=g))
        return out

    def ddsp_features(self):
        """The gather of each part's shards: start-up only."""
        return [self.overhead("ddsp_features", g) for g, _, _, _ in self.ddsp_parts()]

    # -- generators ------------------------------------------------------------------------
    def train_generator(self):
        out = []
        for g in self.p["trainable"]:
            kind, cfg = self.p["kinds"][g], self.w.gen_cfg(g)
            for ls in self.p["labelsets"]:
                cost = self.cost("train_generator", g)
                if kind == "samplernn":
                    params = {k: cfg[k] for k in ("dim", "n_rnn", "batch_size", "seq_len")}
                    cost.add(cfg["steps"], "samplernn_train_s_per_step", **params)
                elif kind == "ddsp":
                    params = {k: cfg[k] for k in ("hop", "hidden", "n_harmonics", "clip_seconds")}
                    n_train = len(self.w.manifests[ls]["train"]) * int(cfg["excerpts_per_track"])
                    n_val = min(len(self.w.manifests[ls]["validation"]), int(cfg["max_val_clips"]))
                    epochs = int(cfg["epochs"])
                    validations = math.ceil(epochs / int(cfg["val_every"]))
                    cost.add(epochs * n_train, "ddsp_train_s_per_example", **params)
                    cost.add(validations * n_val / 3, "ddsp_train_s_per_example", **params)
                else:
                    raise ConfigError(f"forecast: no cost model for training kind {kind!r} ({g})")
                out.append(self.job("train_generator", cost, g, owner=g))
        return out

    def gen_shards(self, generator: str) -> int:
        return int(self.p["gen_shards"][generator])

    def _generate(self, rule: str, generators: list[str], shards: bool = False):
        """One job per run of each of ``generators`` that is not sharded (``shards`` False), or
        (``shards`` True) one per shard of a sharded generator's runs, each a block of whole
        batches as :func:`augeval.generators.gen_shards.shard_batches` cuts them."""
        out = []
        for g, ls, run in self.w.generation_jobs():
            n_shards = self.gen_shards(g)
            if g not in generators or (n_shards > 1) != shards:
                continue
            n = self.w.n_clips(g, ls, run)
            for n_batches in shard_batches(math.ceil(n / _batch_size(self.w.gen_cfg(g))), n_shards):
                cost = self.cost(rule, g)
                self._add_generation(cost, g, n, n_batches)
                out.append(self.job(rule, cost, g, owner=g))
        return out

    def gathers(self):
        """generate_clips of a sharded generator: the gather of its shards, a short CPU job
        with ``gather_resources`` whatever the generator's own resources."""
        limit = self.p["gather_resources"]["runtime"]
        out = []
        for g, _, _ in self.w.generation_jobs():
            if self.gen_shards(g) > 1:
                cost = _Cost(self.costs, "cpu").add(1, "job_overhead_s", "cpu")
                out.append(Job("generate_clips", "cpu", cost.seconds, limit, cost.estimated, g))
        return out

    def _add_generation(self, cost: _Cost, g: str, n: int, n_batches: int) -> None:
        """The cost of making ``n_batches`` batches of a run of ``n`` clips (unbatched kinds:
        all ``n``)."""
        kind, cfg = self.p["kinds"][g], self.w.gen_cfg(g)
        batch = _batch_size(cfg)
        if kind == "samplernn":
            # sequential sample steps per batch: the prime, when inside the clip, is not sampled
            lookback = lookback_samples(cfg["frame_sizes"])
            steps = sampled_samples(cfg, int(cfg["sample_rate"]), lookback)
            params = {"dim": cfg["dim"], "n_rnn": cfg["n_rnn"], "gen_batch_size": min(batch, n)}
            cost.add(n_batches * steps, "samplernn_gen_s_per_sample_step", **params)
        elif kind == "ddsp":
            params = {k: cfg[k] for k in ("hop", "hidden", "n_harmonics", "clip_seconds")}
            cost.add(n / 3, "ddsp_train_s_per_example", **params)
        elif kind == "jukebox":
            generated = float(cfg["clip_seconds"]) - float(cfg["prime_seconds"])
            size = "tiny" if cfg.get("tiny") else cfg["model"]
            params = {"gen_batch_size": min(batch, n), "sample_rate": cfg["sample_rate"]}
            # The tiny test model is timed as a whole; real models level by level, of which
            # levels: top samples only the top prior (level 2) and decodes it.
            if size == "tiny":
                levels = ["levels"]
            else:
                levels = ["level2"] if cfg["levels"] == "top" else ["level2", "level1", "level0"]
            for level in levels:
                name = f"jukebox_{level}_s_per_generated_second[{size}]"
                cost.add(n_batches * generated, name, **params)
        elif kind == "oracle" and not cfg.get("holdout_fraction"):  # fresh demo music
            audio, rate = n * self.w.clip_seconds(g), int(cfg["sample_rate"])
            cost.add(audio, "demo_synth_s_per_audio_s", "cpu", sample_rate=rate)
        else:  # controls and outside clips: read and write each clip
            cost.add(n * self.w.clip_seconds(g), "decode_s_per_audio_s", "cpu")
            cost.estimated |= kind == "command"  # the outside program's own cost is unknown

    def generate_clips(self):
        return self._generate("generate_clips", self.p["cpu_generators"]) + self.gathers()

    def generate_clips_gpu(self):
        return self._generate("generate_clips_gpu", self.p["gpu_generators"])

    def generate_shard(self):
        return self._generate("generate_shard", self.p["cpu_generators"], shards=True)

    def generate_shard_gpu(self):
        return self._generate("generate_shard_gpu", self.p["gpu_generators"], shards=True)

    # -- augmentation ----------------------------------------------------------------------
    def plan_augmentation(self):
        return [self.overhead("plan_augmentation", g) for g, _, _ in self.w.generation_jobs()]

    def make_train_manifest(self):
        jobs = [self.overhead("make_train_manifest", g) for g, _, _ in self.w.generation_jobs()]
        return jobs + [self.overhead("make_train_manifest", g) for g, _ in self.cas_pairs()]

    def cas_pairs(self):
        return [(g, ls) for ls in self.p["cas_labelsets"] for g in self.p["cas_generators"]]

    # -- classifier ------------------------------------------------------------------------
    def classifier_runs(self):
        """(labelset, variant, n_train_rows, n_real_rows) of every classifier run."""
        out = []
        for ls in self.p["labelsets"]:
            n_real = len(self.w.manifests[ls]["train"])
            out.append((ls, "baseline", n_real, n_real))
            for g, gls, run in self.w.generation_jobs():
                if gls == ls:
                    out.append((ls, g, n_real + self.w.n_clips(g, ls, run), n_real))
        for g, ls in self.cas_pairs():
            out.append((ls, g, self.w.n_clips(g, ls, "main"), 0))
        return out + self.equal_steps_runs()

    def equal_steps_runs(self):
        """Table III's equal-steps block: main's train rows again, trained with epoch_size
        real (the last runs of :meth:`classifier_runs`)."""
        out = []
        for ls in self.p.get("equal_steps_labelsets", []):
            n_real = len(self.w.manifests[ls]["train"])
            for g in self.p.get("equal_steps_generators", []):
                out.append((ls, g, n_real + self.w.n_clips(g, ls, "main"), n_real))
        return out

    def train_classifier(self):
        k, params = self.c["classifier"], self.classifier_params()
        epochs = sum(int(p["epochs"]) for p in k["schedule"])
        out = []
        runs = self.classifier_runs()
        first_equal = len(runs) - len(self.equal_steps_runs())
        for i, (ls, variant, n_rows, n_real) in enumerate(runs):
            epoch_size = "real" if i >= first_equal else k["epoch_size"]
            per_epoch = n_rows if epoch_size == "all" or n_real == 0 else n_real
            n_val = len(self.w.manifests[ls]["validation"])
            bn = min(int(k["bn_batches"]) * int(k["batch_size"]), n_rows)
            scored = n_val * self.eval_windows()  # each validation track, on every window
            for _ in range(self.p["trials"]):
                cost = self.cost("train_classifier")
                cost.add(epochs * per_epoch, "classifier_train_s_per_example", **params)
                cost.add(epochs * (scored + bn), "classifier_predict_s_per_example", **params)
                out.append(self.job("train_classifier", cost, owner=_owner(variant)))
        return out

    def eval_windows(self) -> int:
        """Forward passes per scored track (``classifier.eval_windows``)."""
        return int(config_schema.fill(self.c["classifier"], "classifier")["eval_windows"])

    def _predict(self, rule: str, n: int, owner: str, windows: int | None = None) -> Job:
        """A prediction job over ``n`` tracks, each on ``windows`` windows (default: the
        classifier's ``eval_windows``; embeddings read the first frames only)."""
        passes = n * (self.eval_windows() if windows is None else windows)
        cost = self.cost(rule).add(
            passes, "classifier_predict_s_per_example", **self.classifier_params()
        )
        return self.job(rule, cost, owner=owner)

    def predict_classifier(self):  # one job per run: every trial's classifier
        return [
            self._predict(
                "predict_classifier",
                self.p["trials"]
                * sum(len(self.w.manifests[ls][s]) for s in ("validation", "test")),
                _owner(v),
            )
            for ls, v, _, _ in self.classifier_runs()
        ]

    def predict_generated(self):  # one job per generator: the baseline's trials
        return [
            self._predict("predict_generated", self.p["trials"] * self.w.n_clips(g, ls, "main"), g)
            for ls in self.p["labelsets"]
            for g in self.p["kinds"]
        ]

    def compute_metrics(self):  # one job per run: all its trials and their summary
        return [
            self.overhead("compute_metrics", _owner(v)) for _, v, _, _ in self.classifier_runs()
        ]

    def _per_variant(self, rule: str) -> list[Job]:
        """One start-up-only job per label set and variant."""
        n = len(self.p["labelsets"])
        return [job for v in self.p["variants"] for job in self.overheads(rule, n, _owner(v))]

    def plot_confusion(self):
        return self._per_variant("plot_confusion")

    # -- tables and views ------------------------------------------------------------------
    def controls_check(self):
        return self.overheads(
            "controls_check", len(self.p["labelsets"]) * bool(self.p.get("controls"))
        )

    def make_table3(self):
        n_boot = int(self.c["tables"]["n_bootstrap"])
        out = []
        for ls in self.p["labelsets"]:
            n_test, n_classes = len(self.w.manifests[ls]["test"]), len(self.w.classes[ls])
            equal = self.p.get("equal_steps_generators", [])  # the equal-steps block's
            n_equal = len(equal) if ls in self.p.get("equal_steps_labelsets", []) else 0
            evaluations = n_boot * (len(self.p["variants"]) + n_equal) * self.p["trials"]
            cost = self.cost("make_table3").add(
                evaluations * n_test * n_classes, "bootstrap_s_per_track_class"
            )
            out.append(self.job("make_table3", cost))
        return out

    def make_table1(self):
        return self.overheads("make_table1", 1)

    def plot_class_durations(self):
        return self.overheads("plot_class_durations", len(self.p["labelsets"]))

    def embed_clips(self):
        out = []
        for ls in self.p["distance_labelsets"]:
            n = sum(len(self.w.manifests[ls][s]) for s in self.p["distance_reference_splits"])
            n += sum(self.w.n_clips(g, ls, "main") for g in self.p["distance_generators"])
            for _ in range(self.p["trials"]):  # embeddings read the first frames only
                out.append(self._predict("embed_clips", n, REAL, windows=1))
        return out

    def frechet_distances(self):
        return self.overheads("frechet_distances", len(self.p["distance_labelsets"]))

    def make_which_generator(self):
        return self.overheads("make_which_generator", len(self.p["distance_labelsets"]))

    def plot_distance_gain(self):
        return self.overheads("plot_distance_gain", len(self.p["distance_labelsets"]))

    def make_cas_table(self):
        n = len(self.p["cas_labelsets"]) * bool(self.p["cas_generators"])
        return self.overheads("make_cas_table", n)

    def _per_sweep(self, rule: str) -> list[Job]:
        """One start-up-only job per sweep label set, when a generator is swept."""
        return self.overheads(
            rule, len(self.p["sweep_labelsets"]) * bool(self.p["sweep_generators"])
        )

    def summarize_ratio_sweep(self):
        """Start-up plus the sweep's bootstrap: ``n_bootstrap`` resamples, each scoring every
        trial of every point (the baseline and each swept generator at each fraction) with one
        metric call (augeval.beyond_tables.sweep_table)."""
        if not self.p["sweep_generators"]:
            return []
        points = 1 + len(self.p["sweep_generators"]) * len(self.c["augment"]["fractions"])
        calls = int(self.c["tables"]["n_bootstrap"]) * points * int(self.p["trials"])
        out = []
        for ls in self.p["sweep_labelsets"]:
            cost = self.cost("summarize_ratio_sweep")
            cost.add(calls, "sweep_metric_s_per_call", "cpu", classes=len(self.w.classes[ls]))
            out.append(self.job("summarize_ratio_sweep", cost))
        return out

    def plot_ratio_sweep(self):
        return self._per_sweep("plot_ratio_sweep")


# The rules of the study's DAG (rule all's inputs), in pipeline order.
RULES = (
    "demo_corpus", "make_demo_samples", "check_audio", "list_rejected", "carve_oracle_holdout",
    "make_manifest", "make_pool_manifest", "mel_shard", "plan_augmentation", "ddsp_feature_shard",
    "ddsp_features",
    "train_generator", "generate_shard", "generate_shard_gpu", "generate_clips",
    "generate_clips_gpu", "mel_generated",
    "make_train_manifest", "train_classifier", "predict_classifier", "predict_generated",
    "compute_metrics", "plot_confusion", "make_table3", "controls_check",
    "make_table1",
    "plot_class_durations", "embed_clips", "frechet_distances", "make_which_generator",
    "plot_distance_gain", "make_cas_table", "summarize_ratio_sweep", "plot_ratio_sweep",
)  # fmt: skip


def _batch_size(cfg: dict) -> int:
    """Clips per sampling call of a batched kind (``gen_batch_size``); others make one by one."""
    return max(1, int(cfg["gen_batch_size"])) if "gen_batch_size" in cfg else 1


def _owner(variant: str) -> str:
    return REAL if variant == "baseline" else variant


def plan_jobs(workload: Workload, costs: Costs, gpu: bool = True) -> list[Job]:
    """Every job of the study's DAG with its forecast. ``gpu=False``: GPU rules forecast as if
    they ran on a CPU (e.g. the demo on a laptop); the device column still says what they ask."""
    planner = _Planner(workload, costs, gpu)
    return [job for rule in RULES for job in getattr(planner, rule)()]


def _load(job: Job) -> float:
    """A job's forecast as a fraction of its runtime limit (0 without a limit)."""
    return job.seconds / (60 * job.limit_minutes) if job.limit_minutes else 0.0


def rule_table(jobs: list[Job]) -> pd.DataFrame:
    """One row per rule (:data:`COLUMNS`).

    Per job: the job nearest to (or furthest over) its runtime limit, with that limit; where all
    the rule's jobs share one limit (every rule but the generator rules, whose limit is each
    generator's), that is the rule's longest job. ``fits``: every job within its limit.
    """
    rows = []
    for rule in dict.fromkeys(j.rule for j in jobs):
        mine = [j for j in jobs if j.rule == rule]
        critical = max(mine, key=lambda j: (_load(j), j.seconds))
        limit = critical.limit_minutes
        rows.append(
            {
                "rule": rule,
                "jobs": len(mine),
                "device": "/".join(sorted({j.device for j in mine})),
                "forecast_hours_per_job": critical.seconds / 3600,
                "forecast_hours_total": sum(j.seconds for j in mine) / 3600,
                "runtime_limit_hours": None if limit is None else limit / 60,
                "fits": all(_load(j) <= 1 for j in mine),
                "estimated": any(j.estimated for j in mine),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def by_rule_and_generator(jobs: list[Job]) -> pd.DataFrame:
    """:func:`rule_table` split by generator (``real``: jobs no generator causes)."""
    tables = []
    for owner in dict.fromkeys(j.generator for j in jobs):
        table = rule_table([j for j in jobs if j.generator == owner])
        tables.append(table.assign(generator=owner))
    out = pd.concat(tables, ignore_index=True) if tables else rule_table([])
    return out[["generator", *COLUMNS]]


def by_generator(jobs: list[Job]) -> pd.DataFrame:
    """CPU- and GPU-hours per generator (``real``: the jobs no generator causes)."""
    rows = []
    for owner in dict.fromkeys([REAL] + [j.generator for j in jobs]):
        mine = [j for j in jobs if j.generator == owner]
        rows.append(
            {
                "generator": owner,
                "jobs": len(mine),
                "cpu_hours": sum(j.seconds for j in mine if j.device == "cpu") / 3600,
                "gpu_hours": sum(j.seconds for j in mine if j.device == "gpu") / 3600,
                "estimated": any(j.estimated for j in mine),
            }
        )
    return pd.DataFrame(rows, columns=list(GENERATOR_COLUMNS))


def forecast(
    config: dict, plan: dict, metadata: dict, costs: Costs, gpu: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per rule, per generator, per rule and generator) tables of a filled config and the
    workflow's plan."""
    jobs = plan_jobs(load_workload(config, plan, metadata), costs, gpu)
    return rule_table(jobs), by_generator(jobs), by_rule_and_generator(jobs)
