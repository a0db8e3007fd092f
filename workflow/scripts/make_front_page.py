"""Rule make_front_page: the report's verdict page (augeval.front_page) from Table III, the
controls check (when the workflow builds one) and every generator's score tables."""

import pandas as pd

from augeval.atomic import write_text
from augeval.front_page import front_page, score_rows
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def by_labelset(paths, labelsets, generators):
    """Input lists are expanded label-set-major, generator-minor."""
    n = len(generators)
    return {
        labelset: dict(zip(generators, paths[k * n : (k + 1) * n], strict=True))
        for k, labelset in enumerate(labelsets)
    }


def read(path):
    return pd.read_csv(path, sep="\t")


def main():
    labelsets, generators = list(sm.params.labelsets), list(sm.params.generators)
    summaries = by_labelset(list(sm.input.summaries), labelsets, generators)
    clips = by_labelset(list(sm.input.clips), labelsets, generators)
    checks = dict.fromkeys(labelsets)
    if hasattr(sm.input, "controls_check"):
        checks = {ls: read(p) for ls, p in zip(labelsets, sm.input.controls_check, strict=True)}
    page = front_page(
        labelsets=labelsets,
        table3={ls: read(p) for ls, p in zip(labelsets, sm.input.table3, strict=True)},
        controls_check=checks,
        scores={
            ls: score_rows(
                {g: read(p) for g, p in summaries[ls].items()},
                {g: read(p) for g, p in clips[ls].items()},
            )
            for ls in labelsets
        },
        metric=sm.params.metric,
        controls=list(sm.params.controls),
        display_names=dict(sm.params.display_names),
        trials=sm.params.trials,
    )
    write_text(sm.output[0], page)


run_logged(sm.log[0], main)
