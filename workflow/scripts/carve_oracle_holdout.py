"""Rule carve_oracle_holdout: move whole artists out of the train metadata into the oracle pool."""

from augeval.atomic import write_text
from augeval.data.holdout import carve_holdout
from augeval.data.mtg import format_metadata, read_metadata
from augeval.logs import run_logged
from augeval.seeding import derive_seed

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    kept, pool = carve_holdout(
        read_metadata(sm.input.train),
        list(sm.params.tags),
        fraction=sm.params.fraction,
        seed=derive_seed(sm.params.seed, "oracle_holdout"),
    )
    write_text(sm.output.train, format_metadata(kept))
    write_text(sm.output.pool, format_metadata(pool))


run_logged(sm.log[0], main)
