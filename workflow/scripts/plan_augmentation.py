"""Rule plan_augmentation: the budget arithmetic and the sources each generator must turn into
clips (the augmentation policy, augeval.augment)."""

from augeval.atomic import atomic_path
from augeval.augment import budget_table, draw_sources
from augeval.data.labels import labelset_from_config
from augeval.data.manifest import class_counts, read_manifest
from augeval.errors import DataError
from augeval.generators.external import draw_samples, read_sample_pool
from augeval.logs import run_logged
from augeval.seeding import derive_seed

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    labelset = labelset_from_config(sm.wildcards.labelset, sm.config["labels"])
    train = read_manifest(sm.input.train, labelset.classes)
    policy, gen = sm.params.augment, sm.params.generator  # defaults: from the config schema
    duration = policy["duration"]
    # samples have no clip_seconds: their clips' own lengths replace what depends on it below
    clip_seconds = 1.0 if sm.params.kind == "samples" else gen["clip_seconds"]
    budget = budget_table(
        train, labelset.classes, fraction=policy["fraction"],
        clip_seconds=clip_seconds, duration=duration,
        visible_seconds=sm.params.visible_seconds,
    )  # fmt: skip
    seed = derive_seed(sm.params.seed, "augment", sm.wildcards.generator, sm.wildcards.labelset)
    prefix = f"{sm.wildcards.generator}_{sm.wildcards.labelset}"
    if sm.params.kind == "samples":  # clips of your own: whole clips up to each class's budget
        folder = {"dir": sm.params.samples_dir}  # the folder as the workflow resolved it
        pool = read_sample_pool(gen | folder, sm.wildcards.labelset, list(labelset.classes))
        sources = draw_samples(
            pool, list(labelset.classes), float(budget["budget_seconds_class"].iloc[0]),
            seed=seed, clip_prefix=prefix,
            inherit_other_labels=policy["inherit_other_labels"],
        )  # fmt: skip
        per_class = sources.groupby("drawn_class")["source_seconds"]
        budget["clip_seconds"] = budget["class"].map(per_class.mean())
        budget["n_clips"] = budget["class"].map(per_class.size()).fillna(0).astype(int)
        budget["generated_seconds_class"] = budget["class"].map(per_class.sum())
        write_tables(budget, sources)
        return
    # The oracle's hold-out mode draws from the held-out pool; the budget is still train's.
    pool = train
    if "pool" in sm.input.keys():
        pool = read_manifest(sm.input.pool, labelset.classes)
        counts = class_counts(pool, labelset.classes)
        empty = [c for c in labelset.classes if counts[c] == 0]
        if empty:
            raise DataError(
                f"{sm.input.pool}: the oracle's held-out pool has no track of class(es) {empty}; "
                f"raise generators.{sm.wildcards.generator}.holdout_fraction or drop that "
                "generator (a class held by a single train artist cannot be held out)"
            )

    sources = draw_sources(
        pool, labelset.classes, dict(zip(budget["class"], budget["n_clips"], strict=True)),
        source_seconds=gen.get("source_seconds", gen["clip_seconds"]),
        seed=seed, clip_prefix=prefix,
        duration=duration, visible_seconds=sm.params.visible_seconds,
        inherit_other_labels=policy["inherit_other_labels"],
    )  # fmt: skip
    write_tables(budget, sources)


def write_tables(budget, sources):
    for table, path in ((budget, sm.output.budget), (sources, sm.output.sources)):
        with atomic_path(path) as tmp:
            table.to_csv(tmp, sep="\t", index=False, float_format="%.3f")


run_logged(sm.log[0], main)
