"""Rule summarize_ratio_sweep: per generator and augmentation fraction (baseline = 0), the test
metric's trial mean ± std and its bootstrap 95 % CI over test tracks."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.beyond_tables import sweep_table
from augeval.data.manifest import label_matrix, read_manifest
from augeval.logs import run_logged
from augeval.predictions import aligned_scores, read_predictions
from augeval.seeding import derive_seed

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    n = sm.params.trials
    points = [(g, float(f)) for g, f in sm.params.points]
    manifest = read_manifest(sm.input.test_manifest)
    classes = list(pd.read_csv(sm.input.test[0], sep="\t", nrows=0).columns[1:])
    metrics, scores = {}, {}
    for k, point in enumerate(points):  # inputs are point-major, trial-minor
        paths = slice(k * n, (k + 1) * n)
        metrics[point] = [pd.read_csv(p, sep="\t") for p in sm.input.metrics[paths]]
        scores[point] = [
            aligned_scores(read_predictions(p, classes), manifest, classes)
            for p in sm.input.test[paths]
        ]
    table = sweep_table(
        metrics,
        scores,
        label_matrix(manifest, classes),
        sm.params.metric,
        sm.params.n_bootstrap,
        derive_seed(sm.params.seed, "sweep", sm.wildcards.labelset),
    )
    write_tsv(table, sm.output[0], float_format="%.6f")


run_logged(sm.log[0], main)
