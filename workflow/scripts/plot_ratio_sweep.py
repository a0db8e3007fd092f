"""Rule plot_ratio_sweep: test metric vs augmentation fraction per generator, baseline line."""

import pandas as pd

from augeval.logs import run_logged
from augeval.plots import plot_ratio_sweep

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    plot_ratio_sweep(pd.read_csv(sm.input[0], sep="\t"), sm.output[0], title=sm.params.title)


run_logged(sm.log[0], main)
