"""Rules predict_classifier / predict_generated: class probabilities for every track of one or
more manifests (the real validation/test splits, or a generator's clips scored by the baseline
classifier) under every trial's classifier of a run; one prediction TSV per trial and manifest.
One process for all trials: each prediction is smaller than a process start. Resumes after a
kill at the first unfinished batch (augeval.classifier.predict.predict_outputs)."""

from augeval.classifier.predict import predict_outputs
from augeval.logs import run_logged
from augeval.seeding import set_deterministic

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    set_deterministic(sm.threads)
    predict_outputs(
        list(sm.input.checkpoints),
        list(sm.input.manifests),
        list(sm.input.features),
        sm.params.batch_size,
        list(sm.output),  # trial-major: each trial's manifests in order
    )


run_logged(sm.log[0], main)
