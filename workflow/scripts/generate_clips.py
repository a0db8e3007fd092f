"""Rules generate_clips / generate_clips_gpu: turn one run's sources into generated clips."""

from pathlib import Path

import pandas as pd

from augeval.data.manifest import write_manifest
from augeval.generators import generator_config, make_generator
from augeval.generators.base import GenerateJob
from augeval.logs import run_logged
from augeval.seeding import derive_seed, set_deterministic

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    set_deterministic(sm.threads)
    name, labelset = sm.wildcards.generator, sm.wildcards.labelset
    section = sm.params.generator
    inputs = sm.input.keys()
    job = GenerateJob(
        name=name,
        labelset=labelset,
        cfg=generator_config(section),
        sources=pd.read_csv(sm.input.sources, sep="\t", dtype={"clip_id": str, "track_id": str}),
        out_dir=Path(sm.output[0]).parent,
        seed=derive_seed(sm.params.seed, "generate", name, labelset),
        checkpoint=Path(sm.input.checkpoint) if "checkpoint" in inputs else None,
        features=Path(sm.input.features) if "features" in inputs else None,
        labels=sm.params.labels,
        source_seconds=section.get("source_seconds", section.get("clip_seconds")),
    )
    write_manifest(make_generator(sm.params.kind, name).generate(job), sm.output[0])


run_logged(sm.log[0], main)
