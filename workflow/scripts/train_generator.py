"""Rule train_generator: train a generator (SampleRNN, DDSP) on one label set's train split."""

from augeval.data.manifest import read_manifest
from augeval.generators import generator_config, make_generator
from augeval.logs import run_logged
from augeval.seeding import derive_seed, set_deterministic

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    set_deterministic(sm.threads)
    name, labelset = sm.wildcards.generator, sm.wildcards.labelset
    extra = {}
    if "train_features" in sm.input.keys():
        extra = {
            "train_features": sm.input.train_features,
            "validation_features": sm.input.validation_features,
        }
    make_generator(sm.params.kind, name).fit(
        read_manifest(sm.input.train),
        read_manifest(sm.input.validation),
        generator_config(sm.params.generator),
        sm.output[0],
        derive_seed(sm.params.seed, "fit", name, labelset),
        **extra,
    )


run_logged(sm.log[0], main)
