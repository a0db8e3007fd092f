"""Rule fetch_jukebox_weights (opt-in, needs internet): download the weight files of every
pretrained Jukebox generator into its weights_dir with checksums; one row per file."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.generators import generator_config
from augeval.generators.jukebox_config import settings
from augeval.generators.jukebox_weights import fetch_weights
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    tables = []
    for name, raw in sm.params.generators.items():
        cfg = settings(generator_config(raw))
        table = fetch_weights(
            cfg["model"], cfg["weights_dir"], cfg["checksums"], base_url=cfg["weights_url"]
        )
        table.insert(0, "generator", name)
        tables.append(table)
    columns = ["generator", "file", "path", "bytes", "sha256", "status"]
    out = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)
    write_tsv(out, sm.output[0])


run_logged(sm.log[0], main)
