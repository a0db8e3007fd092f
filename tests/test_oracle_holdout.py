"""The oracle's hold-out mode run by the real snakemake: the demo corpus stands in for real data."""

import shutil

import pandas as pd
import pytest
import yaml
from helpers import REPO, TINY, planned_jobs, snakemake

from augeval.data.mtg import read_metadata

HOLDOUT = dict(
    TINY,
    labelsets=["emotion"],
    data=dict(TINY["data"], demo=dict(TINY["data"]["demo"], n_tracks=120)),
    generators={"oracle": {"clip_seconds": 2, "holdout_fraction": 0.3}},
)


@pytest.mark.workflow
def test_oracle_copies_held_out_artists_that_no_classifier_trains_on(tmp_path):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(HOLDOUT))
    target = "results/augment/oracle/emotion/main/train.tsv"
    baseline = "results/classifier/emotion/baseline/main/trial-0/checkpoint.pt"
    dry = snakemake(tmp_path, "-n", "--cores", "1", baseline)
    assert "carve_oracle_holdout" in planned_jobs(dry)  # the baseline trains on the reduced split
    snakemake(tmp_path, "--cores", "2", target)

    original = read_metadata(
        tmp_path / "results/demo/splits/split-0/autotagging_moodtheme-train.tsv"
    )
    kept = read_metadata(tmp_path / "results/data/oracle_holdout/train.tsv")
    pool = read_metadata(tmp_path / "results/data/oracle_holdout/pool.tsv")
    assert len(kept) + len(pool) == len(original)
    assert len(pool) >= 0.3 * len(original)
    assert not {t.artist_id for t in kept} & {t.artist_id for t in pool}

    train = pd.read_csv(tmp_path / "results/data/emotion/train.tsv", sep="\t", dtype=str)
    pool_ids = {t.track_id for t in pool}
    assert not set(train["track_id"]) & pool_ids  # the classifiers' train split lost the pool
    sources = pd.read_csv(
        tmp_path / "results/augment/oracle/emotion/main/sources.tsv", sep="\t", dtype=str
    )
    assert set(sources["track_id"]) <= pool_ids  # the oracle drew only held-out music
    budget = pd.read_csv(tmp_path / "results/augment/oracle/emotion/main/budget.tsv", sep="\t")
    assert len(sources) == budget["n_clips"].sum()
    augmented = pd.read_csv(tmp_path / target, sep="\t", dtype=str)
    generated = augmented[augmented["source"] == "oracle"]
    assert len(generated) == len(sources)
    assert (augmented["source"] == "real").sum() == len(train)


@pytest.mark.workflow
def test_paper_scale_oracle_needs_a_holdout_and_plans_with_one(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "resources", tmp_path / "resources")
    paper = yaml.safe_load((REPO / "config" / "mtg_jamendo.yaml").read_text())

    def dry_run(config):
        return snakemake(tmp_path, "-n", config=config, cores=1, check=False, timeout=None)

    paper["generators"] = {"oracle": {"clip_seconds": 10}}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(paper))
    bad = dry_run("bad.yaml")
    assert bad.returncode != 0
    assert "holdout_fraction" in bad.stdout + bad.stderr

    paper["generators"] = {"oracle": {"clip_seconds": 10, "holdout_fraction": 0.05}}
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(paper))
    good = dry_run("good.yaml")
    assert good.returncode == 0, good.stderr[-3000:]
    jobs = planned_jobs(good)
    assert {"carve_oracle_holdout", "make_pool_manifest", "generate_clips"} <= jobs


@pytest.mark.workflow
def test_an_oracle_under_another_name_gets_the_same_holdout(tmp_path):
    """The hold-out follows kind: oracle, not the entry's name."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "resources", tmp_path / "resources")
    paper = yaml.safe_load((REPO / "config" / "mtg_jamendo.yaml").read_text())

    def dry_run(generators):
        paper["generators"] = generators
        (tmp_path / "c.yaml").write_text(yaml.safe_dump(paper))
        return snakemake(tmp_path, "-n", config="c.yaml", cores=1, check=False, timeout=None)

    bad = dry_run({"held": {"kind": "oracle", "clip_seconds": 10}})
    assert bad.returncode != 0
    assert "generators.held.holdout_fraction: required key is missing" in bad.stdout + bad.stderr

    good = dry_run({"held": {"kind": "oracle", "clip_seconds": 10, "holdout_fraction": 0.05}})
    assert good.returncode == 0, good.stderr[-3000:]
    assert {"carve_oracle_holdout", "make_pool_manifest"} <= planned_jobs(good)
    plans = [b for b in good.stdout.split("\n\n") if "rule plan_augmentation:" in b]
    assert plans and all("oracle_pool.tsv" in b for b in plans), plans

    two = dry_run({
        "oracle": {"clip_seconds": 10, "holdout_fraction": 0.05},
        "held": {"kind": "oracle", "clip_seconds": 10, "holdout_fraction": 0.1},
    })  # fmt: skip
    assert two.returncode != 0
    assert "set different holdout_fraction values" in two.stdout + two.stderr
