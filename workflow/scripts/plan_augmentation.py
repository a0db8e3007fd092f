"""Rule plan_augmentation: the budget and the sources one generator must turn into clips in one
run (the augmentation policy, augeval.policy); the score run of a samples generator takes every
clip of its folder/TSV (take_all)."""

from augeval.atomic import write_tsv
from augeval.data.labels import labelset_from_config
from augeval.data.manifest import read_manifest
from augeval.generators.external import read_sample_pool
from augeval.generators.registry import REGISTRY
from augeval.logs import run_logged
from augeval.policy import check_pool_classes, plan_run
from augeval.seeding import derive_seed

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    name, labelset_name = sm.wildcards.generator, sm.wildcards.labelset
    labelset = labelset_from_config(labelset_name, sm.params.labels)
    classes = list(labelset.classes)
    gen = sm.params.generator | {"kind": sm.params.kind}  # the budget's clip length is the kind's
    mode = REGISTRY[sm.params.kind].sources
    pool = samples = None
    if "pool" in sm.input.keys():  # the oracle's hold-out mode
        pool = read_manifest(sm.input.pool, labelset.classes)
        check_pool_classes(pool, classes, sm.input.pool, name)
    if mode == "samples":  # the folder as the workflow resolved it
        samples = read_sample_pool(gen | {"dir": sm.params.samples_dir}, labelset_name, classes)
    # the seed names no generator: every generator of the label set draws from the same lists
    budget, sources = plan_run(
        read_manifest(sm.input.train, labelset.classes), labelset.classes, sm.params.augment, gen,
        sources_mode=mode, seed=derive_seed(sm.params.seed, "augment", labelset_name),
        clip_prefix=f"{name}_{labelset_name}", visible_seconds=sm.params.visible_seconds,
        pool=pool, samples=samples, take_all=sm.params.take_all,
    )  # fmt: skip
    for table, path in ((budget, sm.output.budget), (sources, sm.output.sources)):
        write_tsv(table, path, float_format="%.3f")


run_logged(sm.log[0], main)
