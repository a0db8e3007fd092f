"""DAG tests of the views beyond the paper (ratio sweep, distance, CAS): real snakemake dry-runs
of a small config, and a real run of the tiny part of the DAG that builds a CAS train manifest."""

import copy
import functools

import pandas as pd
import pytest
from helpers import SMALL, job_blocks, job_counts, run_config

# run(tmp_path, cfg, *args, check=True): snakemake on cfg (written to tmp_path/config.yaml)
run = functools.partial(run_config, timeout=600)
pytestmark = pytest.mark.workflow


def with_(**sections):
    cfg = copy.deepcopy(SMALL)
    for key, value in sections.items():
        if key == "fractions":
            cfg["augment"]["fractions"] = value
        else:
            cfg[key] = value
    return cfg


def test_sweep_trains_each_extra_fraction_once_and_shares_the_table3_run(tmp_path):
    cfg = with_(fractions=[0.1, 0.3, 0.6], sweep={"labelsets": ["emotion"]})
    proc = run(tmp_path, cfg, "-n", "--cores", "1", "results/figures/ratio_sweep_emotion.pdf")
    counts = job_counts(proc)
    # Table III: (baseline + 2 generators) × 2 trials, emotion only (the sweep's label set)
    assert counts["train_classifier"] == 3 * 2
    # the sweep: 2 generators × the 2 fractions other than augment.fraction × 2 trials
    assert counts["train_classifier_sweep"] == 2 * 2 * 2
    assert counts["generate_control_sweep"] == 2 * 2  # one generation per generator × fraction
    out = proc.stdout + proc.stderr
    assert "frac-0.3" not in out  # the default fraction has no run of its own
    (summary,) = job_blocks(proc, "summarize_ratio_sweep")
    inputs = summary.split("output:")[0]
    for t in (0, 1):
        assert f"results/metrics/emotion/copy/trial-{t}.tsv" in inputs  # the Table III run
        assert f"results/metrics/emotion/copy/frac-0.1/trial-{t}.tsv" in inputs
        assert f"results/metrics/emotion/noise/frac-0.6/trial-{t}.tsv" in inputs
        assert f"results/metrics/emotion/baseline/trial-{t}.tsv" in inputs
    # per fraction, the right number of clips is planned from the fraction's own policy
    planned = [b for b in job_blocks(proc, "plan_augmentation_sweep")]
    assert sorted(b.split("frac-")[1][:3] for b in planned) == ["0.1", "0.1", "0.6", "0.6"]


def test_sweep_without_the_default_fraction_listed_still_shares_it(tmp_path):
    cfg = with_(fractions=[0.6], sweep={"generators": ["noise"], "labelsets": ["mood"]})
    proc = run(tmp_path, cfg, "-n", "--cores", "1")
    counts = job_counts(proc)
    assert counts["train_classifier_sweep"] == 1 * 1 * 2  # noise, 0.6, mood, 2 trials
    assert counts["train_classifier"] == 2 * 3 * 2  # Table III unchanged
    assert counts["plot_ratio_sweep"] == 1


def test_no_extra_view_unless_configured(tmp_path):
    counts = job_counts(run(tmp_path, SMALL, "-n", "--cores", "1"))
    extra = ("_sweep", "_cas", "embed_clips", "frechet_distances", "make_which_generator")
    assert not [r for r in counts if r.endswith(extra)], counts
    assert counts["train_classifier"] == 2 * 3 * 2


def test_distance_views_train_nothing(tmp_path):
    plain = job_counts(run(tmp_path, SMALL, "-n", "--cores", "1"))
    counts = job_counts(run(tmp_path, with_(distance={"generators": ["noise"]}), "-n", "-c1"))
    assert counts["embed_clips"] == 2 * 2  # label sets × baseline trials
    assert counts["frechet_distances"] == counts["make_which_generator"] == 2
    assert counts["plot_distance_gain"] == 2
    trainings = ("train_classifier", "train_generator")
    assert {r: counts.get(r) for r in trainings} == {r: plain.get(r) for r in trainings}


def test_unknown_generator_in_a_selection_is_a_clear_error(tmp_path):
    proc = run(tmp_path, with_(cas={"generators": ["jukebox"]}), "-n", "--cores", "1", check=False)
    assert proc.returncode != 0
    assert "cas.generators" in proc.stdout + proc.stderr


def test_cas_classifier_never_sees_real_train_data(tmp_path):
    cfg = with_(cas={"generators": ["copy"], "labelsets": ["emotion"]})
    plan = run(tmp_path, cfg, "-n", "--cores", "1", "results/tables/cas_emotion.tsv")
    assert job_counts(plan)["train_classifier_cas"] == 2
    for block in job_blocks(plan, "train_classifier_cas"):
        inputs = block.split("output:")[0]
        assert "results/augment/copy/emotion/cas_train.tsv" in inputs
        assert "results/data/emotion/train.tsv" not in inputs
        assert "results/features/real/train/" not in inputs  # no real train mel either
    # build the manifest for real (demo corpus -> policy -> copy clips) and check its rows
    run(tmp_path, cfg, "--cores", "1", "results/augment/copy/emotion/cas_train.tsv")
    manifest = pd.read_csv(tmp_path / "results/augment/copy/emotion/cas_train.tsv", sep="\t")
    real = pd.read_csv(tmp_path / "results/data/emotion/train.tsv", sep="\t")
    generated = pd.read_csv(tmp_path / "results/generated/copy/emotion/manifest.tsv", sep="\t")
    assert len(manifest) == len(generated) > 0
    assert (manifest["source"] == "copy").all()
    assert not set(manifest["track_id"]) & set(real["track_id"])
    assert not set(manifest["path"]) & set(real["path"])
