"""Rule ddsp_feature_shard: DDSP's f0 and loudness for one shard of a feature part (resumable)."""

import pandas as pd

from augeval.generators.ddsp_features import cache_feature_shard
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    table = pd.read_csv(sm.input.table, sep="\t", dtype={"track_id": str, "clip_id": str})
    cache_feature_shard(
        table,
        sm.params.features,
        sm.wildcards.part,
        int(sm.wildcards.shard),
        sm.params.n_shards,
        sm.output[0],
        threads=sm.threads,
    )


run_logged(sm.log[0], main)
