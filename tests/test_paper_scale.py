"""Paper scale: the shipped MTG-Jamendo split-0 metadata, its label sets, and the planned DAG.

Golden numbers come from the dataset's published facts and the paper's label files
(resources/mtg-jamendo/README.md, the shared emotion-mapping note), not from the code under test.
"""

import collections
import copy
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from helpers import REPO, job_counts, run_config, runs_of, snakemake

from augeval.data.labels import make_labelset
from augeval.data.manifest import build_manifest
from augeval.data.mtg import SPLITS, read_metadata, read_tag_list

MTG = REPO / "resources" / "mtg-jamendo"
CONFIG = yaml.safe_load((REPO / "config" / "mtg_jamendo.yaml").read_text())
SPLIT_DIR = MTG / "splits" / CONFIG["data"]["split"]


@pytest.fixture(scope="module")
def splits():
    return {s: read_metadata(SPLIT_DIR / f"autotagging_moodtheme-{s}.tsv") for s in SPLITS}


def test_split_sizes_and_artists(splits):
    assert {s: len(t) for s, t in splits.items()} == {
        "train": 9949,
        "validation": 3802,
        "test": 4231,
    }
    artists = {s: {t.artist_id for t in tracks} for s, tracks in splits.items()}
    assert {s: len(a) for s, a in artists.items()} == {
        "train": 874,
        "validation": 307,
        "test": 327,
    }
    assert not artists["train"] & artists["validation"]
    assert not artists["train"] & artists["test"]
    assert not artists["validation"] & artists["test"]
    ids = [t.track_id for tracks in splits.values() for t in tracks]
    assert len(ids) == len(set(ids)) == 9949 + 3802 + 4231


def test_paths_follow_the_archive_layout(splits):
    # PATH is NN/ID.mp3 with NN the last two digits of the numeric id (one folder per archive)
    for tracks in splits.values():
        for t in tracks:
            number = int(t.track_id.removeprefix("track_"))
            assert t.path == f"{number % 100:02d}/{number}.mp3", t
            assert t.duration > 0 and t.tags


def test_56_tags_in_every_split_and_in_the_config(splits):
    official = read_tag_list(MTG / "tags" / "moodtheme_split.txt")
    assert len(official) == 56
    assert CONFIG["labels"]["tags"] == official
    for tracks in splits.values():
        assert {tag for t in tracks for tag in t.tags} == set(official)
    mean_tags = {s: sum(len(t.tags) for t in tr) / len(tr) for s, tr in splits.items()}
    assert mean_tags == pytest.approx({"train": 1.80, "validation": 1.66, "test": 1.79}, abs=0.005)
    train_counts = Counter(tag for t in splits["train"] for tag in t.tags)
    assert train_counts["happy"] == 927 and train_counts["sexy"] == 59


def test_mood_manifest_keeps_every_track(splits):
    mood = make_labelset("mood", CONFIG["labels"]["tags"])
    for split, tracks in splits.items():
        df = build_manifest(tracks, mood, "/audio")
        assert len(df) == len(tracks), split
        assert df["path"].str.match(r"^/audio/\d\d/\d+\.mp3$").all()


EMOTION = {  # the paper's label files (see the shared emotion-mapping note)
    "train": {
        "activated_pleasant": 1278,
        "deactivated_pleasant": 953,
        "activated_unpleasant": 791,
        "deactivated_unpleasant": 452,
    },
    "validation": {
        "activated_pleasant": 524,
        "deactivated_pleasant": 311,
        "activated_unpleasant": 252,
        "deactivated_unpleasant": 215,
    },
    "test": {
        "activated_pleasant": 462,
        "deactivated_pleasant": 344,
        "activated_unpleasant": 420,
        "deactivated_unpleasant": 252,
    },
}


def test_emotion_relabelling_matches_the_papers_split_sizes(splits):
    emotion = make_labelset(
        "emotion",
        CONFIG["labels"]["tags"],
        REPO / CONFIG["labels"]["emotion_mapping"],
        CONFIG["labels"]["multi_quadrant"],
    )
    for split, tracks in splits.items():
        df = build_manifest(tracks, emotion, "/audio")
        assert dict(Counter(df["labels"])) == EMOTION[split], split
    assert {s: sum(c.values()) for s, c in EMOTION.items()} == {
        "train": 3474,
        "validation": 1302,
        "test": 1478,
    }


def test_emotion_tie_rule_matters_on_real_data(splits):
    # 'drop' removes the tracks whose tags hit several quadrants, so the counts must shrink
    args = (CONFIG["labels"]["tags"], REPO / CONFIG["labels"]["emotion_mapping"])
    first = make_labelset("emotion", *args, "first_tag")
    drop = make_labelset("emotion", *args, "drop")
    n_first = sum(len(build_manifest(t, first, "/a")) for t in splits.values())
    n_drop = sum(len(build_manifest(t, drop, "/a")) for t in splits.values())
    assert n_first == 3474 + 1302 + 1478
    assert n_first - n_drop == 359  # multi-quadrant tracks in the paper's files


def expected_jobs(cfg: dict) -> dict[str, int]:
    """Jobs per rule, counted from the config by hand (the DAG's shape in the design notes)."""
    n_sets, n_splits, n_trials = len(cfg["labelsets"]), 3, cfg["trials"]
    gens = list(cfg["generators"])
    controls = [g for g in gens if g in ("copy", "noise")]
    trainable = [g for g in gens if g in ("samplernn", "ddsp")]
    models = trainable + [g for g in gens if g == "jukebox"]  # their resources ask for a GPU
    variants = 1 + len(gens)
    shards = [(cfg["generators"][g] or {}).get("gen_shards", 1) for g in models]
    jobs = {
        "check_audio": n_splits,  # one early audio check per split
        "list_rejected": n_sets,
        "make_manifest": n_sets * n_splits,
        "mel_shard": n_splits * cfg["features"]["shards"],
        "plan_augmentation": len(gens) * n_sets,
        "train_generator": len(trainable) * n_sets,
        "ddsp_features": 3 * n_sets,  # train, validation, sources of the main run
        # train and main sources in feature_shards jobs each, validation in one
        "ddsp_feature_shard": n_sets * (2 * cfg["generators"]["ddsp"]["feature_shards"] + 1),
        # a sharded generator's generate_clips is the CPU gather of its shards
        "generate_clips": (len(controls) + sum(n > 1 for n in shards)) * n_sets,
        "generate_clips_gpu": sum(n == 1 for n in shards) * n_sets,
        # a generator with gen_shards > 1 (SampleRNN, Jukebox) makes each run in that many jobs
        "generate_shard_gpu": n_sets * sum(n for n in shards if n > 1),
        "mel_generated": len(gens) * n_sets,
        "make_train_manifest": len(gens) * n_sets,
        "train_classifier": variants * n_sets * n_trials,
        "predict_classifier": variants * n_sets,  # one job per run: all its trials
        "compute_metrics": variants * n_sets,  # one job per run: its trials and summary
        "predict_generated": len(gens) * n_sets,  # the baseline's trials in one job
        "plot_confusion": variants * n_sets,
        "make_table3": n_sets,
        "controls_check": n_sets if controls else 0,  # copy and noise: their expectations
        "plot_class_durations": n_sets,
        "make_table1": 1,
        "all": 1,
    }
    if "equal_steps" in cfg:  # Table III's equal-steps block: each generator trained again
        equal = cfg["equal_steps"].get("generators", gens)
        equal_sets = len(cfg["equal_steps"].get("labelsets", cfg["labelsets"]))
        jobs["train_classifier"] += len(equal) * equal_sets * n_trials  # the baseline reused
        jobs["predict_classifier"] += len(equal) * equal_sets
        jobs["compute_metrics"] += len(equal) * equal_sets
    if "distance" in cfg:  # beyond the paper: embeddings of the baseline, no training
        jobs |= {
            "embed_clips": n_sets * n_trials,
            "frechet_distances": n_sets,
            "make_which_generator": n_sets,
            "plot_distance_gain": n_sets,
        }
    jobs = {rule: n for rule, n in jobs.items() if n}
    jobs["total"] = sum(jobs.values())
    return jobs


@pytest.mark.workflow
def test_paper_scale_dry_run_plans_every_job_without_audio(tmp_path):
    for part in ("config", "resources"):
        shutil.copytree(REPO / part, tmp_path / part)
    assert not Path(CONFIG["data"]["audio_root"]).exists()
    args = ["--configfile", "config/mtg_jamendo.yaml", "-n", "--cores", "4"]
    proc = snakemake(tmp_path, *args, config=None, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = job_counts(proc.stdout, total=True)
    assert table == expected_jobs(CONFIG)
    # 198 for the paper's generators, + 28 for Jukebox, 10 for the distance view, 5 audio checks,
    # + 34 DDSP feature shards (8 for train, 8 for the main sources, 1 for validation; 2 sets),
    # + 2 controls checks, + 60 for the equal-steps block (5 generators x 2 sets x 2 trials = 20
    # trainings, each predicted and scored: 3 x 20; no train manifest of its own: main's);
    # then one prediction and one metrics job per run instead of per trial and no summary job
    # (issue 21): - 22 predict_classifier (44 -> 22), - 22 compute_metrics (44 -> 22),
    # - 12 summarize_metrics (6 variants x 2 sets), - 10 predict_generated (20 -> 10);
    # + 48 generation shards (SampleRNN 8 and Jukebox 16 per run; 2 sets)
    assert table["total"] == 198 + 28 + 10 + 5 + 34 + 2 + 60 - 22 - 22 - 12 - 10 + 48
    assert runs_of(proc.stdout, "train_classifier") == {"main": 6 * 2 * 2, "equal-steps": 20}
    assert "equal-steps" not in runs_of(proc.stdout, "make_train_manifest")
    assert "download" not in proc.stdout  # fetching the audio is opt-in


@pytest.mark.workflow
def test_paper_config_with_every_view_plans_every_generator_kind(tmp_path):
    """The paper config, every generator kind, every view (Table III, ratio sweep, distance,
    CAS) on both label sets: one chain of rules plans it all, each view a value of {run}."""
    for part in ("config", "resources"):
        shutil.copytree(REPO / part, tmp_path / part)
    cfg = copy.deepcopy(CONFIG)
    for labelset in cfg["labelsets"]:  # a samples generator's table must exist to plan it
        (tmp_path / "own" / labelset).mkdir(parents=True)
        (tmp_path / "own" / labelset / "clips.tsv").write_text("path\tlabels\n")
    cfg["generators"] |= {
        "oracle": {"clip_seconds": 10, "holdout_fraction": 0.05},
        "own": {"kind": "samples", "dir": str(tmp_path / "own/{labelset}"), "table": "clips.tsv"},
        "ext": {"kind": "command", "command": "gen {primes} {out_dir}", "clip_seconds": 10},
    }
    gens = list(cfg["generators"])
    cfg["augment"]["fractions"] = [0.01, 0.05, 0.1]
    cfg |= {"sweep": {}, "cas": {}, "distance": {}}  # every generator, every label set
    out = run_config(tmp_path, cfg, "-n", "--cores", "4", timeout=600).stdout
    n_sets, n_trials, n_gens = len(cfg["labelsets"]), cfg["trials"], len(gens)
    sweep = {"frac-0.01": n_gens * n_sets, "frac-0.1": n_gens * n_sets}  # 0.05 is main
    per_run = {"main": n_gens * n_sets} | sweep
    assert runs_of(out, "plan_augmentation") == per_run
    generated = collections.Counter(runs_of(out, "generate_clips"))
    generated.update(runs_of(out, "generate_clips_gpu"))
    assert dict(generated) == per_run
    assert runs_of(out, "mel_generated") == per_run
    trained = {"main": (1 + n_gens) * n_sets * n_trials, "cas": n_gens * n_sets * n_trials}
    trained["equal-steps"] = n_gens * n_sets * n_trials  # the paper config's equal_steps: {}
    trained |= {run: n * n_trials for run, n in sweep.items()}
    assert runs_of(out, "train_classifier") == trained
    for rule in ("predict_classifier", "compute_metrics"):  # one job per run: all its trials
        assert runs_of(out, rule) == {r: n // n_trials for r, n in trained.items()}, rule
    assert runs_of(out, "make_train_manifest") == per_run | {"cas": n_gens * n_sets}
    # DDSP: train and validation features once, the sources of every run that generates
    assert job_counts(out)["ddsp_features"] == n_sets * (2 + 3)
    shards = cfg["generators"]["ddsp"]["feature_shards"]
    assert job_counts(out)["ddsp_feature_shard"] == n_sets * (1 + (1 + 3) * shards)
    for view in ("summarize_ratio_sweep", "make_cas_table", "frechet_distances"):
        assert job_counts(out)[view] == n_sets, view
