"""Rule plot_confusion: row-normalised confusion matrix (figure + numeric TSV), counts summed
over trials. Baseline: the test split; a generator: its clips, by the baseline classifier."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.data.manifest import label_matrix, read_manifest
from augeval.logs import run_logged
from augeval.plots import confusion_counts, confusion_frame, plot_confusion
from augeval.predictions import aligned_scores, read_predictions

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    manifest = read_manifest(sm.input.manifest)
    classes = list(pd.read_csv(sm.input.predictions[0], sep="\t", nrows=0).columns[1:])
    y_true = label_matrix(manifest, classes)
    counts = sum(
        confusion_counts(y_true, aligned_scores(read_predictions(p, classes), manifest, classes))
        for p in sm.input.predictions
    )
    title = sm.params.title.replace("{variant}", sm.params.display_name)
    plot_confusion(counts, classes, sm.output.figure, title=title)
    write_tsv(confusion_frame(counts, classes), sm.output.matrix, float_format="%.4f", index=True)


run_logged(sm.log[0], main)
