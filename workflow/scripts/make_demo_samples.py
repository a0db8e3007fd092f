"""Rule make_demo_samples: a folder of clips per class standing in for an outside generator."""

import logging

from augeval.data.demo_samples import make_demo_samples
from augeval.data.labels import labelset_from_config
from augeval.logs import run_logged
from augeval.seeding import derive_seed

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = logging.getLogger("augeval.make_demo_samples")


def main():
    labels = sm.params.labels
    labelset = labelset_from_config(sm.wildcards.labelset, labels)
    cfg = sm.params.demo_clips
    rate = cfg["sample_rate"]  # defaults: filled in from the config schema
    written = make_demo_samples(
        sm.output[0],
        labelset.class_tags(labels["tags"]),
        clips_per_class=cfg["clips_per_class"],
        seconds=cfg["seconds"],
        sample_rate=rate,
        seed=derive_seed(sm.params.seed, "demo_samples", sm.wildcards.generator, labelset.name),
        audio_format=cfg["format"],
    )
    for cls, paths in written.items():
        log.info("%s: %d clips of %s s at %d Hz", cls, len(paths), cfg["seconds"], rate)


run_logged(sm.log[0], main)
