"""Rule frechet_distances: per generator × class, the Fréchet distance between its clips and the
real reference clips of the class (augeval.distance), on the baseline classifier's embeddings,
with the same number of clips on both sides and the real-vs-real floor at that number."""

import logging

import numpy as np

from augeval.atomic import write_tsv
from augeval.data.labels import labelset_from_config
from augeval.data.manifest import label_matrix, read_manifest
from augeval.distance import clip_embeddings, default_clips_per_class, distance_table
from augeval.logs import run_logged
from augeval.seeding import derive_seed

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = logging.getLogger("augeval.distance")


def by_class(embeddings, track_ids, manifest, classes):
    """Clip embeddings of each class's clips (a multi-label clip counts in each of its classes)."""
    row = {t: i for i, t in enumerate(track_ids)}
    x = clip_embeddings(embeddings)[[row[t] for t in manifest["track_id"]]]
    y = label_matrix(manifest, classes)
    return {c: x[y[:, j]] for j, c in enumerate(classes)}


def main():
    classes = list(labelset_from_config(sm.wildcards.labelset, sm.params.labels).classes)
    reference, generators = list(sm.params.reference), list(sm.params.generators)
    manifests = dict(
        zip(reference + generators, map(read_manifest, sm.input.manifests), strict=True)
    )
    trials = []
    for path in sm.input.embeddings:
        data = np.load(path)
        sets = {}
        for name, manifest in manifests.items():
            ids = [str(t) for t in data[f"{name}.track_id"]]
            sets[name] = by_class(data[f"{name}.embedding"], ids, manifest, classes)
        sets["real"] = {c: np.concatenate([sets[s][c] for s in reference]) for c in classes}
        trials.append(sets)
    n = sm.params.clips_per_class or default_clips_per_class(
        {(g, c): len(trials[0][g][c]) for g in generators for c in classes},
        {c: len(trials[0]["real"][c]) for c in classes},
    )
    log.info("Fréchet distances at n = %d clips per class (reference: %s)", n, reference)
    table = distance_table(
        trials,
        classes,
        generators,
        n=n,
        draws=sm.params.draws,
        seed=derive_seed(sm.params.seed, "distance", sm.wildcards.labelset),
    )
    table.insert(2, "reference", "+".join(reference))
    write_tsv(table, sm.output[0], float_format="%.6g", na_rep="nan")


run_logged(sm.log[0], main)
