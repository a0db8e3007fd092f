"""Every name a workflow script imports from augeval exists (the scripts run only inside
Snakemake jobs, so a moved function would otherwise fail first in a user's run)."""

import ast
import importlib

import pytest
from helpers import REPO

SCRIPTS = sorted((REPO / "workflow" / "scripts").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_script_imports_resolve(script):
    tree = ast.parse(script.read_text())
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("augeval"):
            module = importlib.import_module(node.module)
            absent = [a.name for a in node.names if not hasattr(module, a.name)]
            missing += [f"{node.module}.{name}" for name in absent]
    assert not missing, f"{script.name} imports names that do not exist: {missing}"
