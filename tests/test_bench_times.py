"""Benchmark files of a run map to their rules (from the rule files' own templates)."""

import pandas as pd
import pytest
from helpers import REPO

from augeval.bench_times import forecast_vs_measured, per_rule, read_benchmarks, rule_templates

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write(root, rel, seconds, rss=100.0):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t1\n")


def test_every_rule_with_a_benchmark_is_found():
    templates = rule_templates(REPO / "workflow/rules")
    rules = set(templates.values())
    assert {"train_classifier", "compute_metrics", "mel_shard", "make_table3"} <= rules
    assert all(t.startswith("benchmarks/") for t in templates)


def test_files_sum_per_rule_and_the_more_specific_template_wins(tmp_path):
    bench = tmp_path / "benchmarks"
    write(bench, "classifier/train/mood_baseline_main_0.tsv", 70.0, rss=900)
    write(bench, "classifier/train/mood_copy_main_1.tsv", 30.0, rss=800)
    write(bench, "evaluate/metrics/mood_baseline_main.tsv", 9.5)
    # both make_manifest templates match this path: the literal one names the pool rule
    write(bench, "data/make_manifest/mood_oracle_pool.tsv", 2.0)
    write(bench, "data/make_manifest/mood_train.tsv", 3.0)
    write(bench, "not/a/rule.tsv", 1.0)
    rows = read_benchmarks(bench, REPO / "workflow/rules")
    assert dict(zip(rows["file"], rows["rule"], strict=True)) == {
        "benchmarks/classifier/train/mood_baseline_main_0.tsv": "train_classifier",
        "benchmarks/classifier/train/mood_copy_main_1.tsv": "train_classifier",
        "benchmarks/evaluate/metrics/mood_baseline_main.tsv": "compute_metrics",
        "benchmarks/data/make_manifest/mood_oracle_pool.tsv": "make_pool_manifest",
        "benchmarks/data/make_manifest/mood_train.tsv": "make_manifest",
        "benchmarks/not/a/rule.tsv": "?",
    }
    table = per_rule(rows).set_index("rule")
    assert table.index[0] == "train_classifier"  # longest total first
    expected = pd.Series(
        {"jobs": 2, "total_s": 100.0, "mean_s": 50.0, "max_s": 70.0, "max_rss_mb": 900.0}
    )
    pd.testing.assert_series_equal(
        table.loc["train_classifier", expected.index].astype(float),
        expected.astype(float),
        check_names=False,
    )
    assert table.loc["compute_metrics", "jobs"] == 1


def test_forecast_vs_measured_ratios_by_hand():
    measured = pd.DataFrame(
        {
            "rule": ["train_classifier", "compute_metrics", "only_run"],
            "jobs": [4, 2, 1],
            "mean_s": [90.0, 6.0, 1.0],
            "mean_cpu_s": [60.0, 3.0, 1.0],
        }
    )
    forecast = pd.DataFrame(
        {
            "rule": ["compute_metrics", "train_classifier", "only_forecast"],
            "jobs": [2, 4, 9],
            "forecast_hours_per_job": [2 / 3600, 30 / 3600, 1.0],
        }
    )
    table = forecast_vs_measured(measured, forecast).set_index("rule")
    assert list(table.index) == ["train_classifier", "compute_metrics"]  # in both, largest first
    assert table.loc["train_classifier", "cpu_ratio"] == pytest.approx(60 / 30)
    assert table.loc["train_classifier", "wall_ratio"] == pytest.approx(90 / 30)
    assert table.loc["compute_metrics", "cpu_ratio"] == pytest.approx(3 / 2)
    assert table.loc["compute_metrics", ["jobs_forecast", "jobs_run"]].tolist() == [2, 2]


def test_forecast_per_job_is_the_mean_job_when_the_total_is_given():
    # two jobs of 10 s and 90 s: the rule table's per-job figure is the longest (90 s), but
    # the measured side is a mean, so the comparison uses 100 s / 2 jobs
    measured = pd.DataFrame(
        {"rule": ["generate_clips_gpu"], "jobs": [2], "mean_s": [60.0], "mean_cpu_s": [50.0]}
    )
    forecast = pd.DataFrame(
        {
            "rule": ["generate_clips_gpu"],
            "jobs": [2],
            "forecast_hours_per_job": [90 / 3600],
            "forecast_hours_total": [100 / 3600],
        }
    )
    table = forecast_vs_measured(measured, forecast).set_index("rule")
    assert table.loc["generate_clips_gpu", "forecast_s"] == pytest.approx(50.0)
    assert table.loc["generate_clips_gpu", "cpu_ratio"] == pytest.approx(1.0)


def test_cpu_time_is_read_per_job(tmp_path):
    bench = tmp_path / "benchmarks"
    write(bench, "evaluate/metrics/mood_baseline_main.tsv", 9.5)  # cpu_time 1 in write()
    write(bench, "evaluate/metrics/mood_copy_main.tsv", 4.5)
    table = per_rule(read_benchmarks(bench, REPO / "workflow/rules")).set_index("rule")
    assert table.loc["compute_metrics", "mean_cpu_s"] == 1.0
    assert table.loc["compute_metrics", "mean_s"] == 7.0


def test_cpu_time_comes_from_the_jobs_log_where_it_has_a_resources_line(tmp_path):
    # Snakemake's sampled cpu_time (1 s in write()) is replaced by the exact figure the job
    # logged; a job without the line (killed, or an older run) keeps the benchmark's
    bench = tmp_path / "benchmarks"
    write(bench, "evaluate/metrics/mood_baseline_main.tsv", 9.5)
    write(bench, "evaluate/metrics/mood_copy_main.tsv", 4.5)
    log = tmp_path / "logs/evaluate/metrics/mood_baseline_main.log"
    log.parent.mkdir(parents=True)
    log.write_text(
        "2026-12-03 10:00:00,000 INFO augeval: resources: wall 9.40 s, cpu 3.00 s (user 2.00 s, "
        "sys 1.00 s), max_rss 150 MB\n"
        "2026-12-03 10:00:09,000 INFO augeval: resources: wall 9.45 s, cpu 8.25 s (user 7.00 s, "
        "sys 1.25 s), max_rss 160 MB\n"
    )
    rows = read_benchmarks(bench, REPO / "workflow/rules").set_index("file")
    base = rows.loc["benchmarks/evaluate/metrics/mood_baseline_main.tsv"]
    copy = rows.loc["benchmarks/evaluate/metrics/mood_copy_main.tsv"]
    assert (base["cpu_s"], base["cpu_from"]) == (8.25, "log")  # the last line wins
    assert (copy["cpu_s"], copy["cpu_from"]) == (1.0, "benchmark")
