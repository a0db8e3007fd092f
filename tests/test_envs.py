"""The conda env specs list exactly the runtime pins of pyproject.toml."""

import re
import tomllib

import yaml
from helpers import REPO


def pins(requirements):
    out = {}
    for req in requirements:
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", req.strip()).groups()
        out[name.lower().replace("_", "-")] = version
    return out


def test_conda_envs_match_pyproject_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = pins(project["dependencies"])
    workflow_only = {"snakemake", "snakemake-executor-plugin-slurm"}  # run snakemake, not jobs
    envs = sorted((REPO / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        spec = yaml.safe_load(env.read_text())
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
        assert pins(pip) == {k: v for k, v in runtime.items() if k not in workflow_only}, env
        assert "python=3.11" in spec["dependencies"]


def test_every_rule_has_log_benchmark_and_conda():
    for smk in (REPO / "workflow/rules").glob("*.smk"):
        text = smk.read_text()
        for block in re.split(r"\nrule ", text)[1:]:
            name = block.split(":")[0]
            for directive in ("log:", "benchmark:", "conda:", "resources:"):
                assert f"\n    {directive}" in block, f"rule {name} in {smk.name} lacks {directive}"


def test_constraints_lock_agrees_with_every_pyproject_pin():
    """envs/constraints.txt (the whole frozen .venv, scripts/ensure_env.sh installs with it) holds
    each package pyproject.toml pins, at the pinned version (regenerated after a pin change)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    lines = (REPO / "envs" / "constraints.txt").read_text().splitlines()
    locked = pins(line for line in lines if line.strip() and not line.startswith("#"))
    assert {k: locked.get(k) for k in wanted} == wanted
    assert "augeval" not in locked
