"""Rule train_generator: train a generator (a kind that trains) on one label set's train split."""

from pathlib import Path

from augeval.data.manifest import read_manifest
from augeval.device import config_precision
from augeval.generators import generator_config, make_generator
from augeval.generators.base import FitJob
from augeval.logs import run_logged
from augeval.seeding import derive_seed, set_deterministic

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    set_deterministic(sm.threads)
    name, labelset = sm.wildcards.generator, sm.wildcards.labelset
    features = {
        split: Path(sm.input[f"{split}_features"])
        for split in ("train", "validation")
        if f"{split}_features" in sm.input.keys()
    }
    job = FitJob(
        name=name,
        labelset=labelset,
        cfg=generator_config(sm.params.generator),
        train=read_manifest(sm.input.train),
        validation=read_manifest(sm.input.validation),
        checkpoint=Path(sm.output[0]),
        seed=derive_seed(sm.params.seed, "fit", name, labelset),
        features=features,
    )
    with config_precision(job.cfg):
        make_generator(sm.params.kind, name).fit(job)


run_logged(sm.log[0], main)
