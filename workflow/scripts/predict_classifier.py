"""Rules predict_classifier / predict_generated: class probabilities for every track of a
manifest (a real split, or a generator's clips scored by the baseline classifier)."""

import torch

from augeval.classifier.predict import predict_manifest, write_predictions
from augeval.data.manifest import read_manifest
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    torch.set_num_threads(sm.threads)
    predictions = predict_manifest(
        sm.input.checkpoint,
        read_manifest(sm.input.manifest),
        sm.input.features,
        sm.params.batch_size,
    )
    write_predictions(predictions, sm.output[0])


run_logged(sm.log[0], main)
