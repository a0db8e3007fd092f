"""Rule compute_metrics: MediaEval 2019 metrics of one trial on the test split."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.data.manifest import label_matrix, read_manifest
from augeval.logs import run_logged
from augeval.metrics import evaluate
from augeval.predictions import aligned_scores, read_predictions

sm = snakemake  # noqa: F821  (injected by Snakemake)


def load(predictions_path, manifest_path):
    manifest = read_manifest(manifest_path)
    predictions = pd.read_csv(predictions_path, sep="\t", nrows=0)
    classes = [c for c in predictions.columns if c != "track_id"]
    scores = aligned_scores(read_predictions(predictions_path, classes), manifest, classes)
    return label_matrix(manifest, classes), scores


def main():
    y_test, s_test = load(sm.input.test, sm.input.test_manifest)
    y_val, s_val = load(sm.input.validation, sm.input.validation_manifest)
    table = evaluate(y_test, s_test, y_val, s_val)
    write_tsv(table, sm.output[0], float_format="%.6f")


run_logged(sm.log[0], main)
