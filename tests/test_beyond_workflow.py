"""DAG tests of the views beyond the paper (ratio sweep, distance, CAS): real snakemake dry-runs
of a small config, and a real run of the tiny part of the DAG that builds a CAS train manifest."""

import collections
import copy
import functools
import shutil

import pandas as pd
import pytest
import yaml
from helpers import REPO, SMALL, job_blocks, job_counts, job_wildcards, run_config, runs_of

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
    # one rule per stage; the run wildcard tells Table III's run from the sweep's:
    # Table III: (baseline + 2 generators) × 2 trials, emotion only (the sweep's label set);
    # the sweep: 2 generators × the 2 fractions other than augment.fraction × 2 trials
    assert runs_of(proc, "train_classifier") == {"main": 3 * 2, "frac-0.1": 4, "frac-0.6": 4}
    assert counts["train_classifier"] == 3 * 2 + 2 * 2 * 2
    # one generation per generator × fraction
    assert runs_of(proc, "generate_clips") == {"main": 2, "frac-0.1": 2, "frac-0.6": 2}
    out = proc.stdout + proc.stderr
    assert "frac-0.3" not in out  # the default fraction has no run of its own
    (summary,) = job_blocks(proc, "summarize_ratio_sweep")
    inputs = summary.split("output:")[0]
    for t in (0, 1):
        assert f"results/metrics/emotion/copy/main/trial-{t}.tsv" in inputs  # the Table III run
        assert f"results/metrics/emotion/copy/frac-0.1/trial-{t}.tsv" in inputs
        assert f"results/metrics/emotion/noise/frac-0.6/trial-{t}.tsv" in inputs
        assert f"results/metrics/emotion/baseline/main/trial-{t}.tsv" in inputs
    # per fraction, the right number of clips is planned from the fraction's own policy
    assert runs_of(proc, "plan_augmentation") == {"main": 2, "frac-0.1": 2, "frac-0.6": 2}


def test_sweep_without_the_default_fraction_listed_still_shares_it(tmp_path):
    cfg = with_(fractions=[0.6], sweep={"generators": ["noise"], "labelsets": ["mood"]})
    proc = run(tmp_path, cfg, "-n", "--cores", "1")
    counts = job_counts(proc)
    runs = runs_of(proc, "train_classifier")
    assert runs == {"main": 2 * 3 * 2, "frac-0.6": 1 * 1 * 2}  # Table III; noise, 0.6, mood
    assert counts["plot_ratio_sweep"] == 1


def test_no_extra_view_unless_configured(tmp_path):
    proc = run(tmp_path, SMALL, "-n", "--cores", "1")
    counts = job_counts(proc)
    extra = ("ratio_sweep", "cas_table", "embed_clips", "frechet_distances", "which_generator")
    assert not [r for r in counts if r.endswith(extra)], counts
    assert runs_of(proc, "train_classifier") == {"main": 2 * 3 * 2}


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
    assert runs_of(plan, "train_classifier") == {"main": 2, "cas": 2}  # + the baseline
    cas = [b for b in job_blocks(plan, "train_classifier") if "run=cas" in b]
    for block in cas:
        inputs = block.split("output:")[0]
        assert "results/augment/copy/emotion/cas/train.tsv" in inputs
        assert "results/data/emotion/train.tsv" not in inputs
        assert "results/features/real/train/" not in inputs  # no real train mel either
    # build the manifest for real (demo corpus -> policy -> copy clips) and check its rows
    run(tmp_path, cfg, "--cores", "1", "results/augment/copy/emotion/cas/train.tsv")
    manifest = pd.read_csv(tmp_path / "results/augment/copy/emotion/cas/train.tsv", sep="\t")
    real = pd.read_csv(tmp_path / "results/data/emotion/train.tsv", sep="\t")
    generated = pd.read_csv(tmp_path / "results/generated/copy/emotion/main/manifest.tsv", sep="\t")
    assert len(manifest) == len(generated) > 0
    assert (manifest["source"] == "copy").all()
    assert not set(manifest["track_id"]) & set(real["track_id"])
    assert not set(manifest["path"]) & set(real["path"])


def test_demo_sweeps_and_cas_every_generator_of_every_kind(tmp_path):
    """The demo config with the sweep and CAS over all of its generators (copy, noise, oracle,
    SampleRNN, DDSP, Jukebox, a samples folder) on both label sets plans: one chain serves
    every view, so no kind is missing from any."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    demo = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    gens = list(demo["generators"])
    assert {"copy", "noise", "oracle", "samplernn", "ddsp", "jukebox", "byo"} <= set(gens)
    demo["sweep"] = {"generators": gens, "labelsets": ["mood", "emotion"]}
    demo["cas"] = {"generators": gens, "labelsets": ["mood", "emotion"]}
    proc = run(tmp_path, demo, "-n", "--cores", "1")
    policy = demo["augment"]
    extra = [f"frac-{f:g}" for f in policy["fractions"] if f != policy["fraction"]]
    assert extra == ["frac-0.2"]
    n_sets, n_trials = 2, demo["trials"]
    generated = collections.Counter()
    for rule in ("generate_clips", "generate_clips_gpu"):
        generated.update((w["generator"], w["run"]) for w in job_wildcards(proc, rule))
    assert generated == {(g, run): n_sets for g in gens for run in ["main", *extra]}
    trained = {"main": (1 + len(gens)) * n_sets * n_trials}
    trained |= {"cas": len(gens) * n_sets * n_trials, "frac-0.2": len(gens) * n_sets * n_trials}
    assert runs_of(proc, "train_classifier") == trained
    # DDSP's sources of the sweep run get their own features (its sweep once failed to plan)
    ddsp = [b for b in job_blocks(proc, "ddsp_features") if "part=sources-frac-0.2" in b]
    assert len(ddsp) == n_sets
    # ... computed by its shard jobs, which read that run's own sources
    shards = [b for b in job_blocks(proc, "ddsp_feature_shard") if "part=sources-frac-0.2" in b]
    assert len(shards) >= n_sets
    assert all("results/augment/ddsp/" in b and "/frac-0.2/sources.tsv" in b for b in shards)
