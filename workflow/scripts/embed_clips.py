"""Rule embed_clips: the baseline classifier's chunk embeddings (the features its heads read) of
the real reference splits and of each generator's clips; one .npz per label set and trial with
``<set>.track_id`` and ``<set>.embedding`` (n_clips, n_chunks, hidden) per clip set."""

import numpy as np
import torch

from augeval.atomic import atomic_path
from augeval.classifier.predict import embed_manifest
from augeval.data.manifest import read_manifest
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    torch.set_num_threads(sm.threads)
    features = list(sm.input.features)
    arrays = {}
    for name, manifest in zip(sm.params.sets, sm.input.manifests, strict=True):
        ids, embeddings = embed_manifest(
            sm.input.checkpoint, read_manifest(manifest), features, sm.params.batch_size
        )
        arrays[f"{name}.track_id"] = np.array(ids, dtype=str)
        arrays[f"{name}.embedding"] = embeddings
    with atomic_path(sm.output[0]) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


run_logged(sm.log[0], main)
