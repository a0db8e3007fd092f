"""Rule ddsp_features: gather a feature part's shards into the one cache DDSP's rules read."""

from augeval.generators.ddsp_features import gather_features
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    gather_features(sm.input.shards, sm.output[0])


run_logged(sm.log[0], main)
