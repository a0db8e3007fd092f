"""Rule cas_train_manifest: a generator's clips alone, as the train manifest of its
train-on-generated classifier (refuses any real train row)."""

from augeval.augment import generated_only_train
from augeval.data.manifest import read_manifest, write_manifest
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    write_manifest(
        generated_only_train(read_manifest(sm.input.train), read_manifest(sm.input.generated)),
        sm.output[0],
    )


run_logged(sm.log[0], main)
