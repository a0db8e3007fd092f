"""Cost forecast (augeval.forecast): arithmetic against hand computation on a made-up study, the
unit-cost file, and (workflow tests) the paper config's forecast against its dry-run and the
SLURM profile."""

import copy
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import REPO, job_counts, snakemake

from augeval.errors import ConfigError
from augeval.forecast import COLUMNS, Costs, ddsp_feature_jobs, forecast

HEADER = "TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
TRACKS = {  # split: [(duration, tags)]
    "train": [(100, ["calm"]), (200, ["happy"]), (50, ["calm", "happy"]), (30, ["happy"])],
    "validation": [(40, ["calm"]), (60, ["happy"])],
    "test": [(70, ["calm"]), (80, ["happy"])],
}
OVERHEAD, MEL, DECODE, PYIN = 2.0, 0.001, 0.0005, 0.5
TRAIN, PREDICT, SRNN_STEP, DDSP_EX, BOOT = 0.1, 0.02, 0.001, 0.01, 1e-6


def _unit(name, device, value, estimated=False, reference=None, scaling=None):
    return {
        "name": name, "device": device, "value": value, "unit": "s",
        "measured_on": "test machine" if device == "cpu" else "not measured",
        "date": "2026-12-02", "remeasure": "python bench/bench_unit_costs.py",
        "estimated": estimated, "reference": reference or {}, "scaling": scaling or {},
    }  # fmt: skip


COSTS = [
    _unit("job_overhead_s", "cpu", OVERHEAD),
    _unit("mel_s_per_audio_s", "cpu", MEL),
    _unit("decode_s_per_audio_s", "cpu", DECODE),
    _unit(
        "ddsp_features_s_per_excerpt", "cpu", PYIN,
        reference={"hop": 256, "f0_resolution": 0.25, "clip_seconds": 4.0},
        scaling={"hop": -1, "f0_resolution": -2, "clip_seconds": 1},
    ),
    _unit("classifier_train_s_per_example", "cpu", TRAIN,
          reference={"width_mult": 0.35, "input_frames": 256}, scaling={"input_frames": 1}),
    _unit("classifier_predict_s_per_example", "cpu", PREDICT,
          reference={"width_mult": 0.35, "input_frames": 256}, scaling={"input_frames": 1}),
    _unit("samplernn_gen_s_per_sample_step", "gpu", SRNN_STEP, estimated=True),
    _unit("samplernn_train_s_per_step", "gpu", 0.5, estimated=True),
    _unit("ddsp_train_s_per_example", "gpu", DDSP_EX, estimated=True),
    _unit("bootstrap_s_per_track_class", "cpu", BOOT),
]  # fmt: skip

CONFIG = {
    "labels": {"tags": ["calm", "happy"], "emotion_mapping": None, "multi_quadrant": "first_tag"},
    "augment": {"fraction": 0.5, "duration": "full"},
    "features": {"sample_rate": 12000, "hop_length": 256, "max_frames": 768, "n_mels": 96},
    "classifier": {
        "width_mult": 0.35, "input_frames": 256, "batch_size": 2, "bn_batches": 1,
        "epoch_size": "all", "schedule": [{"optimizer": "adam", "lr": 0.001, "epochs": 3}],
    },
    "tables": {"n_bootstrap": 10},
    "generators": {
        "copy": {"clip_seconds": 10},
        "samplernn": {"clip_seconds": 2, "sample_rate": 1000, "gen_batch_size": 4, "steps": 10,
                      "dim": 64, "n_rnn": 1, "batch_size": 16, "seq_len": 256},
        "ddsp": {"clip_seconds": 4, "hop": 256, "f0_resolution": 0.25, "epochs": 2,
                 "val_every": 1, "max_val_clips": 2, "hidden": 64, "n_harmonics": 32,
                 "feature_shards": 2, "feature_threads": 2},
    },
}  # fmt: skip
GENERATORS = list(CONFIG["generators"])
CPU_RULE = {"runtime": 10}
PLAN = {
    "labelsets": ["mood"], "trials": 1, "shards": 2, "demo": False,
    "kinds": {g: g for g in GENERATORS}, "trainable": ["samplernn", "ddsp"], "featured": ["ddsp"],
    "demo_samples": [], "gpu_generators": ["samplernn", "ddsp"], "cpu_generators": ["copy"],
    "variants": ["baseline", *GENERATORS], "holdout": False, "run_fractions": {"main": 0.5},
    "sweep_runs": [], "sweep_generators": [], "sweep_labelsets": [], "cas_generators": [],
    "cas_labelsets": [], "distance_generators": [], "distance_labelsets": [],
    "distance_reference_splits": [], "audio_check_seconds": 60.0,
    "gen_shards": {g: 1 for g in GENERATORS},
    "gather_resources": {"mem_mb": 2000, "runtime": 30, "threads": 1},
    # train_classifier: a CPU rule here, with a 6 s limit that only the baseline meets
    "rules": {r: CPU_RULE for r in (
        "check_audio", "list_rejected", "make_manifest", "mel_shard", "plan_augmentation",
        "ddsp_feature_shard", "ddsp_features", "mel_generated", "make_train_manifest",
        "predict_classifier",
        "predict_generated", "compute_metrics", "plot_confusion",
        "make_table3", "make_table1", "plot_class_durations")}
    | {"train_classifier": {"runtime": 0.1}},
    "generator_resources": {"copy": {"runtime": 60, "gpu": 0},
                            "samplernn": {"runtime": 60, "gpu": 1},
                            "ddsp": {"runtime": 60, "gpu": 1}},
}  # fmt: skip


def _write_metadata(root: Path) -> dict:
    paths, n = {}, 0
    for split, rows in TRACKS.items():
        lines = []
        for duration, tags in rows:
            n += 1
            tag_cells = "\t".join(f"mood/theme---{t}" for t in tags)
            lines.append(
                f"track_{n:07d}\tartist_{n:06d}\talbum_{n:06d}\t{n:02d}/{n}.mp3\t{duration}\t{tag_cells}\n"
            )
        paths[split] = root / f"autotagging_moodtheme-{split}.tsv"
        paths[split].write_text(HEADER + "".join(lines))
    return paths


@pytest.fixture(scope="module")
def made_up(tmp_path_factory):
    root = tmp_path_factory.mktemp("forecast")
    costs_file = root / "costs.yaml"
    costs_file.write_text(yaml.safe_dump({"units": COSTS}))
    rules, generators, _ = forecast(
        CONFIG, PLAN, _write_metadata(root), Costs.from_yaml(costs_file)
    )
    return rules.set_index("rule"), generators.set_index("generator")


def hours(seconds):
    return pytest.approx(seconds / 3600, rel=1e-9)


def test_columns_and_rules(made_up):
    rules, _ = made_up
    assert list(rules.reset_index().columns) == list(COLUMNS)
    assert rules.loc["generate_clips_gpu", "device"] == "gpu"
    assert rules.loc["generate_clips", "device"] == "cpu"
    assert "demo_corpus" not in rules.index and "embed_clips" not in rules.index


def test_mel_shards_split_the_cached_seconds(made_up):
    rules, _ = made_up
    cached = 767 * 256 / 12000  # (max_frames - 1) * hop / sr: every train track is longer
    per_shard = 4 * cached / 2
    assert rules.loc["mel_shard", "jobs"] == 3 * 2
    assert rules.loc["mel_shard", "forecast_hours_per_job"] == hours(OVERHEAD + per_shard * MEL)
    # check_audio reads at most 60 s of each track; train is the longest split: 60+60+50+30 s
    assert rules.loc["check_audio", "forecast_hours_per_job"] == hours(OVERHEAD + 200 * DECODE)


def test_generation_follows_the_budget(made_up):
    rules, _ = made_up
    # budget: 0.5 x 380 s train = 190 s, 95 s per class; samplernn clips of 2 s: 48 per class
    n_clips = 2 * math.ceil(95 / 2)
    steps = math.ceil(n_clips / 4) * 2 * 1000  # batches x clip seconds x sample rate
    samplernn = OVERHEAD + steps * SRNN_STEP
    ddsp = OVERHEAD + 2 * math.ceil(95 / 4) * DDSP_EX / 3
    assert rules.loc["generate_clips_gpu", "jobs"] == 2
    assert rules.loc["generate_clips_gpu", "forecast_hours_per_job"] == hours(max(samplernn, ddsp))
    assert rules.loc["generate_clips_gpu", "forecast_hours_total"] == hours(samplernn + ddsp)
    assert rules.loc["generate_clips_gpu", "estimated"]
    copy = OVERHEAD + 2 * math.ceil(95 / 10) * 10 * DECODE
    assert rules.loc["generate_clips", "forecast_hours_total"] == hours(copy)
    assert not rules.loc["generate_clips", "estimated"]


def test_ddsp_features_shard_as_the_workflow_does(made_up):
    rules, _ = made_up
    # feature_shards 2: train 4 excerpts -> 2 + 2, validation 2 -> one job, sources 48 -> 24 + 24,
    # each shard's excerpts over feature_threads 2 processes; one gather job per part
    assert rules.loc["ddsp_feature_shard", "jobs"] == 2 + 1 + 2
    assert rules.loc["ddsp_feature_shard", "forecast_hours_per_job"] == hours(
        OVERHEAD + 24 / 2 * PYIN
    )
    total = 5 * OVERHEAD + (4 + 2 + 48) / 2 * PYIN
    assert rules.loc["ddsp_feature_shard", "forecast_hours_total"] == pytest.approx(hours(total))
    assert rules.loc["ddsp_features", "jobs"] == 3
    assert rules.loc["ddsp_features", "forecast_hours_total"] == hours(3 * OVERHEAD)


def test_classifier_epochs_and_fits(made_up):
    rules, generators = made_up
    baseline = OVERHEAD + 3 * 4 * TRAIN + 3 * (2 + 2) * PREDICT  # epochs x (val + bn examples)
    # the longest: samplernn's variant, 4 real + 96 generated rows
    with_samplernn = OVERHEAD + 3 * (4 + 96) * TRAIN + 3 * (2 + 2) * PREDICT
    assert rules.loc["train_classifier", "jobs"] == 4  # baseline + 3 variants, 1 trial
    assert rules.loc["train_classifier", "forecast_hours_per_job"] == hours(with_samplernn)
    assert rules.loc["train_classifier", "runtime_limit_hours"] == pytest.approx(0.1 / 60)
    assert baseline < 6 < with_samplernn and not rules.loc["train_classifier", "fits"]
    assert rules.loc["mel_shard", "fits"]
    assert generators.loc["real", "cpu_hours"] > baseline / 3600


def test_table3_bootstrap_and_generator_totals(made_up):
    rules, generators = made_up
    per_table = (
        OVERHEAD + 10 * 4 * 1 * 2 * 2 * BOOT
    )  # resamples x variants x trials x tracks x classes
    assert rules.loc["make_table3", "forecast_hours_total"] == hours(per_table)
    train_srnn = OVERHEAD + 10 * 0.5
    assert generators.loc["samplernn", "gpu_hours"] > train_srnn / 3600
    total_rows = rules["forecast_hours_total"].sum()
    assert generators[["cpu_hours", "gpu_hours"]].to_numpy().sum() == pytest.approx(total_rows)


def test_ddsp_feature_jobs():
    assert ddsp_feature_jobs(10) == [10]
    assert ddsp_feature_jobs(10, 4) == [4, 3, 3]
    assert ddsp_feature_jobs(3, 4) == [3]
    assert (
        sum(ddsp_feature_jobs(27_500, 512)) == 27_500 and max(ddsp_feature_jobs(27_500, 512)) <= 512
    )


def test_unit_scaling_and_nearest_reference(tmp_path):
    near = _unit("u", "cpu", 1.0, reference={"hop": 256}, scaling={"hop": -1})
    far = _unit("u", "cpu", 40.0, reference={"hop": 64}, scaling={"hop": -1})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"units": [near, far]}))
    costs = Costs.from_yaml(path)
    assert costs.get("u", "cpu", hop=128) == (pytest.approx(2.0), False)  # 1.0 x (128/256)^-1
    assert costs.get("u", "cpu", hop=64)[0] == pytest.approx(40.0)
    with pytest.raises(ConfigError, match="no unit cost 'u' for device 'gpu'"):
        costs.get("u", "gpu", hop=64)


def test_bad_cost_files_name_the_problem(tmp_path):
    path = tmp_path / "c.yaml"
    bad_gpu = _unit("g", "gpu", 1.0, estimated=False)
    path.write_text(yaml.safe_dump({"units": [bad_gpu]}))
    with pytest.raises(ConfigError, match=r"c.yaml.*mark it estimated: true"):
        Costs.from_yaml(path)
    incomplete = {k: v for k, v in _unit("g", "cpu", 1.0).items() if k != "remeasure"}
    path.write_text(yaml.safe_dump({"units": [incomplete]}))
    with pytest.raises(ConfigError, match=r"units\[0\] lacks \['remeasure'\]"):
        Costs.from_yaml(path)


def test_shipped_costs_say_how_to_remeasure():
    costs = Costs.from_yaml(REPO / "resources" / "costs.yaml")
    for unit in costs.units:
        script = next(w for w in unit.remeasure.split() if w.startswith("bench/"))
        assert (REPO / script).is_file(), unit
        if unit.device == "gpu" and not unit.estimated:  # Costs.from_yaml refuses anything else
            assert "gpu" in unit.measured_on.lower(), unit


# ---------------------------------------------------------------------------------------------
# The paper config: the real rule, its job counts against the dry-run, and the SLURM profile.

PROFILE = REPO / "profiles" / "slurm" / "config.v8+.yaml"


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("paper_forecast")
    for name in ("config", "resources"):
        shutil.copytree(REPO / name, workdir / name)
    args = ["--configfile", "config/mtg_jamendo.yaml"]
    snakemake(workdir, "results/plan/cost_forecast.tsv", "--cores", "1", *args, config=None)
    dry = snakemake(workdir, "-n", "--cores", "1", *args, config=None)
    table = pd.read_csv(workdir / "results/plan/cost_forecast.tsv", sep="\t").set_index("rule")
    return table, job_counts(dry)


@pytest.mark.workflow
def test_paper_forecast_counts_the_jobs_of_the_dry_run(paper):
    table, counts = paper
    counts.pop("all")
    assert table["jobs"].to_dict() == counts


@pytest.mark.workflow
def test_forecast_and_profile_agree_on_gpu_rules(paper):
    table, _ = paper
    profile = yaml.safe_load(PROFILE.read_text())
    profile_gpu = {r for r, res in profile["set-resources"].items() if res.get("gpu", 0) > 0}
    forecast_gpu = set(table.index[table["device"] == "gpu"])
    gpu_rules = {"train_classifier", "train_generator", "generate_clips_gpu", "generate_shard_gpu"}
    assert forecast_gpu == profile_gpu == gpu_rules
    assert not set(table.index[table["device"] == "cpu"]) & profile_gpu  # no CPU rule asks for one
    assert "gpu" not in profile["default-resources"]


def test_a_rule_with_limits_per_generator_reports_its_tightest_job():
    from augeval.forecast import Job, rule_table

    jobs = [  # 10 h of a 48 h limit, 100 h of a 168 h limit: the second is nearer its limit
        Job("generate_clips_gpu", "gpu", 10 * 3600, 48 * 60, True, "ddsp"),
        Job("generate_clips_gpu", "gpu", 100 * 3600, 168 * 60, True, "jukebox"),
    ]
    row = rule_table(jobs).iloc[0]
    assert (row["forecast_hours_per_job"], row["runtime_limit_hours"]) == (100, 168)
    assert row["forecast_hours_total"] == 110 and row["fits"]
    jobs.append(Job("generate_clips_gpu", "gpu", 49 * 3600, 48 * 60, True, "samplernn"))
    row = rule_table(jobs).iloc[0]
    assert (row["forecast_hours_per_job"], row["runtime_limit_hours"], row["fits"]) == (
        49,
        48,
        False,
    )


def _forecast_with(tmp_path, config: dict, plan: dict, units: list) -> pd.DataFrame:
    costs_file = tmp_path / "costs.yaml"
    costs_file.write_text(yaml.safe_dump({"units": units}))
    rules, _, _ = forecast(config, plan, _write_metadata(tmp_path), Costs.from_yaml(costs_file))
    return rules.set_index("rule")


def test_generation_shards_and_their_gather(tmp_path):
    plan = PLAN | {"gen_shards": PLAN["gen_shards"] | {"samplernn": 5}}
    rules = _forecast_with(tmp_path, CONFIG, plan, COSTS)
    # 96 samplernn clips in batches of 4: 24 batches, 5 shards of 5, 5, 5, 5, 4 batches
    per_batch = 2 * 1000 * SRNN_STEP  # clip seconds x sample rate steps
    assert rules.loc["generate_shard_gpu", "jobs"] == 5
    assert rules.loc["generate_shard_gpu", "forecast_hours_per_job"] == hours(
        OVERHEAD + 5 * per_batch
    )
    assert rules.loc["generate_shard_gpu", "forecast_hours_total"] == pytest.approx(
        hours(5 * OVERHEAD + 24 * per_batch)
    )
    # generate_clips_gpu: ddsp's one job; generate_clips: copy's, and samplernn's gather (a
    # start-up-only CPU job under the gather's 30 min limit)
    ddsp = OVERHEAD + 2 * math.ceil(95 / 4) * DDSP_EX / 3
    assert rules.loc["generate_clips_gpu", "jobs"] == 1
    assert rules.loc["generate_clips_gpu", "forecast_hours_total"] == hours(ddsp)
    copy = OVERHEAD + 2 * math.ceil(95 / 10) * 10 * DECODE
    assert rules.loc["generate_clips", "jobs"] == 2
    assert rules.loc["generate_clips", "forecast_hours_total"] == hours(copy + OVERHEAD)
    assert rules.loc["generate_clips", "device"] == "cpu"


def test_samplernn_with_the_prime_inside_samples_only_the_continuation(tmp_path):
    # include_prime (the paper's): the 2 s clip holds a 0.5 s prime that is copied, not
    # sampled. At 1000 Hz with frame sizes 16 x 4 (lookback 64) the prime is 448 samples
    # (500 rounded down to whole lookbacks of 64, at least one: 7 x 64 = 448), so each batch
    # samples 2000 - 448.
    srnn = CONFIG["generators"]["samplernn"] | {
        "include_prime": True, "prime_seconds": 0.5, "frame_sizes": [16, 4],
    }  # fmt: skip
    config = CONFIG | {"generators": CONFIG["generators"] | {"samplernn": srnn}}
    rules = _forecast_with(tmp_path, config, PLAN, COSTS)
    n_clips = 2 * math.ceil(95 / 2)  # the budget does not move: clip_seconds counts the prime
    samplernn = OVERHEAD + math.ceil(n_clips / 4) * (2000 - 448) * SRNN_STEP
    ddsp = OVERHEAD + 2 * math.ceil(95 / 4) * DDSP_EX / 3
    assert rules.loc["generate_clips_gpu", "forecast_hours_total"] == hours(samplernn + ddsp)


@pytest.mark.parametrize("levels", ["top", "all"])
def test_jukebox_costs_only_the_levels_it_samples(tmp_path, levels):
    level_cost = {"level2": 10.0, "level1": 100.0, "level0": 1000.0}
    units = COSTS + [
        _unit(f"jukebox_{lv}_s_per_generated_second[5b]", "gpu", v, estimated=True,
              reference={"gen_batch_size": 3, "sample_rate": 44100},
              scaling={"sample_rate": 1})
        for lv, v in level_cost.items()
    ]  # fmt: skip
    config = CONFIG | {
        "generators": {
            "jukebox": {"clip_seconds": 10, "prime_seconds": 2, "model": "5b",
                        "gen_batch_size": 3, "levels": levels, "sample_rate": 44100},
        }
    }  # fmt: skip
    plan = PLAN | {
        "kinds": {"jukebox": "jukebox"}, "trainable": [], "featured": [],
        "gpu_generators": ["jukebox"], "cpu_generators": [],
        "variants": ["baseline", "jukebox"], "gen_shards": {"jukebox": 1},
        "generator_resources": {"jukebox": {"runtime": 60, "gpu": 1}},
    }  # fmt: skip
    rules = _forecast_with(tmp_path, config, plan, units)
    # 10 clips of 10 s per class (95 s each), 20 in batches of 3: 7 batches of 8 generated s
    sampled = level_cost["level2"] if levels == "top" else sum(level_cost.values())
    assert rules.loc["generate_clips_gpu", "forecast_hours_per_job"] == hours(
        OVERHEAD + 7 * 8 * sampled
    )


def test_jobs_without_torch_start_at_their_own_measured_cost(tmp_path):
    """With the light and table start-up units, those rules' jobs cost them, not torch's."""
    light, table = 0.25, 0.75
    costs_file = tmp_path / "costs.yaml"
    units = COSTS + [
        _unit("job_overhead_light_s", "cpu", light),
        _unit("job_overhead_table_s", "cpu", table),
    ]
    costs_file.write_text(yaml.safe_dump({"units": units}))
    rules, _, _ = forecast(CONFIG, PLAN, _write_metadata(tmp_path), Costs.from_yaml(costs_file))
    rules = rules.set_index("rule")
    assert rules.loc["make_manifest", "forecast_hours_per_job"] == hours(light)
    assert rules.loc["plot_confusion", "forecast_hours_per_job"] == hours(table)
    assert rules.loc["check_audio", "forecast_hours_per_job"] == hours(light + 200 * DECODE)
    # torch jobs keep job_overhead_s (OVERHEAD)
    assert rules.loc["ddsp_features", "forecast_hours_per_job"] == hours(OVERHEAD)


def test_eval_windows_multiply_the_scored_tracks(tmp_path):
    config = copy.deepcopy(CONFIG)
    config["classifier"]["eval_windows"] = 3
    costs_file = tmp_path / "costs.yaml"
    costs_file.write_text(yaml.safe_dump({"units": COSTS}))
    rules, _, _ = forecast(config, PLAN, _write_metadata(tmp_path), Costs.from_yaml(costs_file))
    rules = rules.set_index("rule")
    # each of the 2 validation tracks on 3 windows, every epoch; the 2 BN examples once
    with_samplernn = OVERHEAD + 3 * (4 + 96) * TRAIN + 3 * (2 * 3 + 2) * PREDICT
    assert rules.loc["train_classifier", "forecast_hours_per_job"] == hours(with_samplernn)
    # predict_classifier: validation + test tracks (2 + 2) of the 1 trial, 3 windows each
    assert rules.loc["predict_classifier", "forecast_hours_per_job"] == hours(
        OVERHEAD + 4 * 3 * PREDICT
    )
