"""Rules generate_control / generate_model: turn the policy's sources into generated clips."""

from pathlib import Path

import pandas as pd

from augeval.data.labels import labelset_from_config
from augeval.data.manifest import write_manifest
from augeval.generators import generator_config, make_generator
from augeval.logs import run_logged
from augeval.seeding import derive_seed, set_deterministic

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    set_deterministic(sm.threads)
    name, labelset_name = sm.wildcards.generator, sm.wildcards.labelset
    kind = sm.params.kind
    labels = sm.config["labels"]
    cfg = generator_config(sm.params.generator)
    if kind == "command":  # the command's prime length is the policy's excerpt
        cfg["source_seconds"] = sm.params.generator.get("source_seconds", cfg["clip_seconds"])
    if kind == "oracle" and not cfg.get("holdout_fraction"):  # synthesised: a class's tags
        cfg["class_tags"] = labelset_from_config(labelset_name, labels).class_tags(labels["tags"])
    sources = pd.read_csv(sm.input.sources, sep="\t", dtype={"clip_id": str, "track_id": str})
    extra = {"features": sm.input.features} if "features" in sm.input.keys() else {}
    manifest = make_generator(kind, name).generate(
        sm.input.checkpoint if "checkpoint" in sm.input.keys() else None,
        sources,
        cfg,
        Path(sm.output[0]).parent,
        derive_seed(sm.params.seed, "generate", name, labelset_name),
        **extra,
    )
    write_manifest(manifest, sm.output[0])


run_logged(sm.log[0], main)
