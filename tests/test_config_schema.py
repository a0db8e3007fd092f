"""The shipped configs satisfy the schema; typical mistakes are caught before any job runs."""

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
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
