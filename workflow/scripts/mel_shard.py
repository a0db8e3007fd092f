"""Rule mel_shard: one shard of a split's mel-spectrogram cache (tracks of all label sets)."""

import pandas as pd

from augeval.data.manifest import read_manifest
from augeval.features import MelParams, build_shard, shard_rows
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    rows = pd.concat([read_manifest(m)[["track_id", "path"]] for m in sm.input.manifests])
    rows = rows.drop_duplicates("track_id").set_index("track_id")
    ids = shard_rows(list(rows.index), int(sm.wildcards.shard), sm.params.n_shards)
    build_shard(rows.loc[ids].reset_index(), MelParams.from_config(sm.params.mel), *sm.output)


run_logged(sm.log[0], main)
