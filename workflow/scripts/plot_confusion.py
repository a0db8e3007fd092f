"""Rule plot_confusion: row-normalised confusion matrix, counts summed over trials."""

import pandas as pd

from augeval.classifier.predict import aligned_scores, read_predictions
from augeval.data.manifest import label_matrix, read_manifest
from augeval.logs import run_logged
from augeval.plots import confusion_counts, plot_confusion

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    manifest = read_manifest(sm.input.manifest)
    classes = [c for c in pd.read_csv(sm.input.predictions[0], sep="\t", nrows=0).columns][1:]
    y_true = label_matrix(manifest, classes)
    counts = sum(
        confusion_counts(y_true, aligned_scores(read_predictions(p, classes), manifest, classes))
        for p in sm.input.predictions
    )
    plot_confusion(counts, classes, sm.output[0], title=sm.params.title)


run_logged(sm.log[0], main)
