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
VARIANTS = ["baseline"]
DEMO_DIR = "results/demo"
DEMO_SPLIT = "split-0"  # the demo corpus has one official-style split


wildcard_constraints:
    labelset="|".join(LABELSETS),
    split="|".join(SPLITS),
    eval_split="|".join(EVAL_SPLITS),
    variant="|".join(VARIANTS),
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


def get_train_manifest(wildcards):
    return f"results/data/{wildcards.labelset}/train.tsv"


def get_classifier_features(wildcards):
    return get_feature_indexes("train") + get_feature_indexes("validation")


def get_classifier_shards(wildcards):
    return get_feature_shards("train") + get_feature_shards("validation")


def get_trial_predictions(wildcards):
    return expand(
        "results/predictions/{labelset}/{variant}/trial-{trial}/test.tsv",
        labelset=wildcards.labelset,
        variant=wildcards.variant,
        trial=TRIALS,
    )


def get_trial_metrics(wildcards):
    return expand(
        "results/metrics/{labelset}/{variant}/trial-{trial}.tsv",
        labelset=wildcards.labelset,
        variant=wildcards.variant,
        trial=TRIALS,
    )


def get_final_output():
    return expand(
        "results/metrics/{labelset}/{variant}/summary.tsv",
        labelset=LABELSETS,
        variant=VARIANTS,
    ) + expand(
        "results/figures/confusion_{labelset}_{variant}.pdf",
        labelset=LABELSETS,
        variant=VARIANTS,
    )
