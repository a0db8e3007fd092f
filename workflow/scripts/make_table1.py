"""Rule make_table1: hours per label set and split (whole tracks, classifier-visible part) beside
the paper's Table I."""

from augeval.atomic import atomic_path
from augeval.data.manifest import read_manifest
from augeval.logs import run_logged
from augeval.tables import durations_table

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    keys = [(ls, split) for ls in sm.params.labelsets for split in sm.params.splits]
    manifests = {key: read_manifest(p) for key, p in zip(keys, sm.input, strict=True)}
    table = durations_table(manifests, sm.params.visible_seconds)
    with atomic_path(sm.output[0]) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.3f")


run_logged(sm.log[0], main)
