"""The demo workflow on a real one-node SLURM cluster, through ``--profile profiles/slurm``.

``tests/slurm/cluster.sh`` starts munged, slurmctld and slurmd (or reuses the cluster that .ci/run
started). The test overlay ``tests/slurm/profile`` turns GPU requests off (the node has none) and
polls with squeue (no accounting database). A small config runs to a target subset: one baseline
metrics TSV, the `copy` control's augmented train manifest and one figure. Then the incremental
cases: a second run submits nothing, a changed generator section re-plans only that generator's
branch, and a deleted figure re-plans only its plot rule.
"""

import os
import re
import shutil
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml
from helpers import REPO, TINY, planned_jobs
from helpers import snakemake as run_snakemake

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
PROFILES = ["--profile", str(REPO / "profiles/slurm")]
PROFILES += ["--profile", str(REPO / "tests/slurm/profile")]  # the CI overlay: no GPUs
METRICS = "results/metrics/emotion/baseline/main/trial-0.tsv"
AUGMENTED = "results/augment/copy/emotion/main/train.tsv"
FIGURE = "results/figures/class_durations_emotion.pdf"
TARGETS = [METRICS, AUGMENTED, FIGURE]

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        shutil.which("sbatch") is None,
        reason="SLURM is not installed (no sbatch): `apt-get install -y slurm-wlm munge` "
        "(.ci/run does this), then tests/slurm/cluster.sh start",
    ),
]


def small_config() -> dict:
    cfg = dict(TINY, trials=1, labelsets=["emotion"], generators={"copy": {"clip_seconds": 3}})
    cfg["features"] = dict(cfg["features"], shards=1)
    schedule = [{"optimizer": "adam", "lr": 1e-3, "epochs": 1}]
    cfg["classifier"] = dict(cfg["classifier"], schedule=schedule)
    return cfg


@pytest.fixture(scope="module")
def cluster():
    t0 = time.monotonic()
    start = ["bash", str(CLUSTER), "start"]
    proc = subprocess.run(start, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    started_here = "SLURM up in" in proc.stderr
    how = "started" if started_here else "already running"
    print(f"\nSLURM cluster {how}, ready in {time.monotonic() - t0:.1f} s")
    yield
    if started_here:
        subprocess.run(["bash", str(CLUSTER), "stop"], timeout=120, check=True)


def snakemake(workdir, *args, config="small.yaml"):
    env = os.environ | {"PYTHONPATH": str(REPO / "src")}
    proc = run_snakemake(
        workdir, *PROFILES, *args, config=config, check=False, timeout=1200, cwd=workdir, env=env
    )
    if proc.returncode != 0:
        logs = sorted((workdir / ".snakemake/slurm_logs").rglob("*.log"))
        tail = logs[-1].read_text()[-3000:] if logs else ""
        pytest.fail(f"snakemake {' '.join(args)} failed:\n{proc.stderr[-5000:]}\n{tail}")
    return proc


def slurm_job_ids(workdir) -> set[str]:
    """SLURM job ids, from the plugin's per-job logs (.snakemake/slurm_logs/.../<jobid>.log)."""
    return {p.stem for p in (workdir / ".snakemake/slurm_logs").rglob("*.log")}


def submitted_ids(proc) -> set[str]:
    return set(re.findall(r"submitted with SLURM jobid (\d+)", proc.stdout + proc.stderr))


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("slurm")
    (workdir / "small.yaml").write_text(yaml.safe_dump(small_config()))
    t0 = time.monotonic()
    proc = snakemake(workdir, *TARGETS)
    print(f"slurm run: {len(slurm_job_ids(workdir))} SLURM jobs in {time.monotonic() - t0:.0f} s")
    return workdir, proc


def test_jobs_ran_through_slurm_and_outputs_are_complete(slurm_run):
    workdir, proc = slurm_run
    ids = submitted_ids(proc)
    assert len(ids) >= 5 and slurm_job_ids(workdir) == ids, (ids, slurm_job_ids(workdir))
    states = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--format=%i|%T", "--jobs", ",".join(ids)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    state = dict(line.split("|") for line in states.split())
    assert set(state) == ids and set(state.values()) == {"COMPLETED"}, state
    logs = workdir / ".snakemake/slurm_logs"
    assert list(logs.glob("rule_train_classifier/emotion_baseline_main_0/*.log"))
    assert list(logs.glob("group_mel_cache_mel_shard/*.log"))  # the shards ran grouped
    metrics = pd.read_csv(workdir / METRICS, sep="\t")
    assert metrics["value"].between(0, 1).any()
    augmented = pd.read_csv(workdir / AUGMENTED, sep="\t")
    assert (augmented["source"] == "copy").any() and (augmented["source"] == "real").any()
    assert (workdir / FIGURE).read_bytes()[:5] == b"%PDF-"


def test_second_run_submits_nothing(slurm_run):
    workdir, _ = slurm_run
    before = slurm_job_ids(workdir)
    again = snakemake(workdir, *TARGETS)
    assert "Nothing to be done" in again.stdout + again.stderr
    assert not submitted_ids(again) and slurm_job_ids(workdir) == before
    print("incremental: second run re-runs 0 jobs")


def test_changed_generator_section_replans_only_its_branch(slurm_run):
    workdir, _ = slurm_run
    cfg = small_config()
    cfg["generators"]["copy"]["clip_seconds"] = 2
    (workdir / "changed.yaml").write_text(yaml.safe_dump(cfg))
    plan = snakemake(workdir, *TARGETS, "-n", "--rerun-triggers", "params", config="changed.yaml")
    jobs = planned_jobs(plan)
    print("incremental: changed generators.copy re-plans", jobs)
    assert jobs == {"plan_augmentation", "generate_clips", "make_train_manifest"}, jobs
    out = plan.stdout + plan.stderr
    assert "wildcards: generator=copy, labelset=emotion, run=main" in out
    assert "train_classifier" not in out and "mel_shard" not in out  # the baseline is kept


def test_deleted_figure_replans_only_its_plot_rule(slurm_run):
    workdir, _ = slurm_run
    (workdir / FIGURE).unlink()
    jobs = planned_jobs(snakemake(workdir, "-n", *TARGETS))
    print("incremental: deleted figure re-plans", jobs)
    assert jobs == {"plot_class_durations"}, jobs


def test_usr1_from_slurm_reaches_training_in_its_job_step(cluster, tmp_path):
    """What `--signal=USR1@120` does near the time limit, sent now with `scancel --signal`:
    SLURM signals the job step (srun), where the training runs; it saves and stops."""
    driver = REPO / "tests" / "preempt_driver.py"
    out = tmp_path / "job.out"
    step = f"srun -n1 {sys.executable} {driver} classifier {tmp_path} {tmp_path / 'train.log'}"
    env = os.environ | {"PYTHONPATH": str(REPO / "src"), "AUGEVAL_TEST_STEP_SLEEP": "0.5"}
    submit = ["sbatch", "--parsable", "-o", str(out), "--mem=2000", "--wrap", step]
    job = subprocess.run(submit, capture_output=True, text=True, check=True, env=env).stdout
    job = job.strip().split(";")[0]

    def state():
        cmd = ["squeue", "--states=all", "--noheader", "--format=%T", "--jobs", job]
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()

    deadline = time.monotonic() + 300
    while "step 3" not in (out.read_text() if out.exists() else ""):
        assert time.monotonic() < deadline and state() in ("PENDING", "RUNNING"), state()
        time.sleep(0.5)
    subprocess.run(["scancel", "--signal=USR1", job], check=True)
    while state() in ("PENDING", "RUNNING", "COMPLETING"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert state() == "FAILED"  # exit status 128 + SIGUSR1: Snakemake would retry it
    log = (tmp_path / "train.log").read_text()
    assert "stopped by SIGUSR1 after saving the training state" in log
    assert (tmp_path / "run/train_state.pt").exists()
    assert not (tmp_path / "run/checkpoint.pt").exists()
