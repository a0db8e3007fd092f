"""Rule generate_control: clips of a control generator (copy, noise, oracle) for one label set."""

from pathlib import Path

import pandas as pd

from augeval.data.labels import labelset_from_config
from augeval.data.manifest import write_manifest
from augeval.generators.controls import make_control
from augeval.logs import run_logged
from augeval.seeding import derive_seed

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    labels = sm.params.labels
    labelset = labelset_from_config(sm.wildcards.labelset, labels)
    cfg = dict(sm.params.generator, class_tags=labelset.class_tags(labels["tags"]))
    sources = pd.read_csv(sm.input.sources, sep="\t", dtype={"clip_id": str, "track_id": str})
    generator = make_control(sm.wildcards.generator)
    seed = derive_seed(sm.params.seed, "generate", sm.wildcards.generator, sm.wildcards.labelset)
    manifest = generator.generate(None, sources, cfg, Path(sm.output[0]).parent, seed)
    write_manifest(manifest, sm.output[0])


run_logged(sm.log[0], main)
