"""config/README.md documents every key of the config schema and is generated from it."""

import re

import yaml
from helpers import REPO

from augeval.config_doc import iter_keys, render_repo

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


def test_config_readme_is_up_to_date():
    doc = (REPO / "config/README.md").read_text()
    assert doc == render_repo(REPO), (
        "config/README.md is out of date: PYTHONPATH=src python -m augeval.config_doc "
        "> config/README.md"
    )


def test_every_schema_key_is_documented_and_nothing_else():
    doc = (REPO / "config/README.md").read_text()
    documented = set(re.findall(r"^\| `([^`]+)`", doc, flags=re.MULTILINE))
    paths = {path for path, _, _ in iter_keys(SCHEMA, SCHEMA)}
    assert documented == paths
    # spot checks that the walk reaches $ref'd, nested and list-item keys
    assert {"data.on_bad_audio", "generators.samplernn.dim", "classifier.schedule[].lr"} <= paths
    assert "generators.ddsp.resources.gpu" in paths


def test_every_schema_key_has_a_description():
    undocumented = [
        path for path, sub, _ in iter_keys(SCHEMA, SCHEMA) if not sub.get("description")
    ]
    assert not undocumented, f"add a description to these keys in the schema: {undocumented}"
