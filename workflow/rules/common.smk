import os
import re
import sys
from pathlib import Path

from snakemake.utils import validate

# Scripts import the augeval library from src/ whether it is pip-installed (.venv) or not (conda).
SRC_DIR = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC_DIR)

from augeval.config_check import check_config
from augeval.controls_check import controls_of
from augeval.generators import variant_display_names, with_defaults
from augeval.generators.controls import reads_source_tags
from augeval.generators.ddsp_shards import SHARD_KEYS as DDSP_SHARD_KEYS
from augeval.generators.ddsp_shards import shard_count as ddsp_shard_count
from augeval.generators.gen_shards import shard_count as gen_shard_count
from augeval.generators.registry import (
    REGISTRY,
    generator_resources,
    generator_threads,
    kinds_where,
)
from augeval.malloc import apply_malloc_defaults

# Every job started from here keeps PyTorch's large CPU buffers in the heap (augeval.malloc;
# bench/bench_malloc.py), unless the environment already chooses.
apply_malloc_defaults()

# Every violation with its key path and allowed values, before Snakemake's own check (which
# reports only the first one) fills in the schema defaults.
check_config(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
validate(config, "../schemas/config.schema.yaml")
os.environ.update(
    PYTHONPATH=os.pathsep.join(p for p in [SRC_DIR, os.environ.get("PYTHONPATH")] if p)
)

LABELSETS = config["labelsets"]
SPLITS = ["train", "validation", "test"]
EVAL_SPLITS = ["validation", "test"]
TRIALS = list(range(config["trials"]))
SHARDS = list(range(config["features"]["shards"]))
GENERATORS = list(config.get("generators", {}))
# A generator's kind is its `kind:` key, else its name (samplernn: {...} is a SampleRNN); what a
# kind needs (checkpoint, features, weights, resources) is declared once, in its registry.
KIND = {g: (c or {}).get("kind", g) for g, c in config.get("generators", {}).items()}


def generators_where(**flags):
    """Configured generators whose kind's registry entry has ``flags`` (e.g. trains=True)."""
    return [g for g in GENERATORS if g in generators_of_kinds(kinds_where(**flags))]


def generators_of_kinds(kinds):
    return [g for g in GENERATORS if KIND[g] in kinds]


def generator_spec(generator):
    return REGISTRY[KIND[generator]]


TRAINABLE = generators_where(trains=True)
FEATURED = generators_where(features=True)
PRETRAINED = generators_where(pretrained=True)
DEMO_SAMPLES = [
    g
    for g in generators_where(sources="samples")
    if "demo_clips" in config["generators"][g]
]
# Generation jobs that ask for a GPU (rule generate_clips_gpu, so the cluster profile can send
# them, and only them, to the GPU partition).
GPU_GENERATORS = [
    g
    for g in GENERATORS
    if generator_resources(KIND[g], config["generators"][g])["gpu"] > 0
]
CPU_GENERATORS = [g for g in GENERATORS if g not in GPU_GENERATORS]
# Generators whose runs are made by gen_shards generate_shard jobs, which generate_clips gathers.
GEN_SHARDS = {
    g: gen_shard_count(config["generators"][g] or {}, f"generators.{g}")
    for g in GENERATORS
}
SHARDED_GENERATORS = [g for g in GENERATORS if GEN_SHARDS[g] > 1]
# generate_clips for a sharded generator only concatenates its shards' manifests: a short CPU
# job, not the generator's (GPU, hours) resources.
GATHER_RESOURCES = {"mem_mb": 2000, "runtime": 30, "threads": 1}
# The generators generate_clips runs (on CPUs), and those generate_clips_gpu runs.
CLIPS_CPU = CPU_GENERATORS + [g for g in GPU_GENERATORS if g in SHARDED_GENERATORS]
CLIPS_GPU = [g for g in GPU_GENERATORS if g not in SHARDED_GENERATORS]
VARIANTS = ["baseline"] + GENERATORS
# Oracle-kind generators that copy an artist-disjoint hold-out (one carve of train serves them all).
HOLDOUT_ORACLES = [
    g
    for g in generators_where(holdout=True)
    if config["generators"][g].get("holdout_fraction")
]
_HOLDOUT_FRACTIONS = {
    config["generators"][g]["holdout_fraction"] for g in HOLDOUT_ORACLES
}
if len(_HOLDOUT_FRACTIONS) > 1:
    raise ValueError(
        "generators: oracle-kind generators "
        + ", ".join(HOLDOUT_ORACLES)
        + " set different holdout_fraction values; train is carved once, so give them one value"
    )
ORACLE_HOLDOUT = next(iter(_HOLDOUT_FRACTIONS), None)
HOLDOUT_DIR = "results/data/oracle_holdout"
DEMO_DIR = "results/demo"
DEMO_SPLIT = "split-0"  # the demo corpus has one official-style split


# ---------------------------------------------------------------------------------------------
# Runs. One chain of rules (plan -> generate -> mel -> train manifest -> train -> predict ->
# metrics) serves every view of the study; the path segment {run} names which one:
#   main         the Table III run, at augment.fraction (the ratio sweep's point there too)
#   frac-<f>     a ratio-sweep point at another fraction (augment.fractions)
#   cas          train on generated, test on real: a classifier trained on main's clips alone
#   equal-steps  main's train manifest again, with classifier.epoch_size: real (Table III's
#                equal-optimiser-steps block; the baseline's steps are equal already: reused)
#   score        kind: samples generators only: every clip of the folder/TSV, no budget, for
#                the score view (plan, generate, mels); nothing trains on it
# ---------------------------------------------------------------------------------------------


def fraction_tag(fraction):
    """Path form of an augmentation fraction: 0.1 -> '0.1', 1.0 -> '1'."""
    return f"{float(fraction):g}"


def _beyond_selection(section, key, allowed, default):
    chosen = config.get(section, {}).get(key, default)
    unknown = [x for x in chosen if x not in allowed]
    if unknown:
        raise ValueError(
            f"config {section}.{key}: {unknown} not among the configured {key} {allowed}"
        )
    return [x for x in allowed if x in chosen]


SWEEP_DEFAULT = fraction_tag(config.get("augment", {}).get("fraction", 0.05))
SWEEP_FRACTIONS = sorted(
    {fraction_tag(f) for f in config.get("augment", {}).get("fractions", [])}
    | ({SWEEP_DEFAULT} if config.get("augment", {}).get("fractions") else set()),
    key=float,
)
SWEEP_EXTRA = [
    f for f in SWEEP_FRACTIONS if f != SWEEP_DEFAULT
]  # trained by the sweep rules
SWEEP_GENERATORS = (
    _beyond_selection("sweep", "generators", GENERATORS, GENERATORS)
    if SWEEP_FRACTIONS
    else []
)
SWEEP_LABELSETS = _beyond_selection("sweep", "labelsets", LABELSETS, LABELSETS)
DISTANCE_GENERATORS = (
    _beyond_selection("distance", "generators", GENERATORS, GENERATORS)
    if "distance" in config
    else []
)
DISTANCE_LABELSETS = _beyond_selection("distance", "labelsets", LABELSETS, LABELSETS)
CAS_GENERATORS = (
    _beyond_selection("cas", "generators", GENERATORS, GENERATORS)
    if "cas" in config
    else []
)
CAS_LABELSETS = _beyond_selection("cas", "labelsets", LABELSETS, LABELSETS)
EQUAL_STEPS_GENERATORS = (
    _beyond_selection("equal_steps", "generators", GENERATORS, GENERATORS)
    if "equal_steps" in config
    else []
)
EQUAL_STEPS_LABELSETS = _beyond_selection(
    "equal_steps", "labelsets", LABELSETS, LABELSETS
)
if EQUAL_STEPS_GENERATORS and config["classifier"].get("epoch_size", "all") == "real":
    raise ValueError(
        "config equal_steps: classifier.epoch_size is already 'real', so Table III's main rows "
        "are at equal optimiser steps; remove the equal_steps block (or set epoch_size: all)"
    )


MAIN_RUN = "main"
CAS_RUN = "cas"
EQUAL_STEPS_RUN = "equal-steps"
SCORE_RUN = "score"
SWEEP_RUNS = [f"frac-{f}" for f in SWEEP_EXTRA]
# Runs that plan and generate clips of their own (CAS and equal-steps train on main's clips).
GENERATION_RUNS = [MAIN_RUN] + SWEEP_RUNS
# ... and the score view's run of every clip a samples generator provides (never trained on)
CLIP_RUNS = GENERATION_RUNS + [SCORE_RUN]
RUNS = GENERATION_RUNS + [CAS_RUN, EQUAL_STEPS_RUN, SCORE_RUN]


def run_fraction(run):
    """The augmentation fraction of a run that generates clips."""
    return float(run.removeprefix("frac-")) if run != MAIN_RUN else float(SWEEP_DEFAULT)


def clips_run(run):
    """The run whose generated clips a run trains on."""
    return MAIN_RUN if run in (CAS_RUN, EQUAL_STEPS_RUN) else run


def manifest_run(run):
    """The run whose train manifest a run's classifier reads (equal-steps: main's, as it is)."""
    return MAIN_RUN if run == EQUAL_STEPS_RUN else run


def one_of(values):
    return "|".join(re.escape(v) for v in values)


wildcard_constraints:
    labelset="|".join(LABELSETS),
    split="|".join(SPLITS),
    variant="|".join(VARIANTS),
    generator="|".join(GENERATORS) or "NO_GENERATOR",
    trial=r"\d+",
    shard=r"\d+",
    archive=r"[A-Za-z0-9_.-]+",
    run=one_of(RUNS),


def get_metadata_dir():
    if config["data"]["source"] == "demo":
        return DEMO_DIR
    return config["data"]["metadata_dir"]


def get_audio_root():
    if config["data"]["source"] == "demo":
        return f"{DEMO_DIR}/audio"
    return config["data"]["audio_root"]


def get_download_config(wildcards):
    if "download" not in config["data"]:
        raise ValueError(
            "data.download is not configured; add it (see config/mtg_jamendo.yaml) to fetch the "
            "audio, or point data.audio_root at an existing copy"
        )
    return config["data"]["download"]


def get_download_checksums(wildcards):
    return get_download_config(wildcards)["checksums"]


def get_download_receipts(wildcards):
    """One receipt per archive named in the checksum list (read only when download_audio runs)."""
    lines = Path(get_download_checksums(wildcards)).read_text().splitlines()
    names = [
        line.split()[1].lstrip("*") for line in lines if line.strip() and line[0] != "#"
    ]
    return [f"results/download/{name.removesuffix('.tar')}.tsv" for name in names]


def get_original_split_metadata(split):
    name = DEMO_SPLIT if config["data"]["source"] == "demo" else config["data"]["split"]
    split_dir = Path(get_metadata_dir()) / "splits" / name
    return str(split_dir / f"autotagging_moodtheme-{split}.tsv")


def get_split_metadata(wildcards):
    """With the oracle's hold-out, every classifier trains on train minus the held-out artists."""
    if ORACLE_HOLDOUT and wildcards.split == "train":
        return f"{HOLDOUT_DIR}/train.tsv"
    return get_original_split_metadata(wildcards.split)


# Paths of the chain, each with its run segment.
def augment_dir(generator, labelset, run):
    return f"results/augment/{generator}/{labelset}/{run}"


def generated_manifest(generator, labelset, run=MAIN_RUN):
    return f"results/generated/{generator}/{labelset}/{run}/manifest.tsv"


def get_generated_features(generator, labelset, run=MAIN_RUN):
    base = f"results/features/{generator}/{labelset}/{run}/shard-0"
    return {"index": f"{base}.tsv", "npy": f"{base}.npy"}


def trial_path(stage, labelset, variant, run, trial):
    """results/{stage}/{labelset}/{variant}/{run}/trial-{trial}: the classifier, predictions and
    metrics of one trial of one run live under (or at) this path."""
    return f"results/{stage}/{labelset}/{variant}/{run}/trial-{trial}"


def checkpoint_path(labelset, variant, run, trial):
    trial_dir = trial_path("classifier", labelset, variant, run, trial)
    return f"{trial_dir}/checkpoint.pt"


def predictions_path(labelset, variant, run, trial, split):
    trial_dir = trial_path("predictions", labelset, variant, run, trial)
    return f"{trial_dir}/{split}.tsv"


def metrics_path(labelset, variant, run, trial):
    return trial_path("metrics", labelset, variant, run, trial) + ".tsv"


def get_plan_inputs(wildcards):
    """The budget comes from train; the oracle's hold-out mode draws its sources from the pool."""
    inputs = {"train": f"results/data/{wildcards.labelset}/train.tsv"}
    if wildcards.generator in HOLDOUT_ORACLES:
        inputs["pool"] = f"results/data/{wildcards.labelset}/oracle_pool.tsv"
    if generator_spec(wildcards.generator).sources == "samples":
        inputs.update(get_samples_inputs(wildcards.generator, wildcards.labelset))
    return inputs


def get_plan_policy(wildcards):
    """The augmentation policy of one run: the configured one at the run's fraction (the score
    run's budget table shows main's beside what it took)."""
    run = MAIN_RUN if wildcards.run == SCORE_RUN else wildcards.run
    return config.get("augment", {}) | {"fraction": run_fraction(run)}


def is_score_run(wildcards):
    """The score run takes every clip (samples generators only: the plan refuses others)."""
    return wildcards.run == SCORE_RUN


def get_samples_dir(generator, labelset):
    """A samples generator's folder: its dir:, or the demo clips rule's output (demo_clips:)."""
    cfg = config["generators"][generator]
    if "demo_clips" in cfg:
        return f"{DEMO_DIR}/samples/{generator}/{labelset}"
    from augeval.paths import sample_dir

    return str(sample_dir(cfg, labelset))


def get_samples_inputs(generator, labelset):
    """What a samples generator's plan reads, so that changed clips re-plan it: the demo rule's
    folder, else the table, else one sub-folder per class (a folder's own mtime changes when a
    file directly inside it is added or removed). A missing one stops the DAG, naming it.
    """
    from augeval.data.labels import labelset_from_config

    cfg = config["generators"][generator]
    root = get_samples_dir(generator, labelset)
    if "demo_clips" in cfg:
        return {"samples": root}
    if cfg.get("table"):
        return {"samples_table": f"{root}/{cfg['table']}"}
    classes = labelset_from_config(labelset, config["labels"]).classes
    return {"samples_classes": [f"{root}/{c}" for c in classes]}


def get_samples_dir_param(wildcards):
    if generator_spec(wildcards.generator).sources != "samples":
        return None
    return get_samples_dir(wildcards.generator, wildcards.labelset)


def get_demo_clips_config(wildcards):
    return config["generators"][wildcards.generator]["demo_clips"]


def get_all_split_metadata(wildcards=None):
    # The original splits: the train audit also covers the tracks held out for the oracle.
    return {split: get_original_split_metadata(split) for split in SPLITS}


def get_audio_check_seconds():
    """Audio decoded per track by check_audio: what the mel cache reads from its start."""
    f = config["features"]
    return (f["max_frames"] - 1) * f["hop_length"] / f["sample_rate"]


def get_feature_indexes(split):
    return expand(
        "results/features/real/{split}/shard-{shard}.tsv", split=split, shard=SHARDS
    )


def get_feature_shards(split):
    return expand(
        "results/features/real/{split}/shard-{shard}.npy", split=split, shard=SHARDS
    )


def get_visible_seconds():
    f = config["features"]
    return config["classifier"]["input_frames"] * f["hop_length"] / f["sample_rate"]


def get_generator_resources(wildcards):
    return generator_resources(
        KIND[wildcards.generator], config["generators"][wildcards.generator]
    )


def get_generator_resource(key):
    return lambda wildcards: get_generator_resources(wildcards)[key]


def get_generation_resource(key):
    """generate_clips: a sharded generator's gather is small (GATHER_RESOURCES)."""

    def resource(wildcards):
        if wildcards.generator in SHARDED_GENERATORS:
            return GATHER_RESOURCES[key]
        if key == "threads":
            return get_generator_threads(wildcards)
        return get_generator_resources(wildcards)[key]

    return resource


def get_generator_threads(wildcards):
    return generator_threads(
        KIND[wildcards.generator], config["generators"][wildcards.generator]
    )


def get_generator_config(wildcards):
    return config["generators"][wildcards.generator]


def get_generator_kind(wildcards):
    return KIND[wildcards.generator]


def get_ddsp_feature_table(wildcards):
    """DDSP features of a split (to train on) or of a run's sources (part sources-{run})."""
    if wildcards.part in SPLITS:
        return f"results/data/{wildcards.labelset}/{wildcards.part}.tsv"
    run = wildcards.part.removeprefix("sources-")
    return f"{augment_dir(wildcards.generator, wildcards.labelset, run)}/sources.tsv"


DDSP_FEATURE_PARTS = one_of(
    ["train", "validation"] + [f"sources-{r}" for r in GENERATION_RUNS]
)


def ddsp_feature_config(generator):
    """The DDSP generator's settings, schema defaults filled in (any name of kind ddsp)."""
    return with_defaults(KIND[generator], config["generators"][generator])


def get_ddsp_feature_params(wildcards):
    """Only what the features depend on, so e.g. a new learning rate keeps the cache."""
    cfg = ddsp_feature_config(wildcards.generator)
    return {k: cfg[k] for k in DDSP_SHARD_KEYS}


def get_ddsp_feature_shard_count(wildcards):
    return ddsp_shard_count(ddsp_feature_config(wildcards.generator), wildcards.part)


def get_ddsp_feature_threads(wildcards):
    return int(ddsp_feature_config(wildcards.generator)["feature_threads"])


def get_ddsp_feature_mem_mb(wildcards, threads):
    # one pYIN process per thread, each a few hundred MB with its libraries
    return 2000 + 500 * threads


def get_ddsp_feature_shards(wildcards):
    g, labelset, part = wildcards.generator, wildcards.labelset, wildcards.part
    n = ddsp_shard_count(ddsp_feature_config(g), part)
    return [
        f"results/generators/{g}/{labelset}/features/{part}/shard-{s}.npz"
        for s in range(n)
    ]


def ddsp_features(generator, labelset, part):
    return f"results/generators/{generator}/{labelset}/features/{part}.npz"


def get_generator_training_inputs(wildcards):
    inputs = {
        "train": f"results/data/{wildcards.labelset}/train.tsv",
        "validation": f"results/data/{wildcards.labelset}/validation.tsv",
    }
    if generator_spec(wildcards.generator).features:
        for split in ("train", "validation"):
            inputs[f"{split}_features"] = ddsp_features(
                wildcards.generator, wildcards.labelset, split
            )
    return inputs


def get_generation_inputs(wildcards):
    """A sharded generator's run: its shards' manifests; else what one job generates from."""
    g, labelset, run = wildcards.generator, wildcards.labelset, wildcards.run
    if g in SHARDED_GENERATORS:
        return {
            "shards": [
                f"results/generated/{g}/{labelset}/{run}/shards/shard-{s}.tsv"
                for s in range(GEN_SHARDS[g])
            ]
        }
    return get_generation_source_inputs(wildcards)


def get_generation_shard_count(wildcards):
    return GEN_SHARDS[wildcards.generator]


def get_generation_source_inputs(wildcards):
    """The run's sources, plus what the kind declares: a checkpoint, the sources' features."""
    g, labelset, run = wildcards.generator, wildcards.labelset, wildcards.run
    spec = generator_spec(g)
    inputs = {"sources": f"{augment_dir(g, labelset, run)}/sources.tsv"}
    if spec.trains:
        inputs["checkpoint"] = f"results/generators/{g}/{labelset}/checkpoint.pt"
    if spec.features:
        inputs["features"] = ddsp_features(g, labelset, f"sources-{run}")
    # an oracle that synthesises demo music with its sources' tags (demo corpus only: the
    # schema asks for a hold-out on real data) reads them from the corpus metadata
    if KIND[g] == "oracle" and reads_source_tags(config["generators"][g]):
        inputs["metadata"] = f"{DEMO_DIR}/autotagging_moodtheme.tsv"
    return inputs


def get_train_manifest_inputs(wildcards):
    """What a run's classifier trains on: real train plus the run's clips, or (CAS) the clips
    alone (real train is read to check that none of its rows slipped in)."""
    return {
        "train": f"results/data/{wildcards.labelset}/train.tsv",
        "generated": generated_manifest(
            wildcards.generator, wildcards.labelset, clips_run(wildcards.run)
        ),
    }


def is_cas_run(wildcards):
    return wildcards.run == CAS_RUN


def get_train_manifest(wildcards):
    if wildcards.variant == "baseline":
        return f"results/data/{wildcards.labelset}/train.tsv"
    run = manifest_run(wildcards.run)
    return f"{augment_dir(wildcards.variant, wildcards.labelset, run)}/train.tsv"


def get_classifier_config(wildcards):
    """The classifier's settings; the equal-steps run's epochs hold as many rows as real train."""
    if wildcards.run == EQUAL_STEPS_RUN:
        return config["classifier"] | {"epoch_size": "real"}
    return config["classifier"]


def get_classifier_features(wildcards):
    """Mel caches a run's classifier reads: real validation, real train unless the run trains on
    generated clips alone, and the variant's clips."""
    splits = ["validation"] if wildcards.run == CAS_RUN else ["train", "validation"]
    indexes = get_feature_indexes(splits)
    shards = get_feature_shards(splits)
    if wildcards.variant != "baseline":
        generated = get_generated_features(
            wildcards.variant, wildcards.labelset, clips_run(wildcards.run)
        )
        indexes.append(generated["index"])
        shards.append(generated["npy"])
    return {"features": indexes, "shards": shards}


def get_classifier_checkpoints(wildcards):
    """Every trial's classifier of a run, in trial order (one prediction job per run)."""
    w = wildcards
    return [checkpoint_path(w.labelset, w.variant, w.run, t) for t in TRIALS]


def get_metrics_inputs(wildcards):
    """Every trial's validation and test predictions (``test``, ``validation``: lists in trial
    order) and the two manifests; one job scores all trials and writes their summary."""
    w = wildcards
    return {
        split: [
            predictions_path(w.labelset, w.variant, w.run, t, split) for t in TRIALS
        ]
        for split in ("test", "validation")
    } | {
        f"{split}_manifest": f"results/data/{w.labelset}/{split}.tsv"
        for split in ("test", "validation")
    }


def generated_predictions_path(labelset, generator, trial):
    """A generator's main-run clips, classified by the baseline classifier of one trial."""
    return predictions_path(
        labelset, "baseline", MAIN_RUN, trial, f"generated_{generator}"
    )


def get_generated_prediction_inputs(wildcards):
    g, labelset = wildcards.generator, wildcards.labelset
    generated = get_generated_features(g, labelset)
    return {
        "checkpoints": [
            checkpoint_path(labelset, "baseline", MAIN_RUN, t) for t in TRIALS
        ],
        "manifests": [generated_manifest(g, labelset)],
        "features": [generated["index"]],
        "shards": generated["npy"],
    }


def get_confusion_inputs(wildcards):
    """Baseline: the test split; a generator: its clips, classified by the baseline classifier."""
    labelset, variant = wildcards.labelset, wildcards.variant
    if variant == "baseline":
        predictions = [
            predictions_path(labelset, variant, MAIN_RUN, t, "test") for t in TRIALS
        ]
        manifest = f"results/data/{labelset}/test.tsv"
    else:
        predictions = [generated_predictions_path(labelset, variant, t) for t in TRIALS]
        manifest = generated_manifest(variant, labelset)
    return {"predictions": predictions, "manifest": manifest}


def get_display_names():
    """How tables and figures name each variant (augeval.generators.display_name)."""
    return variant_display_names(config.get("generators", {}))


def get_display_name(wildcards):
    return get_display_names().get(wildcards.variant, wildcards.variant)


def get_confusion_title(wildcards):
    """{variant} is replaced by the variant's display name (augeval.generators.display_name)."""
    if wildcards.variant == "baseline":
        return f"{wildcards.labelset}: test split classified by the baseline classifier"
    return (
        f"{wildcards.labelset}: {{variant}} clips classified by the baseline classifier"
    )


def get_pretrained_jukebox_configs():
    """Generators that load published weights (what fetch_jukebox_weights downloads)."""
    return {
        g: config["generators"][g]
        for g in PRETRAINED
        if config["generators"][g].get("init", "pretrained") == "pretrained"
    }


def get_equal_steps_generators(wildcards):
    """The generators of Table III's equal-steps block on this label set ([] = no block)."""
    if wildcards.labelset not in EQUAL_STEPS_LABELSETS:
        return []
    return EQUAL_STEPS_GENERATORS


def _table3_run_inputs(labelset, variants, run, prefix=""):
    runs = [(v, t) for v in variants for t in TRIALS]
    return {
        f"{prefix}metrics": [metrics_path(labelset, v, run, t) for v, t in runs],
        f"{prefix}test": [
            predictions_path(labelset, v, run, t, "test") for v, t in runs
        ],
        f"{prefix}validation": [
            predictions_path(labelset, v, run, t, "validation") for v, t in runs
        ],
    }


def get_table3_inputs(wildcards):
    """The main run's metrics and predictions (ordered variant, then trial), and the
    equal-steps run's of the block's generators (equal_steps_*) where it has any."""
    labelset = wildcards.labelset
    inputs = _table3_run_inputs(labelset, VARIANTS, MAIN_RUN)
    equal = get_equal_steps_generators(wildcards)
    if equal:
        inputs |= _table3_run_inputs(labelset, equal, EQUAL_STEPS_RUN, "equal_steps_")
    return inputs | {
        "test_manifest": f"results/data/{labelset}/test.tsv",
        "validation_manifest": f"results/data/{labelset}/validation.tsv",
    }


def get_controls():
    """{generator: kind} of the configured controls the controls check has expectations for."""
    return controls_of(KIND)


def get_final_output():
    per_labelset = [
        "results/tables/table3_{labelset}.md",
        "results/figures/class_durations_{labelset}.pdf",
        "results/data/{labelset}/rejected.tsv",
    ]
    per_variant = [
        "results/metrics/{labelset}/{variant}/main/summary.tsv",
        "results/figures/confusion_{labelset}_{variant}.pdf",
    ]
    if get_controls():
        per_labelset.append("results/tables/controls_check_{labelset}.tsv")
    return (
        ["results/tables/table1_durations.tsv"]
        + expand(per_labelset, labelset=LABELSETS)
        + expand(per_variant, labelset=LABELSETS, variant=VARIANTS)
        + get_beyond_output()
        + get_report_pages()
    )


# ---------------------------------------------------------------------------------------------
# Beyond the paper: ratio sweep, Fréchet distance, train-on-generated (CAS). They are more runs
# of the chain above (frac-<f>, cas) and tables over them: sweep.smk, distance.smk, cas.smk.
# ---------------------------------------------------------------------------------------------


def sweep_run(frac):
    """The run of a sweep point: the Table III run at the default fraction (never trained
    twice), its own frac-<f> run at any other."""
    return MAIN_RUN if frac == SWEEP_DEFAULT else f"frac-{frac}"


def get_sweep_points():
    """(generator, fraction tag) of every sweep point, baseline first (fraction 0)."""
    return [("baseline", "0")] + [
        (g, f) for g in SWEEP_GENERATORS for f in SWEEP_FRACTIONS
    ]


def get_sweep_inputs(wildcards):
    metrics, test = [], []
    for generator, frac in get_sweep_points():
        run = MAIN_RUN if generator == "baseline" else sweep_run(frac)
        metrics += [metrics_path(wildcards.labelset, generator, run, t) for t in TRIALS]
        test += [
            predictions_path(wildcards.labelset, generator, run, t, "test")
            for t in TRIALS
        ]
    return {
        "metrics": metrics,
        "test": test,
        "test_manifest": f"results/data/{wildcards.labelset}/test.tsv",
    }


def get_distance_reference_splits():
    return config.get("distance", {}).get("reference_splits", ["validation", "test"])


def get_embedding_sets():
    """Names of the clip sets embedded per label set and trial: real splits, then generators."""
    return get_distance_reference_splits() + DISTANCE_GENERATORS


def get_embedding_inputs(wildcards):
    splits = get_distance_reference_splits()
    manifests = [f"results/data/{wildcards.labelset}/{s}.tsv" for s in splits]
    features = get_feature_indexes(splits)
    shards = get_feature_shards(splits)
    for generator in DISTANCE_GENERATORS:
        manifests.append(generated_manifest(generator, wildcards.labelset))
        generated = get_generated_features(generator, wildcards.labelset)
        features.append(generated["index"])
        shards.append(generated["npy"])
    return {
        "checkpoint": checkpoint_path(
            wildcards.labelset, "baseline", MAIN_RUN, wildcards.trial
        ),
        "manifests": manifests,
        "features": features,
        "shards": shards,
    }


def get_distance_inputs(wildcards):
    return {
        "embeddings": expand(
            "results/embeddings/{labelset}/baseline/trial-{trial}.npz",
            labelset=wildcards.labelset,
            trial=TRIALS,
        ),
        "manifests": [
            f"results/data/{wildcards.labelset}/{s}.tsv"
            for s in get_distance_reference_splits()
        ]
        + [generated_manifest(g, wildcards.labelset) for g in DISTANCE_GENERATORS],
    }


def get_which_generator_inputs(wildcards):
    inputs = {
        "per_class": f"results/tables/table3_{wildcards.labelset}_per_class.tsv",
        "distance": f"results/tables/distance_{wildcards.labelset}.tsv",
        "confusions": [
            f"results/figures/confusion_{wildcards.labelset}_{g}.tsv"
            for g in DISTANCE_GENERATORS
        ],
    }
    if wildcards.labelset in CAS_LABELSETS and CAS_GENERATORS:
        inputs["cas_per_class"] = (
            f"results/tables/cas_{wildcards.labelset}_per_class.tsv"
        )
    return inputs


def get_cas_table_inputs(wildcards):
    labelset = wildcards.labelset
    cas = [(g, t) for g in CAS_GENERATORS for t in TRIALS]
    return {
        "cas_metrics": [metrics_path(labelset, g, CAS_RUN, t) for g, t in cas],
        "real_metrics": [
            metrics_path(labelset, "baseline", MAIN_RUN, t) for t in TRIALS
        ],
        "cas_test": [predictions_path(labelset, g, CAS_RUN, t, "test") for g, t in cas],
        "real_test": [
            predictions_path(labelset, "baseline", MAIN_RUN, t, "test") for t in TRIALS
        ],
        "test_manifest": f"results/data/{labelset}/test.tsv",
    }


def get_beyond_output():
    out = []
    if SWEEP_GENERATORS:
        out += expand(
            "results/figures/ratio_sweep_{labelset}.pdf", labelset=SWEEP_LABELSETS
        )
    if DISTANCE_GENERATORS:
        out += expand(
            [
                "results/tables/distance_{labelset}.tsv",
                "results/figures/distance_gain_{labelset}.pdf",
                "results/tables/which_generator_{labelset}.tsv",
            ],
            labelset=DISTANCE_LABELSETS,
        )
    if CAS_GENERATORS:
        out += expand("results/tables/cas_{labelset}.tsv", labelset=CAS_LABELSETS)
    return out


# ---------------------------------------------------------------------------------------------
# Score (score.smk): one generator's main-run clips judged by the baseline classifiers of every
# trial, never an augmented training. Embeddings are one job per label set, trial and clip set
# (a real split or one generator's clips), so a new or regenerated generator embeds only itself.
# ---------------------------------------------------------------------------------------------

SCORE_ANCHORS = generators_where(anchor=True)
# Generators scored on every clip they provide (the score run, clip set provided_<g>); the others
# on their main-run clips (clip set generated_<g>, shared with the confusion figures).
SCORE_ALL_PROVIDED = generators_where(sources="samples")
SCORE_CLIPSETS = (
    [f"real_{s}" for s in SPLITS]
    + [f"generated_{g}" for g in GENERATORS]
    + [f"provided_{g}" for g in SCORE_ALL_PROVIDED]
)


def score_clipset(generator):
    if generator in SCORE_ALL_PROVIDED:
        return f"provided_{generator}"
    return f"generated_{generator}"


def score_run(generator):
    return SCORE_RUN if generator in SCORE_ALL_PROVIDED else MAIN_RUN


wildcard_constraints:
    clipset=one_of(SCORE_CLIPSETS),


def score_embedding(labelset, trial, clipset):
    return f"results/embeddings/{labelset}/baseline/trial-{trial}/{clipset}.npz"


def get_score_reference_splits():
    return config["score"]["reference_splits"]


def get_score_embedding_inputs(wildcards):
    """One clip set (real_<split> or generated_<generator>) and the baseline checkpoint."""
    labelset, clipset = wildcards.labelset, wildcards.clipset
    if clipset.startswith("real_"):
        split = clipset.removeprefix("real_")
        manifest = f"results/data/{labelset}/{split}.tsv"
        features, shards = get_feature_indexes(split), get_feature_shards(split)
    else:
        prefix, generator = clipset.split("_", 1)
        run = SCORE_RUN if prefix == "provided" else MAIN_RUN
        manifest = generated_manifest(generator, labelset, run)
        generated = get_generated_features(generator, labelset, run)
        features, shards = [generated["index"]], [generated["npy"]]
    return {
        "checkpoint": checkpoint_path(labelset, "baseline", MAIN_RUN, wildcards.trial),
        "manifests": [manifest],
        "features": features,
        "shards": shards,
    }


def get_score_embedding_set(wildcards):
    return [wildcards.clipset]


def get_score_anchors(wildcards):
    """The copy and noise controls the generator is shown beside (itself excluded)."""
    return [a for a in SCORE_ANCHORS if a != wildcards.generator]


def _score_files(labelset, generator):
    run, clipset = score_run(generator), score_clipset(generator)
    return {
        "manifest": generated_manifest(generator, labelset, run),
        "sources": f"{augment_dir(generator, labelset, run)}/sources.tsv",
        "predictions": [
            predictions_path(labelset, "baseline", MAIN_RUN, t, clipset) for t in TRIALS
        ],
        "embeddings": [score_embedding(labelset, t, clipset) for t in TRIALS],
    }


def get_score_scored_set(wildcards):
    """The scored clips' set: its name in the embedding files and whether it is every clip."""
    return {
        "embedding_set": score_clipset(wildcards.generator),
        "all_provided": wildcards.generator in SCORE_ALL_PROVIDED,
    }


def get_provided_prediction_inputs(wildcards):
    """predict_provided: a samples generator's score-run clips, by every baseline trial."""
    g, labelset = wildcards.generator, wildcards.labelset
    generated = get_generated_features(g, labelset, SCORE_RUN)
    return {
        "checkpoints": [
            checkpoint_path(labelset, "baseline", MAIN_RUN, t) for t in TRIALS
        ],
        "manifests": [generated_manifest(g, labelset, SCORE_RUN)],
        "features": [generated["index"]],
        "shards": generated["npy"],
    }


def get_score_inputs(wildcards):
    """The generator's clips, the anchors' clips (lists ordered anchor, then trial), the real
    reference and train splits with their embeddings (ordered split, then trial)."""
    labelset = wildcards.labelset
    inputs = {
        f"scored_{key}": value
        for key, value in _score_files(labelset, wildcards.generator).items()
    }
    anchors = [_score_files(labelset, a) for a in get_score_anchors(wildcards)]
    for key in ("manifest", "sources", "predictions", "embeddings"):
        inputs[f"anchor_{key}"] = [
            path
            for files in anchors
            for path in (files[key] if isinstance(files[key], list) else [files[key]])
        ]
    splits = get_score_reference_splits()
    inputs["reference_manifests"] = [f"results/data/{labelset}/{s}.tsv" for s in splits]
    inputs["reference_embeddings"] = [
        score_embedding(labelset, t, f"real_{s}") for s in splits for t in TRIALS
    ]
    inputs["train_manifest"] = f"results/data/{labelset}/train.tsv"
    inputs["train_embeddings"] = [
        score_embedding(labelset, t, "real_train") for t in TRIALS
    ]
    return inputs


def get_score_output():
    """Every configured generator's score tables, for every label set (rule score)."""
    return expand(
        "results/score/{labelset}/{generator}/{table}.tsv",
        labelset=LABELSETS,
        generator=GENERATORS,
        table=["summary", "clips"],
    )


# ---------------------------------------------------------------------------------------------
# Cost forecast (forecast.smk): the lists the rules are expanded over and each rule's declared
# resources, for augeval.forecast to enumerate and cost the jobs without building the DAG.
# ---------------------------------------------------------------------------------------------


def _declared_resources(rule):
    """A rule's runtime (minutes) and gpu where they are plain values (not per-job functions)."""
    res = workflow.get_rule(rule).resources
    return {
        k: res[k].value
        for k in ("runtime", "gpu")
        if k in res and not res[k].is_evaluable()
    }


def get_forecast_plan():
    return {
        "labelsets": LABELSETS,
        "trials": len(TRIALS),
        "shards": len(SHARDS),
        "demo": config["data"]["source"] == "demo",
        "kinds": KIND,
        "trainable": TRAINABLE,
        "featured": FEATURED,
        "demo_samples": DEMO_SAMPLES,
        "gpu_generators": GPU_GENERATORS,
        "cpu_generators": CPU_GENERATORS,
        "gen_shards": GEN_SHARDS,
        "gather_resources": GATHER_RESOURCES,
        "variants": VARIANTS,
        "holdout": bool(ORACLE_HOLDOUT),
        "run_fractions": {r: run_fraction(r) for r in GENERATION_RUNS},
        "sweep_runs": SWEEP_RUNS,
        "sweep_generators": SWEEP_GENERATORS,
        "sweep_labelsets": SWEEP_LABELSETS,
        "cas_generators": CAS_GENERATORS,
        "cas_labelsets": CAS_LABELSETS,
        "equal_steps_generators": EQUAL_STEPS_GENERATORS,
        "equal_steps_labelsets": EQUAL_STEPS_LABELSETS,
        "distance_generators": DISTANCE_GENERATORS,
        "distance_labelsets": DISTANCE_LABELSETS,
        "distance_reference_splits": get_distance_reference_splits(),
        "audio_check_seconds": get_audio_check_seconds(),
        # DDSP features: one job per part today (None); a sharded rule sets its shard size here.
        "controls": list(get_controls()),
        "rules": {r.name: _declared_resources(r.name) for r in workflow.rules},
        "generator_resources": {
            g: generator_resources(KIND[g], config["generators"][g]) for g in GENERATORS
        },
    }


# Report pages (report.smk): the front page (the verdict) and the listening gallery, from
# Table III, the controls check (when a rule of the workflow writes it) and the score view.
# ---------------------------------------------------------------------------------------------

CONTROLS = generators_where(control=True)


def get_classes(labelset):
    from augeval.data.labels import labelset_from_config

    return list(labelset_from_config(labelset, config["labels"]).classes)


GALLERY_LABELS = sorted({c for labelset in LABELSETS for c in get_classes(labelset)})


def rule_output_like(name):
    """The output pattern (wildcards unfilled) of the rule writing a file called ``name``, or
    None when none does (the front page reads the controls check only where one is built).
    """
    from snakemake.io import strip_wildcard_constraints

    for r in workflow.rules:
        for output in r.output:
            pattern = strip_wildcard_constraints(str(output))
            if os.path.basename(pattern) == name:
                return pattern
    return None


def _score_tables(table, labelsets=None):
    return expand(
        "results/score/{labelset}/{generator}/{table}.tsv",
        labelset=labelsets or LABELSETS,
        generator=GENERATORS,
        table=table,
    )


def get_front_page_inputs(wildcards):
    """Table III, the score tables (ordered label set, then generator) and, where a rule
    writes it, the controls check of every label set."""
    inputs = {
        "table3": expand("results/tables/table3_{labelset}.tsv", labelset=LABELSETS),
        "summaries": _score_tables("summary"),
        "clips": _score_tables("clips"),
    }
    check = rule_output_like("controls_check_{labelset}.tsv")
    if check:
        inputs["controls_check"] = expand(check, labelset=LABELSETS)
    return inputs


def get_gallery_inputs(wildcards):
    """Every generator's clip table, the real reference manifests and the baseline's
    predictions on them (ordered split, then trial): no training beyond the baseline."""
    labelset, splits = wildcards.labelset, get_score_reference_splits()
    return {
        "clips": _score_tables("clips", [labelset]),
        "real_manifests": [f"results/data/{labelset}/{s}.tsv" for s in splits],
        "real_predictions": [
            predictions_path(labelset, "baseline", MAIN_RUN, t, s)
            for s in splits
            for t in TRIALS
        ],
    }


def get_report_pages(always=False):
    """The front page and one gallery page per label set and class (in rule all where
    report.pages; always for the `report_pages` alias)."""
    if not (always or config["report"]["pages"]):
        return []
    return ["results/report/front_page.html"] + [
        f"results/report/gallery/{labelset}/{label}.html"
        for labelset in LABELSETS
        for label in get_classes(labelset)
    ]
