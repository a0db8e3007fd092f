"""The shipped configs satisfy the schema; typical mistakes are caught before any job runs."""

import copy

import jsonschema
import pytest
import yaml
from helpers import REPO, snakemake

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


def load(name):
    return yaml.safe_load((REPO / "config" / name).read_text())


@pytest.mark.parametrize("name", ["config.yaml", "mtg_jamendo.yaml"])
def test_shipped_configs_are_valid(name):
    jsonschema.validate(load(name), SCHEMA)


@pytest.mark.parametrize(
    "edit, where",
    [
        (lambda c: c["generators"].update(samplrnn={"clip_seconds": 1}), "samplrnn"),
        (lambda c: c["classifier"].update(crop="middle"), "middle"),
        (lambda c: c.update(unknown_key=1), "unknown_key"),
        (lambda c: c["generators"]["samplernn"].update(dimm=3), "dimm"),
    ],
)
def test_typos_and_bad_values_are_rejected(edit, where):
    cfg = copy.deepcopy(load("config.yaml"))
    edit(cfg)
    with pytest.raises(jsonschema.ValidationError, match=where):
        jsonschema.validate(cfg, SCHEMA)


def test_oracle_is_demo_only_for_now():
    cfg = load("mtg_jamendo.yaml")
    cfg["generators"]["oracle"] = {"clip_seconds": 10}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(cfg, SCHEMA)


# ---- messages: every violation names the key path and the allowed values ----------------------

from augeval.config_check import check_config, config_errors  # noqa: E402
from augeval.errors import ConfigError  # noqa: E402

SCHEMA_PATH = REPO / "workflow/schemas/config.schema.yaml"


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda c: c["generators"].update(samplrnn=c["generators"].pop("samplernn")),
            "generators.samplrnn: unknown key; allowed: copy, noise, oracle, samplernn, ddsp, "
            "jukebox, or any name with a kind: entry (did you mean 'samplernn'?)",
        ),
        (
            lambda c: c["classifier"].update(crop="middle"),
            "classifier.crop: 'middle' is not allowed; allowed values: random, first",
        ),
        (
            lambda c: c["labels"]["tags"].append("hapy"),  # unknown tag
            "labels.tags[10]: 'hapy' is not allowed; allowed values: action, adventure,",
        ),
        (lambda c: c.update(trials=0), "trials: 0 is less than the minimum of 1"),
        (
            lambda c: c["classifier"]["schedule"][0].update(optimizer="adamw"),
            "classifier.schedule[0].optimizer: 'adamw' is not allowed; allowed values: adam, sgd",
        ),
        (
            lambda c: c["data"].update(on_bad_audio="ignore"),
            "data.on_bad_audio: 'ignore' is not allowed; allowed values: error, skip",
        ),
        (lambda c: c["features"].pop("n_mels"), "features.n_mels: required key is missing"),
        (
            lambda c: c["generators"]["samplernn"].update(dimm=3),
            "generators.samplernn.dimm: unknown key; allowed: kind, display_name, clip_seconds,",
        ),
    ],
)
def test_violation_messages_name_key_and_allowed_values(edit, expected):
    cfg = copy.deepcopy(load("config.yaml"))
    edit(cfg)
    errors = config_errors(cfg, SCHEMA)
    assert any(line.startswith(expected) for line in errors), errors
    with pytest.raises(ConfigError, match="config/README.md"):
        check_config(cfg, SCHEMA_PATH)


def test_every_violation_is_listed_not_just_the_first():
    cfg = copy.deepcopy(load("config.yaml"))
    cfg["classifier"]["crop"] = "middle"
    cfg["tables"]["f1_thresholds"] = "train"
    cfg["seed"] = -1
    errors = config_errors(cfg, SCHEMA)
    assert [e.split(":")[0] for e in errors] == ["classifier.crop", "seed", "tables.f1_thresholds"]


def test_oracle_on_real_data_says_why():
    cfg = load("mtg_jamendo.yaml")
    cfg["generators"]["oracle"] = {"clip_seconds": 10}
    (line,) = config_errors(cfg, SCHEMA)
    assert line.startswith("generators.oracle.holdout_fraction: required key is missing")
    assert "held-out" in line  # and says why


@pytest.mark.workflow
def test_generator_typo_is_caught_by_snakemake_before_any_job(tmp_path):
    cfg = copy.deepcopy(load("config.yaml"))
    cfg["generators"]["ddps"] = cfg["generators"].pop("ddsp")
    cfg["labels"]["emotion_mapping"] = str(REPO / "config/emotion_mapping.tsv")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "-n", config="bad.yaml", cores=1, check=False, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (
        "generators.ddps: unknown key; allowed: copy, noise, oracle, samplernn, ddsp, jukebox"
        in out
    )
    assert "did you mean 'ddsp'?" in out
    assert "Job stats" not in out and not (tmp_path / "results").exists()  # nothing planned


@pytest.mark.parametrize(
    "value, expected",
    [
        ("argmax", None),
        (["argmax", "test"], None),
        (["validation"], None),
        ("train", "tables.f1_thresholds: 'train' is not allowed; allowed values: test,"),
        (["argmax", "train"], "tables.f1_thresholds[1]: 'train' is not allowed; allowed values:"),
        (["test", "test"], "tables.f1_thresholds: ['test', 'test'] has non-unique elements"),
        ([], "tables.f1_thresholds: [] should be non-empty"),
    ],
)
def test_f1_thresholds_takes_one_mode_or_a_list(value, expected):
    cfg = copy.deepcopy(load("config.yaml"))
    cfg["tables"]["f1_thresholds"] = value
    errors = config_errors(cfg, SCHEMA)
    if expected is None:
        assert errors == []
    else:
        assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_paper_config_reports_argmax_and_official_f1():
    assert load("mtg_jamendo.yaml")["tables"]["f1_thresholds"] == ["argmax", "test"]
    assert load("config.yaml")["tables"]["f1_thresholds"] == "test"  # the demo: unchanged
