"""DAG tests of the views beyond the paper (ratio sweep, distance, CAS): real snakemake dry-runs
of a small config, and a real run of the tiny part of the DAG that builds a CAS train manifest."""

import collections
import copy
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_workflow import TINY

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]

# The workflow test's tiny config, smaller still: one shard, one epoch, the two cheap controls.
SMALL = copy.deepcopy(TINY) | {
    "seed": 3,
    "data": TINY["data"] | {"demo": TINY["data"]["demo"] | {"n_tracks": 24}},
    "features": TINY["features"] | {"shards": 1},
    "classifier": TINY["classifier"]
    | {"augment": {}, "schedule": [{"optimizer": "adam", "lr": 0.001, "epochs": 1}]},
    "augment": {"fraction": 0.3},
    "generators": {"copy": {"clip_seconds": 2}, "noise": {"clip_seconds": 2}},
}


def run(tmp_path, cfg, *args, check=True):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    cmd = [*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml")]
    proc = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        pytest.fail(f"snakemake failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-4000:]}")
    return proc


def job_counts(proc):
    """{rule: count} from the job-stats table of a (dry-)run."""
    lines = (proc.stdout + proc.stderr).splitlines()
    table = lines[lines.index("Job stats:") + 3 :]
    rows = [line.split() for line in table[: table.index("")]]
    return {r[0]: int(r[1]) for r in rows if r[0] != "total"}


def job_blocks(proc, rule):
    """The text block (input/output/...) of every planned job of ``rule``."""
    text = proc.stdout + proc.stderr
    blocks = text.split("\nrule ")[1:] + text.split("\nlocalrule ")[1:]
    return [b for b in blocks if b.startswith(f"{rule}:")]


def runs_of(proc, rule):
    """{run: number of planned jobs} of ``rule`` (its jobs' ``run`` wildcard)."""
    runs = collections.Counter()
    for block in job_blocks(proc, rule):
        wildcards = block.split("wildcards: ")[1].splitlines()[0]
        runs[dict(kv.split("=", 1) for kv in wildcards.split(", "))["run"]] += 1
    return dict(runs)


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
    assert extra == ["frac-0.1"]
    n_sets, n_trials = 2, demo["trials"]
    generated = collections.Counter()
    for rule in ("generate_clips", "generate_clips_gpu"):
        for block in job_blocks(proc, rule):
            wildcards = block.split("wildcards: ")[1].splitlines()[0]
            w = dict(kv.split("=", 1) for kv in wildcards.split(", "))
            generated[w["generator"], w["run"]] += 1
    assert generated == {(g, run): n_sets for g in gens for run in ["main", *extra]}
    trained = {"main": (1 + len(gens)) * n_sets * n_trials}
    trained |= {"cas": len(gens) * n_sets * n_trials, "frac-0.1": len(gens) * n_sets * n_trials}
    assert runs_of(proc, "train_classifier") == trained
    # DDSP's sources of the sweep run get their own features (its sweep once failed to plan)
    ddsp = [b for b in job_blocks(proc, "ddsp_features") if "part=sources-frac-0.1" in b]
    assert len(ddsp) == n_sets
    assert all("results/augment/ddsp/" in b and "/frac-0.1/sources.tsv" in b for b in ddsp)
