"""Rule make_which_generator: per class and generator, the augmentation gain, the Fréchet
distance, the recognisability (diagonal of the Fig. 2/3 confusion) and, where run, the CAS;
plus the Spearman rank correlations between them."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.beyond_tables import rank_correlations, which_generator_table
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    confusions = {
        g: pd.read_csv(p, sep="\t", index_col=0)
        for g, p in zip(sm.params.generators, sm.input.confusions, strict=True)
    }
    cas = (
        pd.read_csv(sm.input.cas_per_class, sep="\t")
        if "cas_per_class" in sm.input.keys()
        else None
    )
    gain = f"gain_{sm.params.gain}"
    table = which_generator_table(
        pd.read_csv(sm.input.per_class, sep="\t"),
        pd.read_csv(sm.input.distance, sep="\t"),
        confusions,
        cas,
        gain=sm.params.gain,
    )
    pairs = [
        ("fd", gain),
        ("fd_excess", gain),
        ("recognisability", gain),
        ("fd", "recognisability"),
    ]
    if table["cas_roc_auc"].notna().any():
        pairs.append(("cas_roc_auc", gain))
    correlations = rank_correlations(table, pairs)
    for frame, path in ((table, sm.output.table), (correlations, sm.output.correlations)):
        write_tsv(frame, path, float_format="%.6g", na_rep="nan")


run_logged(sm.log[0], main)
