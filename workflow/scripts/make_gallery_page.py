"""Rule make_gallery_page: one class's listening page (augeval.gallery): real clips of the class
and each generator's most and least recognisable clips, with players, mel images and scores."""

import numpy as np
import pandas as pd

from augeval.atomic import write_text
from augeval.data.labels import labelset_from_config
from augeval.data.manifest import read_manifest
from augeval.gallery import build_class_page
from augeval.logs import run_logged
from augeval.predictions import aligned_scores, read_predictions
from augeval.seeding import derive_seed

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    w, trials = sm.wildcards, sm.params.trials
    classes = list(labelset_from_config(w.labelset, sm.params.labels).classes)
    generators = list(sm.params.generators)
    clips = {
        g: pd.read_csv(p, sep="\t", dtype={"track_id": str})
        for g, p in zip(generators, sm.input.clips, strict=True)
    }
    manifests, scores = [], []
    predictions = list(sm.input.real_predictions)  # ordered split, then trial
    for k, path in enumerate(sm.input.real_manifests):
        manifest = read_manifest(path, classes)
        per_trial = predictions[k * trials : (k + 1) * trials]
        scores.append(
            np.mean(
                [
                    aligned_scores(read_predictions(p, classes), manifest, classes)
                    for p in per_trial
                ],
                axis=0,
            )
        )
        manifests.append(manifest)
    page = build_class_page(
        labelset=w.labelset,
        label=w.label,
        classes=classes,
        generators=clips,
        display_names=dict(sm.params.display_names),
        real=pd.concat(manifests, ignore_index=True),
        real_scores=np.concatenate(scores),
        settings=sm.params.settings,
        features=sm.params.features,
        n_trials=trials,
        seed=derive_seed(sm.params.seed, "gallery", w.labelset, w.label),
    )
    write_text(sm.output[0], page)


run_logged(sm.log[0], main)
