import os
from pathlib import Path

from snakemake.utils import validate

validate(config, "../schemas/config.schema.yaml")

# Scripts import the augeval library from src/ whether it is pip-installed (.venv) or not (conda).
SRC_DIR = str(Path(workflow.basedir) / "src")
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
VARIANTS = ["baseline"] + GENERATORS
DEMO_DIR = "results/demo"
DEMO_SPLIT = "split-0"  # the demo corpus has one official-style split


wildcard_constraints:
    labelset="|".join(LABELSETS),
    split="|".join(SPLITS),
    variant="|".join(VARIANTS),
    generator="|".join(GENERATORS) or "NO_GENERATOR",
    trial=r"\d+",
    shard=r"\d+",


def get_metadata_dir():
    if config["data"]["source"] == "demo":
        return DEMO_DIR
    return config["data"]["metadata_dir"]


def get_audio_root():
    if config["data"]["source"] == "demo":
        return f"{DEMO_DIR}/audio"
    return config["data"]["audio_root"]


def get_split_metadata(wildcards):
    name = DEMO_SPLIT if config["data"]["source"] == "demo" else config["data"]["split"]
    split_dir = Path(get_metadata_dir()) / "splits" / name
    return str(split_dir / f"autotagging_moodtheme-{wildcards.split}.tsv")


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
    return (
        ["results/tables/table1_durations.tsv"]
        + expand(per_labelset, labelset=LABELSETS)
        + expand(per_variant, labelset=LABELSETS, variant=VARIANTS)
    )
