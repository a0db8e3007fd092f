import os
import re
import sys
from pathlib import Path

from snakemake.utils import validate

# Scripts import the augeval library from src/ whether it is pip-installed (.venv) or not (conda).
SRC_DIR = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC_DIR)

from augeval.config_check import check_config
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
# A generator's kind is its `kind:` key, else its name (samplernn: {...} is a SampleRNN).
KIND = {g: (c or {}).get("kind", g) for g, c in config.get("generators", {}).items()}


def generators_of_kind(*kinds):
    return [g for g in GENERATORS if KIND[g] in kinds]


CONTROLS = generators_of_kind("copy", "noise", "oracle")
TRAINABLE = generators_of_kind("samplernn", "ddsp")
DDSP = generators_of_kind("ddsp")
JUKEBOX = generators_of_kind("jukebox")
EXTERNAL = generators_of_kind("samples", "command")
DEMO_SAMPLES = [
    g for g in generators_of_kind("samples") if "demo_clips" in config["generators"][g]
]
VARIANTS = ["baseline"] + GENERATORS
# Oracle-kind generators that copy an artist-disjoint hold-out (one carve of train serves them all).
HOLDOUT_ORACLES = [
    g
    for g in generators_of_kind("oracle")
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


wildcard_constraints:
    labelset="|".join(LABELSETS),
    split="|".join(SPLITS),
    variant="|".join(VARIANTS),
    generator="|".join(GENERATORS) or "NO_GENERATOR",
    trial=r"\d+",
    shard=r"\d+",
    archive=r"[A-Za-z0-9_.-]+",


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


def get_plan_inputs(wildcards):
    """The budget comes from train; the oracle's hold-out mode draws its sources from the pool."""
    inputs = {"train": f"results/data/{wildcards.labelset}/train.tsv"}
    if wildcards.generator in HOLDOUT_ORACLES:
        inputs["pool"] = f"results/data/{wildcards.labelset}/oracle_pool.tsv"
    if KIND[wildcards.generator] == "samples":
        inputs.update(get_samples_inputs(wildcards.generator, wildcards.labelset))
    return inputs


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
    if KIND[wildcards.generator] != "samples":
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


def get_generated_features(generator, labelset):
    base = f"results/features/{generator}/{labelset}/shard-0"
    return {"index": f"{base}.tsv", "npy": f"{base}.npy"}


def get_generator_resource(wildcards, key, default):
    return (
        config["generators"][wildcards.generator].get("resources", {}).get(key, default)
    )


def get_generator_config(wildcards):
    return config["generators"][wildcards.generator]


def get_generator_kind(wildcards):
    return KIND[wildcards.generator]


def get_ddsp_feature_table(wildcards):
    if wildcards.part == "sources":
        return f"results/augment/{wildcards.generator}/{wildcards.labelset}/sources.tsv"
    return f"results/data/{wildcards.labelset}/{wildcards.part}.tsv"


def get_generator_training_inputs(wildcards):
    inputs = {
        "train": f"results/data/{wildcards.labelset}/train.tsv",
        "validation": f"results/data/{wildcards.labelset}/validation.tsv",
    }
    if KIND[wildcards.generator] == "ddsp":
        features = (
            f"results/generators/{wildcards.generator}/{wildcards.labelset}/features"
        )
        inputs["train_features"] = f"{features}/train.npz"
        inputs["validation_features"] = f"{features}/validation.npz"
    return inputs


def get_generation_inputs(wildcards):
    base = f"{wildcards.generator}/{wildcards.labelset}"
    inputs = {
        "checkpoint": f"results/generators/{base}/checkpoint.pt",
        "sources": f"results/augment/{base}/sources.tsv",
    }
    if KIND[wildcards.generator] == "ddsp":
        inputs["features"] = f"results/generators/{base}/features/sources.npz"
    return inputs


def get_train_manifest(wildcards):
    if wildcards.variant == "baseline":
        return f"results/data/{wildcards.labelset}/train.tsv"
    return f"results/augment/{wildcards.variant}/{wildcards.labelset}/train.tsv"


def get_classifier_features(wildcards):
    indexes = get_feature_indexes("train") + get_feature_indexes("validation")
    if wildcards.variant != "baseline":
        indexes.append(
            get_generated_features(wildcards.variant, wildcards.labelset)["index"]
        )
    return indexes


def get_classifier_shards(wildcards):
    shards = get_feature_shards("train") + get_feature_shards("validation")
    if wildcards.variant != "baseline":
        shards.append(
            get_generated_features(wildcards.variant, wildcards.labelset)["npy"]
        )
    return shards


def get_confusion_inputs(wildcards):
    """Baseline: the test split; a generator: its clips, classified by the baseline classifier."""
    if wildcards.variant == "baseline":
        pattern = "results/predictions/{labelset}/baseline/trial-{trial}/test.tsv"
        manifest = f"results/data/{wildcards.labelset}/test.tsv"
    else:
        pattern = "results/predictions/{labelset}/baseline/trial-{trial}/generated_{variant}.tsv"
        manifest = (
            f"results/generated/{wildcards.variant}/{wildcards.labelset}/manifest.tsv"
        )
    predictions = expand(
        pattern, labelset=wildcards.labelset, variant=wildcards.variant, trial=TRIALS
    )
    return {"predictions": predictions, "manifest": manifest}


def get_confusion_title(wildcards):
    """{variant} is replaced by the variant's display name (augeval.generators.display_name)."""
    if wildcards.variant == "baseline":
        return f"{wildcards.labelset}: test split classified by the baseline classifier"
    return (
        f"{wildcards.labelset}: {{variant}} clips classified by the baseline classifier"
    )


def get_pretrained_jukebox_configs():
    """Jukebox generators that load pretrained weights (what fetch_jukebox_weights downloads)."""
    return {
        g: config["generators"][g]
        for g in JUKEBOX
        if config["generators"][g].get("init", "pretrained") == "pretrained"
    }


def get_table3_inputs(wildcards):
    def per_variant(pattern):
        return expand(
            pattern, labelset=wildcards.labelset, variant=VARIANTS, trial=TRIALS
        )

    return {
        "metrics": per_variant(
            "results/metrics/{labelset}/{variant}/trial-{trial}.tsv"
        ),
        "test": per_variant(
            "results/predictions/{labelset}/{variant}/trial-{trial}/test.tsv"
        ),
        "validation": per_variant(
            "results/predictions/{labelset}/{variant}/trial-{trial}/validation.tsv"
        ),
        "test_manifest": f"results/data/{wildcards.labelset}/test.tsv",
        "validation_manifest": f"results/data/{wildcards.labelset}/validation.tsv",
    }


def get_trial_metrics(wildcards):
    return expand(
        "results/metrics/{labelset}/{variant}/trial-{trial}.tsv",
        labelset=wildcards.labelset,
        variant=wildcards.variant,
        trial=TRIALS,
    )


def get_final_output():
    per_labelset = [
        "results/tables/table3_{labelset}.md",
        "results/figures/class_durations_{labelset}.pdf",
    ]
    per_variant = [
        "results/metrics/{labelset}/{variant}/summary.tsv",
        "results/figures/confusion_{labelset}_{variant}.pdf",
    ]
    per_labelset.append("results/data/{labelset}/rejected.tsv")
    return (
        ["results/tables/table1_durations.tsv"]
        + expand(per_labelset, labelset=LABELSETS)
        + expand(per_variant, labelset=LABELSETS, variant=VARIANTS)
        + get_beyond_output()
    )


# ---------------------------------------------------------------------------------------------
# Beyond the paper (issue 11): ratio sweep, Fréchet distance, train-on-generated (CAS).
# Rules: sweep.smk, distance.smk, cas.smk. Kept apart from the functions above to ease merging.
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


wildcard_constraints:
    frac="|".join(re.escape(f) for f in SWEEP_EXTRA) or "NO_SWEEP",


def get_sweep_policy(wildcards):
    """The augmentation policy of one sweep point: the configured one at another fraction."""
    return config.get("augment", {}) | {"fraction": float(wildcards.frac)}


def get_sweep_generation_inputs(wildcards):
    inputs = get_generation_inputs(wildcards)
    base = f"{wildcards.generator}/{wildcards.labelset}"
    inputs["sources"] = f"results/augment/{base}/frac-{wildcards.frac}/sources.tsv"
    if "features" in inputs:
        inputs["features"] = (
            f"results/generators/{base}/features/frac-{wildcards.frac}/sources.npz"
        )
    return inputs


def get_sweep_generated_features(wildcards):
    base = f"results/features/{wildcards.variant}/{wildcards.labelset}/frac-{wildcards.frac}"
    return {"index": f"{base}/shard-0.tsv", "npy": f"{base}/shard-0.npy"}


def get_sweep_classifier_features(wildcards):
    return (
        get_feature_indexes("train")
        + get_feature_indexes("validation")
        + [get_sweep_generated_features(wildcards)["index"]]
    )


def get_sweep_classifier_shards(wildcards):
    return (
        get_feature_shards("train")
        + get_feature_shards("validation")
        + [get_sweep_generated_features(wildcards)["npy"]]
    )


def sweep_run_dir(kind, labelset, generator, frac):
    """results/{kind}/{labelset}/{generator}[/frac-{f}]: the Table III run at the default
    fraction (shared, never trained twice), a sweep run at any other."""
    base = f"results/{kind}/{labelset}/{generator}"
    return base if frac == SWEEP_DEFAULT else f"{base}/frac-{frac}"


def get_sweep_points():
    """(generator, fraction tag) of every sweep point, baseline first (fraction 0)."""
    return [("baseline", "0")] + [
        (g, f) for g in SWEEP_GENERATORS for f in SWEEP_FRACTIONS
    ]


def get_sweep_inputs(wildcards):
    metrics, test = [], []
    for generator, frac in get_sweep_points():
        if generator == "baseline":
            metric_base = f"results/metrics/{wildcards.labelset}/baseline"
            pred_base = f"results/predictions/{wildcards.labelset}/baseline"
        else:
            metric_base = sweep_run_dir("metrics", wildcards.labelset, generator, frac)
            pred_base = sweep_run_dir(
                "predictions", wildcards.labelset, generator, frac
            )
        metrics += [f"{metric_base}/trial-{t}.tsv" for t in TRIALS]
        test += [f"{pred_base}/trial-{t}/test.tsv" for t in TRIALS]
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
        manifests.append(
            f"results/generated/{generator}/{wildcards.labelset}/manifest.tsv"
        )
        generated = get_generated_features(generator, wildcards.labelset)
        features.append(generated["index"])
        shards.append(generated["npy"])
    return {
        "checkpoint": f"results/classifier/{wildcards.labelset}/baseline/trial-{wildcards.trial}/checkpoint.pt",
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
        + [
            f"results/generated/{g}/{wildcards.labelset}/manifest.tsv"
            for g in DISTANCE_GENERATORS
        ],
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


def get_cas_classifier_features(wildcards):
    generated = get_generated_features(wildcards.variant, wildcards.labelset)
    return get_feature_indexes("validation") + [generated["index"]]


def get_cas_classifier_shards(wildcards):
    generated = get_generated_features(wildcards.variant, wildcards.labelset)
    return get_feature_shards("validation") + [generated["npy"]]


def get_cas_table_inputs(wildcards):
    def runs(pattern, variants):
        return expand(
            pattern, labelset=wildcards.labelset, variant=variants, trial=TRIALS
        )

    return {
        "cas_metrics": runs(
            "results/metrics/{labelset}/{variant}/cas/trial-{trial}.tsv", CAS_GENERATORS
        ),
        "real_metrics": runs(
            "results/metrics/{labelset}/{variant}/trial-{trial}.tsv", ["baseline"]
        ),
        "cas_test": runs(
            "results/predictions/{labelset}/{variant}/cas/trial-{trial}/test.tsv",
            CAS_GENERATORS,
        ),
        "real_test": runs(
            "results/predictions/{labelset}/{variant}/trial-{trial}/test.tsv",
            ["baseline"],
        ),
        "test_manifest": f"results/data/{wildcards.labelset}/test.tsv",
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
