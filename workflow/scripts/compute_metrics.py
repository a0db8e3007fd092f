"""Rule compute_metrics: MediaEval 2019 metrics of every trial of one run on the test split
(thresholds from validation or test, see augeval.metrics), and their mean and standard deviation
over trials. One process for all trials: the work is smaller than a process start."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.data.manifest import label_matrix, read_manifest
from augeval.logs import run_logged
from augeval.metrics import evaluate
from augeval.predictions import aligned_scores, read_predictions
from augeval.stats import summarize_trials

sm = snakemake  # noqa: F821  (injected by Snakemake)


def load(predictions_path, manifest):
    predictions = pd.read_csv(predictions_path, sep="\t", nrows=0)
    classes = [c for c in predictions.columns if c != "track_id"]
    scores = aligned_scores(read_predictions(predictions_path, classes), manifest, classes)
    return label_matrix(manifest, classes), scores


def main():
    test_manifest = read_manifest(sm.input.test_manifest)
    validation_manifest = read_manifest(sm.input.validation_manifest)
    tables = []
    inputs = zip(sm.input.test, sm.input.validation, sm.output.trials, strict=True)
    for test, validation, out in inputs:
        y_test, s_test = load(test, test_manifest)
        y_val, s_val = load(validation, validation_manifest)
        table = evaluate(y_test, s_test, y_val, s_val)
        write_tsv(table, out, float_format="%.6f")
        # the summary reads the trials as written, as the separate summary job did
        tables.append(pd.read_csv(out, sep="\t"))
    write_tsv(summarize_trials(tables), sm.output.summary, float_format="%.6f")


run_logged(sm.log[0], main)
