"""Rule ddsp_features: cache DDSP's f0 and loudness for a manifest or a sources table."""

import pandas as pd

from augeval.generators import generator_config
from augeval.generators.ddsp_features import cache_features
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    table = pd.read_csv(sm.input.table, sep="\t", dtype={"track_id": str, "clip_id": str})
    cache_features(table, generator_config(sm.params.generator), sm.output[0])


run_logged(sm.log[0], main)
