"""Rule demo_corpus: synthesise the embedded demo corpus (audio + MTG-Jamendo-format metadata)."""

from pathlib import Path

from augeval.data.demo import make_demo_corpus
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    demo = sm.params.demo  # defaults: filled in from the config schema
    make_demo_corpus(
        Path(sm.output.metadata).parent,
        tags=list(sm.params.tags),
        n_tracks=demo["n_tracks"],
        clip_seconds=tuple(demo["clip_seconds"]),
        sample_rate=demo["sample_rate"],
        multi_label_fraction=demo["multi_label_fraction"],
        split_fractions=tuple(demo["split_fractions"]),
        seed=sm.params.seed,
    )


run_logged(sm.log[0], main)
