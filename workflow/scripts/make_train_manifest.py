"""Rule make_train_manifest: the train manifest of one run's classifier. Real train rows + the
generator's clips (augmentation), or the clips alone (train on generated: refuses any real
train row)."""

from augeval.data.manifest import read_manifest, write_manifest
from augeval.logs import run_logged
from augeval.policy import augmented_train, generated_only_train

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    combine = generated_only_train if sm.params.generated_only else augmented_train
    write_manifest(
        combine(read_manifest(sm.input.train), read_manifest(sm.input.generated)), sm.output[0]
    )


run_logged(sm.log[0], main)
