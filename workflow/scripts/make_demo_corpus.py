"""Rule demo_corpus: synthesise the embedded demo corpus (audio + MTG-Jamendo-format metadata)."""

from pathlib import Path

from augeval.data.demo import make_demo_corpus
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    demo = sm.params.demo
    make_demo_corpus(
        Path(sm.output.metadata).parent,
        tags=list(sm.params.tags),
        n_tracks=demo["n_tracks"],
        clip_seconds=tuple(demo["clip_seconds"]),
        sample_rate=demo.get("sample_rate", 16000),
        multi_label_fraction=demo.get("multi_label_fraction", 0.3),
        seed=sm.params.seed,
    )


run_logged(sm.log[0], main)
