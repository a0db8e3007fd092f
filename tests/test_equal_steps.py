"""Table III's equal-optimiser-steps block (config equal_steps): the block's rows, their
trial-aware significance against the main baseline, the MD section, the consumers that read only
the main rows, and the forecast's count of the extra trainings. Expected values are computed here
by hand from the synthetic metric tables, not by the code under test."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from test_forecast import BOOT, CONFIG, OVERHEAD, PLAN, PREDICT, TRAIN, _write_metadata, hours
from test_forecast import COSTS as UNIT_COSTS

from augeval.controls_check import check_controls
from augeval.forecast import Costs, forecast
from augeval.front_page import headline
from augeval.stats import bootstrap_trials, paired_bootstrap_p, table_metrics
from augeval.tables import (
    block_key,
    build_table3,
    build_table3_blocks,
    table3_markdown,
)


def metric_table(roc_macro, pr_macro, f1=0.2):
    rows = [
        ("roc_auc", "macro", "none", roc_macro),
        ("roc_auc", "micro", "none", roc_macro + 0.05),
        ("pr_auc", "macro", "none", pr_macro),
        ("pr_auc", "micro", "none", pr_macro + 0.05),
        ("f1", "macro", "test", f1),
        ("f1", "micro", "test", f1 + 0.01),
    ]
    return pd.DataFrame(rows, columns=["metric", "average", "thresholds", "value"])


def write_and_read(tmp_path, name, table):
    """A metric table goes through a TSV file, as make_table3 reads each trial's."""
    path = tmp_path / f"{name}.tsv"
    table.to_csv(path, sep="\t", index=False)
    return pd.read_csv(path, sep="\t")


@pytest.fixture
def blocks(tmp_path):
    trials = {
        ("main", "baseline"): [(0.70, 0.30), (0.72, 0.32)],
        ("main", "gen"): [(0.76, 0.36), (0.78, 0.38)],  # +0.06 on both AUCs
        ("main", "noise"): [(0.71, 0.31), (0.73, 0.33)],  # +0.01: more steps only
        ("equal_steps", "gen"): [(0.74, 0.33), (0.76, 0.35)],  # +0.04 / +0.03
        ("equal_steps", "noise"): [(0.69, 0.29), (0.71, 0.31)],  # -0.01
    }
    out = {}
    for (block, variant), values in trials.items():
        out.setdefault(block, {})[variant] = [
            write_and_read(tmp_path, f"{block}_{variant}_{t}", metric_table(*v))
            for t, v in enumerate(values)
        ]
    return out


def row(table, block, variant, metric="roc_auc", average="macro"):
    pick = (
        (table["block"] == block)
        & (table["variant"] == variant)
        & (table["metric"] == metric)
        & (table["average"] == average)
    )
    assert pick.sum() == 1, (block, variant, metric, average)
    return table[pick].iloc[0]


def test_block_rows_are_compared_with_the_main_baseline(blocks):
    table = build_table3_blocks(blocks)
    assert list(table.columns[:2]) == ["block", "variant"]
    assert set(table["block"]) == {"main", "equal_steps"}
    # the baseline is the main block's only: its steps are equal already (reused, not retrained)
    assert set(table.loc[table["block"] == "equal_steps", "variant"]) == {"gen", "noise"}
    assert (table.loc[table["variant"] == "baseline", "block"] == "main").all()
    base = (0.70 + 0.72) / 2
    gen = row(table, "equal_steps", "gen")
    assert gen["mean"] == pytest.approx((0.74 + 0.76) / 2)
    assert gen["diff"] == pytest.approx(0.75 - base)
    assert gen["rel_change"] == pytest.approx((0.75 - base) / base)
    assert gen["std"] == pytest.approx(np.std([0.74, 0.76], ddof=1))
    assert gen["highlight"]  # +5.6 %
    pr = row(table, "equal_steps", "gen", "pr_auc")
    assert pr["diff"] == pytest.approx(0.34 - 0.31)
    noise = row(table, "equal_steps", "noise")
    assert noise["diff"] == pytest.approx(0.70 - base) and not noise["highlight"]
    assert row(table, "main", "gen")["diff"] == pytest.approx(0.77 - base)
    # the main rows are exactly those of the table without the block
    alone = build_table3(blocks["main"])
    main = table[table["block"] == "main"].drop(columns="block").reset_index(drop=True)
    pd.testing.assert_frame_equal(main, alone)


def test_a_block_may_not_bring_its_own_baseline(blocks):
    blocks["equal_steps"]["baseline"] = blocks["main"]["baseline"]
    with pytest.raises(ValueError, match="reuses the main baseline"):
        build_table3_blocks(blocks)


def predicted_runs(n=150, seed=0):
    """Scores of four trials: the baseline, a main-run variant with a strong gain, and its
    equal-steps retraining with none (the baseline's scores exactly)."""
    rng = np.random.default_rng(seed)
    y = rng.random((n, 3)) < 0.3
    base, strong = [], []
    for t in range(4):
        noise = np.random.default_rng([seed, t]).random((n, 3))
        base.append(0.3 * y + noise)
        strong.append(0.7 * y + noise)
    runs = {
        "baseline": [(s, s > 1.0) for s in base],
        "gen": [(s, s > 1.0) for s in strong],
        block_key("equal_steps", "gen"): [(s, s > 1.0) for s in base],
    }
    return y, runs


def metric_tables(y, runs):
    return [
        pd.DataFrame(
            [
                (k.rsplit("_", 1)[0], k.rsplit("_", 1)[1], "none" if "auc" in k else "test", x)
                for k, x in table_metrics(y, s, d).items()
            ],
            columns=["metric", "average", "thresholds", "value"],
        )
        for s, d in runs
    ]


def test_block_significance_is_the_two_stage_bootstrap_on_the_main_draws():
    y, runs = predicted_runs()
    boot = bootstrap_trials(y, runs, n_boot=80, seed=3)
    blocks = {
        "main": {v: metric_tables(y, runs[v]) for v in ("baseline", "gen")},
        "equal_steps": {"gen": metric_tables(y, runs["equal_steps:gen"])},
    }
    table = build_table3_blocks(blocks, boot)
    main, equal = row(table, "main", "gen"), row(table, "equal_steps", "gen")
    assert main["significant"] and main["p_hier"] < 0.05
    # the retraining's predictions are the baseline's: every resample's difference is 0
    assert equal["diff"] == 0 and equal["p_hier"] == 1.0 and not equal["significant"]
    assert equal["diff_ci_low"] == equal["diff_ci_high"] == 0
    # p_hier as computed by hand from the bootstrap's rounds
    diff = boot.means("gen", "roc_auc_macro") - boot.means("baseline", "roc_auc_macro")
    assert main["p_hier"] == paired_bootstrap_p(diff)
    # the same draws as a bootstrap of the baseline and the retraining alone (seeded per round)
    alone = bootstrap_trials(
        y, {"baseline": runs["baseline"], "gen": runs["equal_steps:gen"]}, n_boot=80, seed=3
    )
    np.testing.assert_array_equal(
        alone.means("baseline", "roc_auc_macro"), boot.means("baseline", "roc_auc_macro")
    )


def test_markdown_has_a_section_saying_what_the_block_means(blocks):
    table = build_table3_blocks(blocks)
    md = table3_markdown(table, "mood")
    main_part, _, section = md.partition("#### Sensitivity: equal optimiser steps")
    assert section, md
    # the main table shows one row per variant, the block's rows only in the section
    assert sum(line.startswith("| gen |") for line in main_part.splitlines()) == 1
    assert "epoch_size: real" in section and "baseline's number of steps" in section
    assert "extra training" in section
    lines = section.splitlines()
    assert any(line.startswith("| baseline |") for line in lines)  # the reused baseline
    gains = [line for line in lines if line.startswith("| gen | ROC-AUC macro |")]
    assert len(gains) == 1
    assert "+0.0600" in gains[0] and "+0.0400" in gains[0]  # main 0.77 - 0.71, equal 0.75 - 0.71
    noise = next(line for line in lines if line.startswith("| noise | PR-AUC macro |"))
    assert "+0.0100" in noise and "-0.0100" in noise
    assert "Sensitivity" not in table3_markdown(build_table3(blocks["main"]), "mood")


def test_the_controls_check_and_the_headline_read_the_main_rows(blocks):
    table = build_table3_blocks(blocks)
    check = check_controls(table, {"noise": "noise"}, min_trials=2, margin=0.01)
    assert len(check) == 2  # ROC-AUC and PR-AUC macro, once each
    assert check["control_mean"].tolist() == pytest.approx([0.72, 0.32])  # main, not 0.70 / 0.30
    head = headline(table, "roc_auc_macro", controls=["noise"])
    assert head["best"]["mean"] == pytest.approx(0.77) and len(head["rows"]) == 3


def test_forecast_counts_the_equal_steps_trainings(tmp_path):
    costs_file = tmp_path / "costs.yaml"
    costs_file.write_text(yaml.safe_dump({"units": UNIT_COSTS}))
    plan = PLAN | {
        "equal_steps_generators": ["copy", "samplernn"],
        "equal_steps_labelsets": ["mood"],
    }
    rules, _, _ = forecast(CONFIG, plan, _write_metadata(tmp_path), Costs.from_yaml(costs_file))
    rules = rules.set_index("rule")
    # 4 main trainings (baseline + 3 generators, 1 trial) + 2 at equal steps
    for rule in ("train_classifier", "predict_classifier", "compute_metrics"):
        assert rules.loc[rule, "jobs"] == 4 + 2, rule
    # main: baseline 4 rows/epoch, copy 4 + 2 * ceil(95 / 10), samplernn 4 + 96, ddsp 4 + 48;
    # equal steps: 4 real rows per epoch each; 3 epochs, validation 2 + bn 1 x batch 2 per epoch
    per_epoch = [4, 4 + 2 * math.ceil(95 / 10), 4 + 96, 4 + 2 * math.ceil(95 / 4), 4, 4]
    total = sum(OVERHEAD + 3 * n * TRAIN + 3 * (2 + 2) * PREDICT for n in per_epoch)
    assert rules.loc["train_classifier", "forecast_hours_total"] == pytest.approx(hours(total))
    # the bootstrap evaluates 4 + 2 variants x 1 trial x 2 tracks x 2 classes, 10 resamples
    per_table = OVERHEAD + 10 * (4 + 2) * 1 * 2 * 2 * BOOT
    assert rules.loc["make_table3", "forecast_hours_total"] == pytest.approx(hours(per_table))


@pytest.mark.workflow
def test_a_tiny_run_builds_the_block_from_the_main_manifest_at_real_epoch_size(tmp_path):
    from helpers import SMALL, job_blocks, run_config, runs_of

    cfg = SMALL | {"equal_steps": {"generators": ["noise"], "labelsets": ["emotion"]}}
    target = "results/tables/table3_emotion.tsv"
    plan = run_config(tmp_path, cfg, "-n", "--cores", "1", target, timeout=600)
    # baseline + copy + noise at main, noise again at equal steps; 2 trials
    assert runs_of(plan, "train_classifier") == {"main": 3 * 2, "equal-steps": 2}
    assert "equal-steps" not in runs_of(plan, "make_train_manifest")
    for block in job_blocks(plan, "train_classifier"):
        if "run=equal-steps" in block:
            assert "results/augment/noise/emotion/main/train.tsv" in block.split("output:")[0]
    run_config(tmp_path, cfg, "--cores", "2", target, timeout=900)
    manifest = pd.read_csv(tmp_path / "results/augment/noise/emotion/main/train.tsv", sep="\t")
    n_real, n_all = int((manifest["source"] == "real").sum()), len(manifest)
    assert 0 < n_real < n_all
    logs = tmp_path / "logs/classifier/train"
    assert (
        f"{n_real} examples per epoch from {n_all} train rows"
        in (logs / "emotion_noise_equal-steps_0.log").read_text()
    )
    assert (
        f"{n_all} examples per epoch from {n_all} train rows"
        in (logs / "emotion_noise_main_0.log").read_text()
    )
    table = pd.read_csv(tmp_path / target, sep="\t")
    equal = table[table["block"] == "equal_steps"]
    assert set(equal["variant"]) == {"noise"} and equal["p_hier"].notna().all()
    assert set(table.loc[table["block"] == "main", "variant"]) == {"baseline", "copy", "noise"}
    md = (tmp_path / "results/tables/table3_emotion.md").read_text()
    assert "#### Sensitivity: equal optimiser steps" in md


@pytest.mark.workflow
def test_equal_steps_with_real_epoch_size_is_a_clear_error(tmp_path):
    from helpers import SMALL, run_config

    cfg = SMALL | {"equal_steps": {}, "classifier": SMALL["classifier"] | {"epoch_size": "real"}}
    proc = run_config(tmp_path, cfg, "-n", "--cores", "1", check=False, timeout=300)
    assert proc.returncode != 0
    assert "equal_steps: classifier.epoch_size is already 'real'" in proc.stdout + proc.stderr
