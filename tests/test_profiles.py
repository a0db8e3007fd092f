"""The cluster profile: GPUs for exactly the GPU rules, and few SLURM jobs at paper scale.

Both come from a real paper-scale dry-run through ``--profile profiles/slurm`` (no cluster needed:
a dry-run submits nothing), so the resources checked are the ones the SLURM plugin would turn into
``sbatch`` options.
"""

import collections
import shutil

import pytest
import yaml
from helpers import REPO, planned_resources, snakemake

pytestmark = pytest.mark.workflow  # a real paper-scale dry-run
PROFILE = REPO / "profiles" / "slurm" / "config.v8+.yaml"
GPU_RULES = {"train_classifier", "train_generator", "generate_clips_gpu", "generate_shard_gpu"}


@pytest.fixture(scope="module")
def paper_plan(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("paper")
    for name in ("config", "resources"):
        shutil.copytree(REPO / name, workdir / name)
    args = ["--profile", str(PROFILE.parent), "-n", "--configfile", "config/mtg_jamendo.yaml"]
    proc = snakemake(workdir, *args, config=None, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return planned_resources(proc)


def test_production_profile_requests_gpus_for_exactly_the_gpu_rules(paper_plan):
    jobs, _ = paper_plan
    gpu_jobs = {rule for rule, res in jobs if int(res.get("gpu", 0)) > 0}
    cpu_rules = {rule for rule, _ in jobs} - GPU_RULES
    assert gpu_jobs == GPU_RULES  # the paper config runs the pretrained Jukebox too
    for rule, res in jobs:
        if rule in GPU_RULES:
            assert res["gpu"] == "1" and "--signal=USR1@" in res["slurm_extra"], (rule, res)
        else:
            assert "gpu" not in res and "gpu_model" not in res, (rule, res)
    assert {"mel_shard", "compute_metrics", "predict_classifier"} <= cpu_rules
    # the profile itself: Jukebox (a later rule) is covered, and no default asks for a GPU
    profile = yaml.safe_load(PROFILE.read_text())
    asking = {rule for rule, res in profile["set-resources"].items() if res.get("gpu", 0) > 0}
    assert asking == GPU_RULES
    assert "gpu" not in profile["default-resources"]


def test_paper_scale_submits_tens_of_slurm_jobs_not_hundreds(paper_plan):
    jobs, units = paper_plan
    per_rule = collections.Counter(rule for rule, _ in jobs)
    print("\npaper-scale dry-run: jobs per rule", dict(per_rule))
    print("SLURM submissions", dict(units), "total", sum(units.values()))
    # 6 variants (baseline, copy, noise, samplernn, ddsp, jukebox) x 2 label sets x 2 trials,
    # + Table III's equal-steps block: the 5 generators again, 5 x 2 x 2 = 20
    assert per_rule["mel_shard"] == 48 and per_rule["train_classifier"] == 24 + 20
    assert units["group mel_cache"] == 6  # 48 shards, 8 per SLURM job
    assert "mel_shard" not in units and "compute_metrics" not in units
    # every grouped rule's jobs are submitted as group jobs of up to group-components pieces
    profile = yaml.safe_load(PROFILE.read_text())
    components = dict(g.split("=") for g in profile["group-components"])
    in_group = collections.Counter(profile["groups"][r] for r, _ in jobs if r in profile["groups"])
    for group, n in in_group.items():
        assert units[f"group {group}"] == -(-n // int(components[group])), group
    ungrouped = sum(n for rule, n in per_rule.items() if rule not in profile["groups"])
    assert (
        sum(units.values())
        == ungrouped - per_rule["all"] + sum(units[f"group {g}"] for g in in_group) + units["all"]
    )
    # Generation shards are GPU jobs of hours each (gen_shards: the forecast sizes them to the
    # limit): each is its own submission by design.
    assert units["generate_shard_gpu"] == per_rule["generate_shard_gpu"] == 48
