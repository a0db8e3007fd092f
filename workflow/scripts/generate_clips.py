"""Rules generate_clips / generate_clips_gpu: turn one run's sources into generated clips (or,
for a generator with gen_shards > 1, gather its shards' manifests); rules generate_shard /
generate_shard_gpu: one shard's block of whole batches."""

from pathlib import Path

import pandas as pd

from augeval.data.manifest import write_manifest
from augeval.device import config_precision
from augeval.generators import generator_config, make_generator
from augeval.generators.base import GenerateJob
from augeval.generators.gen_shards import gather_manifests, shard_rows
from augeval.logs import run_logged
from augeval.seeding import derive_seed, set_deterministic

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    inputs = sm.input.keys()
    if "shards" in inputs:
        gather_manifests(list(sm.input.shards), sm.output[0])
        return
    set_deterministic(sm.threads)
    name, labelset = sm.wildcards.generator, sm.wildcards.labelset
    section = sm.params.generator
    sources = pd.read_csv(sm.input.sources, sep="\t", dtype={"clip_id": str, "track_id": str})
    out_dir = Path(sm.output[0]).parent
    if "shard" in sm.wildcards.keys():  # results/generated/.../{run}/shards/shard-{shard}.tsv
        out_dir = out_dir.parent
        n_shards, shard = sm.params.n_shards, int(sm.wildcards.shard)
        rows = shard_rows(len(sources), section["gen_batch_size"], n_shards, shard)
    else:
        rows = None
    job = GenerateJob(
        name=name,
        labelset=labelset,
        cfg=generator_config(section),
        sources=sources,
        out_dir=out_dir,
        seed=derive_seed(sm.params.seed, "generate", name, labelset),
        checkpoint=Path(sm.input.checkpoint) if "checkpoint" in inputs else None,
        features=Path(sm.input.features) if "features" in inputs else None,
        labels=sm.params.labels,
        source_seconds=section.get("source_seconds", section.get("clip_seconds")),
        rows=rows,
        metadata=Path(sm.input.metadata) if "metadata" in inputs else None,
    )
    with config_precision(job.cfg):
        clips = make_generator(sm.params.kind, name).generate(job)
    write_manifest(clips, sm.output[0])


run_logged(sm.log[0], main)
