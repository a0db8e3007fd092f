"""Rules predict_classifier / predict_generated: class probabilities for every track of one or
more manifests (the real validation/test splits, or a generator's clips scored by the baseline
classifier); one prediction TSV per manifest."""

from augeval.classifier.predict import predict_manifest
from augeval.data.manifest import read_manifest
from augeval.logs import run_logged
from augeval.predictions import write_predictions
from augeval.seeding import set_deterministic

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    set_deterministic(sm.threads)
    features = list(sm.input.features)
    for manifest, out in zip(sm.input.manifests, sm.output, strict=True):
        predictions = predict_manifest(
            sm.input.checkpoint, read_manifest(manifest), features, sm.params.batch_size
        )
        write_predictions(predictions, out)


run_logged(sm.log[0], main)
