"""Rule controls_check: one row per expectation on the study's controls (oracle above, copy not
below, noise not above the baseline), from Table III's TSV (augeval.controls_check)."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.controls_check import check_controls
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    cfg = sm.params.tables  # defaults: filled in from the config schema
    table = pd.read_csv(sm.input.table3, sep="\t")
    check = check_controls(
        table, sm.params.controls, min_trials=cfg["min_trials"], margin=cfg["controls_margin"]
    )
    write_tsv(check, sm.output[0], float_format="%.6f", na_rep="nan")


run_logged(sm.log[0], main)
