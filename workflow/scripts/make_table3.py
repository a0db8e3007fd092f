"""Rule make_table3: Table III (baseline vs each generator) with two-stage bootstrap CIs, paired
tests, the controls check's summary line and per-class deltas, and (``equal_steps``) a block of
the augmented variants retrained at equal optimiser steps, against the same baseline. Argmax F1
(``tables.f1_thresholds`` naming ``argmax``) is computed here from the predictions; the per-trial
metric TSVs hold only the fitted-threshold rows."""

import numpy as np
import pandas as pd

from augeval.atomic import write_text, write_tsv
from augeval.controls_check import check_controls
from augeval.data.manifest import label_matrix, read_manifest
from augeval.logs import run_logged
from augeval.metrics import ARGMAX, argmax_metrics, decisions, fit_thresholds, threshold_modes
from augeval.predictions import aligned_scores, read_predictions
from augeval.seeding import derive_seed
from augeval.stats import bootstrap_trials
from augeval.tables import (
    EQUAL_STEPS,
    MAIN_BLOCK,
    block_key,
    build_table3_blocks,
    per_class_table,
    table3_markdown,
)

sm = snakemake  # noqa: F821  (injected by Snakemake)


def by_variant(paths, variants=None):
    """Input lists are expanded variant-major, trial-minor."""
    n = sm.params.trials
    variants = sm.params.variants if variants is None else variants
    return {v: paths[k * n : (k + 1) * n] for k, v in enumerate(variants)}


def block_inputs(name):
    """{(block, variant): trial paths} of input list ``name`` (main) and ``equal_steps_{name}``."""
    out = {(MAIN_BLOCK, v): ps for v, ps in by_variant(getattr(sm.input, name)).items()}
    equal = sm.params.equal_steps
    if equal:
        paths = getattr(sm.input, f"{EQUAL_STEPS}_{name}")
        out |= {(EQUAL_STEPS, v): ps for v, ps in by_variant(paths, equal).items()}
    return out


def main():
    cfg = sm.params.tables  # defaults: filled in from the config schema
    modes = threshold_modes(cfg["f1_thresholds"])
    test_manifest = read_manifest(sm.input.test_manifest)
    val_manifest = read_manifest(sm.input.validation_manifest)
    classes = list(pd.read_csv(sm.input.test[0], sep="\t", nrows=0).columns[1:])
    y = label_matrix(test_manifest, classes)
    y_val = label_matrix(val_manifest, classes)

    metrics = {
        key: [pd.read_csv(p, sep="\t") for p in ps] for key, ps in block_inputs("metrics").items()
    }
    runs, scores = {}, {}  # keyed (block, variant)
    val_paths = block_inputs("validation")
    for variant, paths in block_inputs("test").items():
        runs[variant], scores[variant] = [], []
        for test_path, val_path in zip(paths, val_paths[variant], strict=True):
            s = aligned_scores(read_predictions(test_path, classes), test_manifest, classes)
            validation = None
            if "validation" in modes:  # read only when the thresholds are fitted on it
                s_val = aligned_scores(read_predictions(val_path, classes), val_manifest, classes)
                validation = (y_val, s_val)
            decided = {
                mode: ARGMAX
                if mode == ARGMAX
                else decisions(s, fit_thresholds(mode, (y, s), validation))
                for mode in modes
            }
            runs[variant].append((s, decided))
            scores[variant].append(s)

    if ARGMAX in modes:  # argmax rows of each trial's table, from the same predictions
        for variant, tables in metrics.items():
            for k, s in enumerate(scores[variant]):
                tables[k] = pd.concat([tables[k], argmax_metrics(y, s)], ignore_index=True)

    n_boot = cfg["n_bootstrap"]
    seed = derive_seed(sm.params.seed, "bootstrap", sm.wildcards.labelset)
    keyed = {block_key(*key): r for key, r in runs.items()}
    boot = bootstrap_trials(y, keyed, n_boot, seed) if n_boot > 0 else None
    blocks = {}
    for (block, variant), tables in metrics.items():
        blocks.setdefault(block, {})[variant] = tables
    table = build_table3_blocks(blocks, boot, thresholds=modes)
    if not np.isfinite(table["mean"]).all():  # checked before any output is written
        bad = table.loc[~np.isfinite(table["mean"]), ["block", "variant", "metric", "average"]]
        raise ValueError(f"non-finite Table III means:\n{bad.to_string(index=False)}")
    names = sm.params.display_names
    table["display_name"] = table["variant"].map(lambda v: names.get(v, v))
    write_tsv(table, sm.output.tsv, float_format="%.6f")
    controls = check_controls(
        table, sm.params.controls, min_trials=cfg["min_trials"], margin=cfg["controls_margin"]
    )  # the same function on the same table as rule controls_check
    md = table3_markdown(
        table,
        sm.wildcards.labelset,
        n_boot or None,
        names,
        controls=controls,
        min_trials=cfg["min_trials"],
    )
    write_text(sm.output.md, md)
    main = {v: s for (block, v), s in scores.items() if block == MAIN_BLOCK}
    per_class = per_class_table(y, main, classes)
    write_tsv(per_class, sm.output.per_class, float_format="%.6f", na_rep="nan")


run_logged(sm.log[0], main)
