"""Rules predict_classifier / predict_generated: class probabilities for every track of one or
more manifests (the real validation/test splits, or a generator's clips scored by the baseline
classifier) under every trial's classifier of a run; one prediction TSV per trial and manifest.
One process for all trials: each prediction is smaller than a process start."""

from pathlib import Path

from augeval.classifier.predict import predict_manifests
from augeval.data.manifest import read_manifest
from augeval.features import MelStore
from augeval.logs import run_logged
from augeval.predictions import write_predictions
from augeval.seeding import set_deterministic

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    set_deterministic(sm.threads)
    store = MelStore(list(sm.input.features))
    manifests = [read_manifest(m) for m in sm.input.manifests]
    outputs = list(sm.output)  # trial-major: each trial's manifests in order
    if len(outputs) != len(sm.input.checkpoints) * len(manifests):
        raise ValueError(f"{len(outputs)} outputs for {len(sm.input.checkpoints)} checkpoints")
    for i, checkpoint in enumerate(sm.input.checkpoints):
        tables = predict_manifests(checkpoint, manifests, store, sm.params.batch_size)
        for table, out in zip(tables, outputs[i * len(manifests) :], strict=False):
            # a trial's predictions live beside its checkpoint's trial folder name
            if Path(out).parent.name != Path(checkpoint).parent.name:
                raise ValueError(f"output {out} does not belong to checkpoint {checkpoint}")
            write_predictions(table, out)


run_logged(sm.log[0], main)
