"""Rule download_jukebox_weights (target: fetch_jukebox_weights): download a Jukebox model's
weight files into its weights_dir with checksums; opt-in, needs internet."""

from augeval.atomic import atomic_path
from augeval.generators import generator_config
from augeval.generators.jukebox import fetch_weights, settings
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    cfg = settings(generator_config(sm.params.generator))
    table = fetch_weights(
        cfg["model"], cfg["weights_dir"], cfg["checksums"], base_url=cfg["weights_url"]
    )
    with atomic_path(sm.output[0]) as tmp:
        table.to_csv(tmp, sep="\t", index=False)


run_logged(sm.log[0], main)
