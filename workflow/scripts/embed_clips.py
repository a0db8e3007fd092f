"""Rules embed_clips / embed_score_clips: the baseline classifier's chunk embeddings (the features
its heads read) of the real reference splits and of each generator's clips; one .npz per label set
and trial with ``<set>.track_id`` and ``<set>.embedding`` (n_clips, n_chunks, hidden) per clip set.
Resumes after a kill at the first unfinished batch (augeval.classifier.predict.embed_outputs)."""

import torch

from augeval.classifier.predict import embed_outputs
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    torch.set_num_threads(sm.threads)
    embed_outputs(
        sm.input.checkpoint,
        list(sm.params.sets),
        list(sm.input.manifests),
        list(sm.input.features),
        sm.params.batch_size,
        sm.output[0],
    )


run_logged(sm.log[0], main)
