"""The real workflow, run by the real snakemake, on a tiny demo config in a temporary directory."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml
from helpers import REPO, TINY, job_counts, planned_jobs, results_in_report, snakemake

from augeval.score import CLIP_COLUMNS, SUMMARY_COLUMNS

VARIANTS = ("baseline", "copy", "noise", "samplernn", "ddsp")
COPIED = (
    "Snakefile",
    "workflow",
    "src",
    "envs",
)  # a private copy, so a test may edit workflow code


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("workflow")
    (workdir / "repo").mkdir()
    for name in COPIED:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, workdir / "repo" / name)
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    first = snakemake(workdir, "--cores", "2")
    return workdir, first


@pytest.mark.workflow
def test_end_to_end_outputs(tiny_run):
    workdir, _ = tiny_run
    for labelset in ("mood", "emotion"):
        summary = pd.read_csv(
            workdir / f"results/metrics/{labelset}/baseline/main/summary.tsv", sep="\t"
        )
        scores = summary[summary["metric"].isin(["roc_auc", "pr_auc", "f1"])]
        assert len(scores) == 2 + 2 + 4  # AUCs macro/micro, F1 macro/micro × 2 threshold fits
        assert np.isfinite(scores["mean"]).all()
        assert ((scores["mean"] >= 0) & (scores["mean"] <= 1)).all()
        assert (summary["n_trials"] == 2).all()
        for trial in (0, 1):
            predictions = pd.read_csv(
                workdir / f"results/predictions/{labelset}/baseline/main/trial-{trial}/test.tsv",
                sep="\t",
            )
            manifest = pd.read_csv(workdir / f"results/data/{labelset}/test.tsv", sep="\t")
            assert list(predictions["track_id"]) == list(manifest["track_id"])
        for variant in VARIANTS:
            figure = workdir / f"results/figures/confusion_{labelset}_{variant}.pdf"
            assert figure.read_bytes()[:5] == b"%PDF-"
            matrix = pd.read_csv(figure.with_suffix(".tsv"), sep="\t", index_col=0)
            rows = matrix.drop(columns="n")[matrix["n"] > 0].sum(axis=1)
            assert np.allclose(rows, 1.0)  # row-normalised
            assert list(matrix.index) == list(matrix.columns[1:])  # class order on both axes
        assert (workdir / f"results/figures/class_durations_{labelset}.pdf").exists()
        table = pd.read_csv(workdir / f"results/tables/table3_{labelset}.tsv", sep="\t")
        assert set(table["variant"]) == set(VARIANTS)
        assert len(table) == len(VARIANTS) * 6 and table["mean"].between(0, 1).all()
        md = (workdir / f"results/tables/table3_{labelset}.md").read_text()
        assert md.count("\n| ") == 1 + len(VARIANTS)  # header + one row per variant
        per_class = pd.read_csv(
            workdir / f"results/tables/table3_{labelset}_per_class.tsv", sep="\t"
        )
        assert set(per_class["variant"]) == set(VARIANTS)
        for generator in ("samplernn", "ddsp"):
            clips = pd.read_csv(
                workdir / f"results/generated/{generator}/{labelset}/main/manifest.tsv", sep="\t"
            )
            assert (clips["source"] == generator).all() and len(clips) > 0
            for path in clips["path"]:
                info = sf.info(workdir / path)
                assert info.samplerate == 16000
                assert info.duration == pytest.approx(TINY["generators"][generator]["clip_seconds"])
        budget = pd.read_csv(workdir / f"results/augment/copy/{labelset}/main/budget.tsv", sep="\t")
        generated = pd.read_csv(
            workdir / f"results/generated/copy/{labelset}/main/manifest.tsv", sep="\t"
        )
        assert len(generated) == budget["n_clips"].sum()
        augmented = pd.read_csv(
            workdir / f"results/augment/copy/{labelset}/main/train.tsv", sep="\t"
        )
        real = pd.read_csv(workdir / f"results/data/{labelset}/train.tsv", sep="\t")
        assert len(augmented) == len(real) + len(generated)
    durations = pd.read_csv(workdir / "results/tables/table1_durations.tsv", sep="\t")
    assert len(durations) == 6 and (durations["hours_full"] > 0).all()
    # every rule logged and benchmarked
    assert list((workdir / "logs/classifier/train").glob("*.log"))
    assert list((workdir / "benchmarks/classifier/train").glob("*.tsv"))
    train_log = (workdir / "logs/classifier/train/mood_baseline_main_0.log").read_text()
    assert "epoch 2/2" in train_log and "kept epoch" in train_log


@pytest.mark.workflow
def test_second_run_is_a_no_op(tiny_run):
    workdir, _ = tiny_run
    again = snakemake(workdir, "--cores", "2")
    assert "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.workflow
def test_score_target_needs_no_training_and_embeds_each_generator_once(tiny_run):
    """Scoring the copy control on emotion after a finished run embeds the real splits and the
    two controls per trial and scores; no classifier is trained. A second generator then embeds
    only itself (here: nothing, its embeddings came with the anchors)."""
    workdir, _ = tiny_run
    target = "results/score/emotion/copy/summary.tsv"
    plan = snakemake(workdir, "-n", "--cores", "2", target)
    # 2 trials × (real train, validation, test + copy + noise), then one scoring job
    assert job_counts(plan) == {"embed_score_clips": 10, "score_clips": 1}
    snakemake(workdir, "--cores", "2", target)
    again = snakemake(workdir, "-n", "--cores", "2", "results/score/emotion/noise/summary.tsv")
    assert job_counts(again) == {"score_clips": 1}
    summary = pd.read_csv(workdir / target, sep="\t")
    assert list(summary.columns) == SUMMARY_COLUMNS
    classes = list(pd.read_csv(workdir / "results/figures/confusion_emotion_copy.tsv", sep="\t")[
        "true_class"
    ])  # fmt: skip
    assert summary[["generator", "role", "class"]].values.tolist() == [
        [g, role, c]
        for g, role in (("copy", "scored"), ("noise", "anchor"))
        for c in [*classes, "all"]
    ]
    assert (summary["n_trials"] == 2).all() and (summary["reference"] == "validation+test").all()
    rec = summary.dropna(subset=["recognisability"])
    assert len(rec) and rec["recognisability"].between(0, 1).all()
    assert (rec["recognisability_lo"] <= rec["recognisability"] + 1e-12).all()
    assert (rec["recognisability"] <= rec["recognisability_hi"] + 1e-12).all()
    assert summary["confidence"].dropna().between(0, 1).all()
    measured = summary[summary["n_distance"] >= 2]
    assert len(measured) and (measured["fd"] > 0).all() and (measured["fd_floor"] > 0).all()
    assert np.isfinite(measured[["kad", "kad_floor"]]).all().all()
    clips = pd.read_csv(workdir / "results/score/emotion/copy/clips.tsv", sep="\t")
    generated = pd.read_csv(workdir / "results/generated/copy/emotion/main/manifest.tsv", sep="\t")
    assert list(clips.columns) == CLIP_COLUMNS
    assert list(clips["track_id"]) == list(generated["track_id"])
    assert set(clips["predicted_class"]) <= set(classes) and set(clips["drawn_class"]) <= set(
        classes
    )
    assert (
        clips["drawn_score"].between(0, 1).all() and clips["trials_recognised"].between(0, 1).all()
    )
    assert (clips["outlier_rank"] >= 1).all() and (clips["nearest_train_distance"] >= 0).all()
    assert clips["near_copy_threshold"].nunique() == 1 and (clips["near_copy_threshold"] > 0).all()
    assert not clips["silent"].any()  # excerpts of the demo's music
    for column in ("recognised", "near_copy", "silent", "clipping"):
        assert set(clips[column]) <= {True, False}


@pytest.mark.workflow
def test_one_figure_builds_only_what_it_needs(tiny_run):
    workdir, _ = tiny_run
    figure = "results/figures/confusion_emotion_baseline.pdf"
    (workdir / figure).unlink()
    plan = snakemake(workdir, "-n", "--cores", "2", figure)
    out = plan.stdout + plan.stderr
    assert "plot_confusion" in out and "train_classifier" not in out
    snakemake(workdir, "--cores", "2", figure)
    assert (workdir / figure).exists()


@pytest.mark.workflow
def test_editing_plot_code_reruns_only_plot_rules(tiny_run):
    workdir, _ = tiny_run
    script = workdir / "repo/workflow/scripts/plot_confusion.py"
    original = script.read_text()
    script.write_text(original + "\n# restyled\n")
    try:
        plan = snakemake(workdir, "-n", "--cores", "2")
    finally:
        script.write_text(original)
    jobs = planned_jobs(plan)
    assert "plot_confusion" in jobs
    assert not jobs - {"plot_confusion", "all"}, jobs


@pytest.mark.workflow
def test_retraining_a_generator_reruns_it_and_its_downstream_only(tiny_run):
    # A deleted checkpoint is an intermediate file to Snakemake: nothing downstream is out of
    # date, so nothing runs. Retraining is asked for with --forcerun, which also rebuilds it.
    workdir, _ = tiny_run
    checkpoint = "results/generators/samplernn/emotion/checkpoint.pt"
    (workdir / checkpoint).unlink()
    assert "train_generator" not in planned_jobs(snakemake(workdir, "-n", "--cores", "2"))
    plan = snakemake(workdir, "-n", "--cores", "2", "--forcerun", checkpoint)
    out = plan.stdout + plan.stderr
    jobs = planned_jobs(plan)
    assert {"train_generator", "generate_clips_gpu", "train_classifier", "make_table3"} <= jobs
    assert not {"mel_shard", "generate_clips", "ddsp_features", "demo_corpus"} & jobs
    trained = [
        line for line in out.splitlines() if "results/classifier/" in line and "output" in line
    ]
    assert trained and all("/samplernn/" in line for line in trained), trained
    assert all("emotion" in line for line in trained)
    snakemake(workdir, "--cores", "2")  # rebuild, so later tests see a complete workflow


@pytest.mark.workflow
def test_changed_predictions_rerun_only_downstream_tables_and_plots(tiny_run):
    workdir, _ = tiny_run
    path = workdir / "results/predictions/mood/baseline/main/trial-0/test.tsv"
    table = pd.read_csv(path, sep="\t")
    table.to_csv(path, sep="\t", index=False, float_format="%.4f")  # same scores, new content
    plan = snakemake(workdir, "-n", "--cores", "2")
    jobs = planned_jobs(plan)
    assert {"compute_metrics", "plot_confusion", "make_table3"} <= jobs
    assert not {"train_classifier", "predict_classifier", "mel_shard", "generate_clips"} & jobs


@pytest.mark.workflow
def test_html_report_has_the_tables_and_figures(tiny_run):
    workdir, _ = tiny_run
    snakemake(workdir, "--report", "results/report.html")
    report = (workdir / "results/report.html").read_text(errors="replace")
    for name in ("table3_emotion.md", "confusion_mood_noise.pdf", "class_durations_emotion.pdf"):
        assert name in report, name
    results = results_in_report(report)
    names = {Path(path).name for path in results}
    assert {"table1_durations.tsv", "rejected.tsv", "confusion_mood_ddsp.pdf"} <= names
    for path, entry in results.items():  # every figure/table has its rendered caption
        assert len(entry["caption"]) > 100 and "{{" not in entry["caption"], path


@pytest.mark.workflow
def test_dry_run_plans_the_paper_scale_config(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "resources", tmp_path / "resources")
    args = ["--configfile", "config/mtg_jamendo.yaml", "-n", "--cores", "4"]
    proc = snakemake(tmp_path, *args, config=None, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert "train_classifier" in out and "demo_corpus" not in out
    assert "oracle" not in out  # the demo config's generators do not leak into this config
    # 3 splits x 16 shards of mel cache
    assert any(line.split() == ["mel_shard", "48"] for line in out.splitlines())


@pytest.mark.workflow
def test_schema_violation_is_reported_before_any_job(tmp_path):
    bad = dict(TINY, trials=0)
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(bad))
    proc = snakemake(tmp_path, "-n", "--cores", "1", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "trials: 0 is less than the minimum of 1" in out
