"""Rule augment_train: real train rows + the generator's clips = the variant's train manifest."""

from augeval.augment import augmented_train
from augeval.data.manifest import read_manifest, write_manifest
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    write_manifest(
        augmented_train(read_manifest(sm.input.train), read_manifest(sm.input.generated)),
        sm.output[0],
    )


run_logged(sm.log[0], main)
