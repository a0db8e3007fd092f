"""Rule train_classifier: train one classifier (label set × variant × trial)."""

from augeval.classifier.train import train_classifier
from augeval.data.labels import labelset_from_config
from augeval.data.manifest import read_manifest
from augeval.device import precision, resolve_device
from augeval.features import MelStore
from augeval.logs import run_logged
from augeval.seeding import derive_seed, set_deterministic

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    labelset = labelset_from_config(sm.wildcards.labelset, sm.params.labels)
    set_deterministic(sm.threads)
    # Common random numbers: trial t of every variant starts from the same initial weights and
    # random streams as the baseline's trial t, so paired differences measure the data.
    seed = derive_seed(sm.params.seed, sm.wildcards.labelset, "classifier", sm.wildcards.trial)
    device = resolve_device(sm.params.classifier["device"])
    with precision(sm.params.classifier["precision"], device):
        train_classifier(
            read_manifest(sm.input.train, labelset.classes),
            read_manifest(sm.input.validation, labelset.classes),
            list(labelset.classes),
            MelStore(sm.input.features),
            sm.params.classifier,
            n_mels=sm.params.mel["n_mels"],
            seed=seed,
            checkpoint_path=sm.output[0],
            device=device,
        )


run_logged(sm.log[0], main)
