"""Rule make_cas_table: train-on-generated, test-on-real (CAS) against train-on-real, overall and
per class."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.beyond_tables import cas_table
from augeval.data.manifest import label_matrix, read_manifest
from augeval.logs import run_logged
from augeval.metrics import fitted_mode
from augeval.predictions import aligned_scores, read_predictions
from augeval.tables import per_class_table

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    n = sm.params.trials
    generators = list(sm.params.generators)
    read = lambda paths: [pd.read_csv(p, sep="\t") for p in paths]  # noqa: E731
    cas_metrics = {
        g: read(sm.input.cas_metrics[k * n : (k + 1) * n]) for k, g in enumerate(generators)
    }
    # The metric TSVs hold fitted-threshold F1 only: CAS reports the first fitted mode.
    thresholds = fitted_mode(sm.params.thresholds)
    table = cas_table(cas_metrics, read(sm.input.real_metrics), thresholds)

    manifest = read_manifest(sm.input.test_manifest)
    classes = list(pd.read_csv(sm.input.real_test[0], sep="\t", nrows=0).columns[1:])

    def scores(paths):
        return [aligned_scores(read_predictions(p, classes), manifest, classes) for p in paths]

    per_run = {"baseline": scores(sm.input.real_test)}
    for k, g in enumerate(generators):
        per_run[g] = scores(sm.input.cas_test[k * n : (k + 1) * n])
    per_class = per_class_table(label_matrix(manifest, classes), per_run, classes)
    for frame, path in ((table, sm.output.table), (per_class, sm.output.per_class)):
        write_tsv(frame, path, float_format="%.6f", na_rep="nan")


run_logged(sm.log[0], main)
