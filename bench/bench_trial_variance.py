"""Benchmark: how much a classifier's test score moves from trial to trial (seed to seed).

The controls check (``results/tables/controls_check_{labelset}.tsv``) can only pass when the
spread of a variant's score over trials is small next to the effect it tests (oracle above
baseline, ...). This bench measures that spread on a finished run, without Snakemake: it trains
the classifier of one label set and variant for several trials in one process, from the run's
cached mels and manifests, exactly as rule ``train_classifier`` seeds them (so trial ``t``
reproduces the workflow's trial ``t`` bit for bit under the same settings), scores the test split
and prints one JSON line per trial and a summary (mean, sd, and the trials a paired comparison
would need to detect a given difference). With control variants (``copy``, ``noise``, ``oracle``)
and the baseline it also prints each controls-check row as the workflow would decide it
(:mod:`augeval.controls_check`: two-stage bootstrap over these trials and the test tracks, the
config's ``tables.controls_margin``), so a recipe can be judged before a whole run, and the CI
from resampling the test tracks alone (the models fixed): the part a larger test split shrinks.
``--set key=value`` overrides ``classifier`` keys (YAML values, dotted keys), to compare training
recipes on the same data.

Usage, after ``bash run.sh``::

    PYTHONPATH=src python bench/bench_trial_variance.py --run . --labelset emotion \\
        --variants baseline,oracle --trials 0,1,2 --set last_channels=320

CPU time per trial is printed; the machine's load does not change the scores.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import resource
import statistics
import tempfile
from pathlib import Path

import numpy as np
import torch
import yaml

from augeval import config_schema, controls_check
from augeval.classifier.train import model_from_checkpoint, predict_scores, train_classifier
from augeval.data.labels import labelset_from_config
from augeval.data.manifest import label_matrix, read_manifest
from augeval.features import MelStore
from augeval.metrics import ranking_metrics
from augeval.seeding import derive_seed, set_deterministic
from augeval.stats import bootstrap_trials, percentile_ci


def override(cfg: dict, assignments: list[str]) -> dict:
    for item in assignments:
        key, _, value = item.partition("=")
        target = cfg
        *parents, leaf = key.split(".")
        for part in parents:
            target = target[part]
        target[leaf] = yaml.safe_load(value)
    return cfg


def trials_needed(sd_diff: float, effect: float, z_alpha=1.96, z_power=0.84) -> float:
    """Trials for a paired two-sided test at 5 % with 80 % power (normal approximation)."""
    return math.inf if effect <= 0 else ((z_alpha + z_power) * sd_diff / effect) ** 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", default=".", help="a finished run's directory (results/ inside)")
    ap.add_argument("--config", default="config/config.yaml")
    ap.add_argument("--labelset", default="emotion")
    ap.add_argument("--variants", default="baseline")
    ap.add_argument("--trials", default="0,1,2")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--effect", type=float, default=0.03, help="difference to detect")
    args = ap.parse_args()

    torch.set_num_threads(1)
    set_deterministic(1)
    run = Path(args.run)
    results = run / "results"
    cfg = yaml.safe_load(open(args.config))
    ccfg = config_schema.fill(override(cfg["classifier"], args.set), "classifier")
    labels = dict(cfg["labels"])
    labels["emotion_mapping"] = str(run / labels["emotion_mapping"])
    classes = list(labelset_from_config(args.labelset, labels).classes)
    n_mels = cfg["features"]["n_mels"]
    real = sorted(glob.glob(str(results / "features/real/*/shard-*.tsv")))
    data = results / "data" / args.labelset
    val = read_manifest(data / "validation.tsv", classes)
    test = read_manifest(data / "test.tsv", classes)
    y_test = label_matrix(test, classes)
    scores: dict[str, dict[int, float]] = {}
    test_probs: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            if variant == "baseline":
                train, extra = read_manifest(data / "train.tsv", classes), []
            else:
                run_dir = f"{variant}/{args.labelset}/main"
                train = read_manifest(results / "augment" / run_dir / "train.tsv", classes)
                extra = sorted(glob.glob(str(results / "features" / run_dir / "shard-*.tsv")))
            store = MelStore(real + extra)
            for trial in (int(t) for t in args.trials.split(",")):
                seed = derive_seed(cfg["seed"], args.labelset, "classifier", str(trial))
                before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
                checkpoint = train_classifier(
                    train, val, classes, store, ccfg, n_mels=n_mels, seed=seed,
                    checkpoint_path=Path(tmp) / f"{variant}-{trial}.pt",
                )  # fmt: skip
                model = model_from_checkpoint(checkpoint)
                tracks = list(test["track_id"])
                probs = predict_scores(
                    model, store, tracks, ccfg["input_frames"], ccfg["batch_size"],
                    windows=ccfg["eval_windows"],
                )  # fmt: skip
                metrics = ranking_metrics(y_test, probs)
                cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - before
                scores.setdefault(variant, {})[trial] = metrics["roc_auc_macro"]
                test_probs.setdefault(variant, []).append((probs, {}))
                row = {
                    "variant": variant,
                    "trial": trial,
                    "roc_auc_macro": round(metrics["roc_auc_macro"], 4),
                    "pr_auc_macro": round(metrics["pr_auc_macro"], 4),
                    "best_epoch": checkpoint["best_epoch"],
                    "cpu_s": round(cpu, 1),
                }
                print(json.dumps(row), flush=True)
    for variant, by_trial in scores.items():
        values = list(by_trial.values())
        sd = statistics.stdev(values) if len(values) > 1 else math.nan
        print(
            f"{variant}: test ROC-AUC macro mean {statistics.mean(values):.4f} sd {sd:.4f} "
            f"over {len(values)} trials"
        )
        base = scores.get("baseline", {})
        common = sorted(set(base) & set(by_trial)) if variant != "baseline" else []
        if len(common) > 1:  # paired on the trial (same seed: common random numbers)
            diffs = [by_trial[t] - base[t] for t in common]
            sd_diff = statistics.stdev(diffs)
            print(
                f"  {variant} - baseline, paired: mean {statistics.mean(diffs):+.4f} sd "
                f"{sd_diff:.4f}; detecting {args.effect} at 5 % with 80 % power needs "
                f"~{trials_needed(sd_diff, args.effect):.0f} trials"
            )

    print_controls_check(y_test, test_probs, cfg.get("tables", {}), cfg["seed"])


def print_controls_check(y_test, test_probs: dict, tables_cfg: dict, seed: int) -> None:
    """The controls check's rows for the control variants run, from these trials."""
    tables_cfg = config_schema.fill(tables_cfg, "tables")
    controls = {v: v for v in test_probs if v in controls_check.EXPECTATIONS}
    if "baseline" not in test_probs or not controls:
        return
    boot = bootstrap_trials(y_test, test_probs, tables_cfg["n_bootstrap"] or 200, seed)
    for control in controls:
        direction, expectation = controls_check.EXPECTATIONS[control]
        for column in ("roc_auc_macro", "pr_auc_macro"):
            diff = boot.means(control, column) - boot.means("baseline", column)
            lo, hi = percentile_ci(diff)
            # the models as trained, only the test tracks resampled
            fixed = boot.means(control, column, hierarchical=False) - boot.means(
                "baseline", column, hierarchical=False
            )
            mean = float(np.mean(fixed))
            result, reason = controls_check.verdict(
                direction, lo, hi, boot.n_trials, tables_cfg["min_trials"],
                tables_cfg["controls_margin"],
            )  # fmt: skip
            print(f"check {expectation} {column}: diff {mean:+.4f} [{lo:+.4f}, {hi:+.4f}] "
                  f"{result} ({reason})")  # fmt: skip
            t_lo, t_hi = percentile_ci(fixed)  # the test tracks' part of the CI alone
            print(f"  tracks only (models fixed): [{t_lo:+.4f}, {t_hi:+.4f}]")


if __name__ == "__main__":
    main()
