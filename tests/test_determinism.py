"""A tiny real DAG (demo corpus → audio check → manifests → mels → classifier → metrics) run twice:
byte-identical metric and prediction TSVs; then a corrupted audio file under both
``data.on_bad_audio`` policies. Baseline only, one label set, one trial (~1 min per run on 2 cores).
"""

from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import REPO, results_in_report
from helpers import snakemake as run_snakemake

TINY = {
    "seed": 11,
    "trials": 1,
    "labelsets": ["emotion"],
    "data": {
        "source": "demo",
        "split": "split-0",
        "demo": {"n_tracks": 24, "clip_seconds": [2, 3], "multi_label_fraction": 0.0},
    },
    "labels": {
        "tags": ["happy", "calm", "dark", "sad"],
        "emotion_mapping": str(REPO / "config" / "emotion_mapping.tsv"),
    },
    "features": {
        "sample_rate": 12000,
        "n_fft": 512,
        "hop_length": 256,
        "n_mels": 48,
        "f_min": 0,
        "f_max": 6000,
        "max_frames": 96,
        "shards": 1,
    },  # fmt: skip
    "classifier": {
        "pretrained": "none",
        "width_mult": 0.25,
        "input_frames": 64,
        "chunk_frames": 32,
        "batch_size": 8,
        "crop": "random",
        "selection_metric": "roc_auc_macro",
        "augment": {"resized_crop_p": 0.33, "specaugment_p": 0.5, "mixup": True},
        "schedule": [{"optimizer": "adam", "lr": 0.001, "epochs": 2}],
        "bn_batches": 2,
        "device": "cpu",
    },  # fmt: skip
    "tables": {"n_bootstrap": 10},
}
RESULTS = [
    "results/metrics/emotion/baseline/main/trial-0.tsv",
    "results/predictions/emotion/baseline/main/trial-0/test.tsv",
    "results/predictions/emotion/baseline/main/trial-0/validation.tsv",
    "results/data/emotion/train.tsv",
    "results/data/emotion/rejected.tsv",
]


def snakemake(workdir, *args, config="tiny.yaml"):
    return run_snakemake(workdir, *args, config=config, cores=2, check=False, timeout=600)


def run_tiny(workdir):
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    proc = snakemake(workdir, *RESULTS)
    assert proc.returncode == 0, proc.stderr[-5000:]
    return {name: (workdir / name).read_bytes() for name in RESULTS}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    a, b = tmp_path_factory.mktemp("run_a"), tmp_path_factory.mktemp("run_b")
    return (a, run_tiny(a)), (b, run_tiny(b))


@pytest.mark.workflow
def test_same_config_and_seed_give_byte_identical_tsvs(two_runs):
    (_, first), (_, second) = two_runs
    for name in RESULTS:
        assert first[name] == second[name], name
    metrics = pd.read_csv(pd.io.common.BytesIO(first[RESULTS[0]]), sep="\t")
    assert len(metrics) > 0 and metrics.notna().any().any()
    rejected = pd.read_csv(pd.io.common.BytesIO(first["results/data/emotion/rejected.tsv"]))
    assert len(rejected) == 0  # clean demo audio: nothing rejected


@pytest.mark.workflow
def test_bad_audio_error_stops_and_skip_lists_it(two_runs):
    _, (workdir, _) = two_runs
    train = pd.read_csv(workdir / "results/data/emotion/train.tsv", sep="\t")
    victim = Path(train["path"].iloc[0])
    victim = victim if victim.is_absolute() else workdir / victim
    victim.write_bytes(b"not audio at all\n" * 100)
    targets = ["results/data/emotion/train.tsv", "results/data/emotion/rejected.tsv"]

    failed = snakemake(workdir, "--forcerun", "check_audio", *targets)
    assert failed.returncode != 0
    log = (workdir / "logs/data/check_audio/train.log").read_text()
    assert victim.name in log and "not decodable audio" in log and "on_bad_audio: skip" in log
    assert not (workdir / "results/data/audio_check/train.tsv").exists()  # nothing half-done

    skip = dict(TINY, data=dict(TINY["data"], on_bad_audio="skip"))
    (workdir / "skip.yaml").write_text(yaml.safe_dump(skip))
    table1 = "results/tables/table1_durations.tsv"
    ok = snakemake(workdir, "--forcerun", "check_audio", *targets, table1, config="skip.yaml")
    assert ok.returncode == 0, ok.stderr[-5000:]
    rejected = pd.read_csv(workdir / "results/data/emotion/rejected.tsv", sep="\t")
    assert list(rejected["track_id"]) == [train["track_id"].iloc[0]]
    assert rejected["split"].tolist() == ["train"]
    assert "not decodable audio" in rejected["reason"].iloc[0]
    after = pd.read_csv(workdir / "results/data/emotion/train.tsv", sep="\t")
    assert list(after["track_id"]) == list(train["track_id"].iloc[1:])
    counts = pd.read_csv(workdir / table1, sep="\t").set_index("split")["rejected_tracks"]
    assert counts.to_dict() == {"train": 1, "validation": 0, "test": 0}  # the count is shown

    # the report shows the rejected track, with a caption that says what the table means
    report = snakemake(workdir, "--report", "report.html", *targets, table1, config="skip.yaml")
    assert report.returncode == 0, report.stderr[-3000:]
    results = results_in_report((workdir / "report.html").read_text())
    (entry,) = [e for p, e in results.items() if p.endswith("emotion/rejected.tsv")]
    assert "left out because their audio is unusable" in entry["caption"]
    assert "emotion label set" in entry["caption"]  # wildcards rendered
