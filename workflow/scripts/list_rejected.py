"""Rule list_rejected: every track of a label set left out for unusable audio, with the reason."""

from augeval.data.prepare import write_rejected
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    audits = dict(zip(sm.params.splits, sm.input, strict=True))
    write_rejected(audits, sm.wildcards.labelset, sm.output[0])


run_logged(sm.log[0], main)
