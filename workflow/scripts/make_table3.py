"""Rule make_table3: Table III (baseline vs each generator) with bootstrap CIs, paired tests and
per-class deltas."""

import numpy as np
import pandas as pd

from augeval.atomic import atomic_path, write_text
from augeval.classifier.predict import aligned_scores, read_predictions
from augeval.data.manifest import label_matrix, read_manifest
from augeval.generators import variant_display_names
from augeval.logs import run_logged
from augeval.metrics import f1_optimal_thresholds
from augeval.seeding import derive_seed
from augeval.stats import bootstrap_trial_means
from augeval.tables import build_table3, per_class_table, table3_markdown

sm = snakemake  # noqa: F821  (injected by Snakemake)


def by_variant(paths):
    """Input lists are expanded variant-major, trial-minor."""
    n = sm.params.trials
    return {v: paths[k * n : (k + 1) * n] for k, v in enumerate(sm.params.variants)}


def main():
    cfg = sm.params.tables  # defaults: filled in from the config schema
    thresholds = cfg["f1_thresholds"]
    test_manifest = read_manifest(sm.input.test_manifest)
    val_manifest = read_manifest(sm.input.validation_manifest)
    classes = list(pd.read_csv(sm.input.test[0], sep="\t", nrows=0).columns[1:])
    y = label_matrix(test_manifest, classes)
    y_val = label_matrix(val_manifest, classes)

    metrics = {
        v: [pd.read_csv(p, sep="\t") for p in ps] for v, ps in by_variant(sm.input.metrics).items()
    }
    runs, scores = {}, {}
    val_paths = by_variant(sm.input.validation)
    for variant, paths in by_variant(sm.input.test).items():
        runs[variant], scores[variant] = [], []
        for test_path, val_path in zip(paths, val_paths[variant], strict=True):
            s = aligned_scores(read_predictions(test_path, classes), test_manifest, classes)
            if thresholds == "validation":
                s_val = aligned_scores(read_predictions(val_path, classes), val_manifest, classes)
                cut = f1_optimal_thresholds(y_val, s_val)
            else:
                cut = f1_optimal_thresholds(y, s)
            runs[variant].append((s, s > cut[None, :]))
            scores[variant].append(s)

    n_boot = cfg["n_bootstrap"]
    seed = derive_seed(sm.params.seed, "bootstrap", sm.wildcards.labelset)
    boot = bootstrap_trial_means(y, runs, n_boot, seed) if n_boot > 0 else None
    table = build_table3(metrics, boot, thresholds=thresholds)
    if not np.isfinite(table["mean"]).all():  # checked before any output is written
        bad = table.loc[~np.isfinite(table["mean"]), ["variant", "metric", "average"]]
        raise ValueError(f"non-finite Table III means:\n{bad.to_string(index=False)}")
    names = variant_display_names(sm.config["generators"])
    table["display_name"] = table["variant"].map(lambda v: names.get(v, v))
    with atomic_path(sm.output.tsv) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6f")
    md = table3_markdown(table, sm.wildcards.labelset, n_boot or None, names)
    write_text(sm.output.md, md)
    per_class = per_class_table(y, scores, classes)
    with atomic_path(sm.output.per_class) as tmp:
        per_class.to_csv(tmp, sep="\t", index=False, float_format="%.6f", na_rep="nan")


run_logged(sm.log[0], main)
