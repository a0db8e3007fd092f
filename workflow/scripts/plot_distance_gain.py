"""Rule plot_distance_gain: Fréchet distance vs augmentation gain per generator × class, titled
with their Spearman rank correlation."""

import pandas as pd

from augeval.logs import run_logged
from augeval.plots import plot_distance_gain

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    gain = f"gain_{sm.params.gain}"
    table = pd.read_csv(sm.input.table, sep="\t")
    corr = pd.read_csv(sm.input.correlations, sep="\t")
    row = corr[(corr["x"] == "fd") & (corr["y"] == gain) & (corr["level"] == "generator×class")]
    rho, p, n = (row.iloc[0][k] for k in ("spearman_rho", "p_value", "n_points"))
    title = (
        f"{sm.params.labelset}: distance to real vs gain "
        f"(Spearman ρ = {rho:.2f}, p = {p:.2g}, {int(n)} generator×class points)"
    )
    plot_distance_gain(table, sm.output[0], x="fd", y=gain, title=title)


run_logged(sm.log[0], main)
