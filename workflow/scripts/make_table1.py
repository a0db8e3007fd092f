"""Rule make_table1: hours per label set and split (whole tracks, classifier-visible part) beside
the paper's Table I."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.data.manifest import read_manifest
from augeval.logs import run_logged
from augeval.tables import durations_table

sm = snakemake  # noqa: F821  (injected by Snakemake)


def read_audit_counts(path):
    return pd.read_csv(path, sep="\t", dtype=str)["split"].value_counts().to_dict()


def main():
    keys = [(ls, split) for ls in sm.params.labelsets for split in sm.params.splits]
    manifests = {key: read_manifest(p) for key, p in zip(keys, sm.input.manifests, strict=True)}
    rejected = {}
    for labelset, path in zip(sm.params.labelsets, sm.input.rejected, strict=True):
        for split, n in read_audit_counts(path).items():
            rejected[(labelset, split)] = n
    table = durations_table(manifests, sm.params.visible_seconds, rejected)
    write_tsv(table, sm.output[0], float_format="%.3f")


run_logged(sm.log[0], main)
