"""Rule summarize_metrics: mean and standard deviation of the metrics over trials."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.logs import run_logged
from augeval.stats import summarize_trials

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    summary = summarize_trials([pd.read_csv(p, sep="\t") for p in sm.input])
    write_tsv(summary, sm.output[0], float_format="%.6f")


run_logged(sm.log[0], main)
