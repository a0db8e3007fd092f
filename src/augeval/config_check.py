"""Config validation with messages a user can act on: the key path, what is wrong, what is allowed.

Snakemake's own ``validate`` reports only the first error and dumps the schema; this runs first
(from ``workflow/rules/common.smk``) and lists every violation as one line, e.g.::

    generators.samplrnn: unknown key; allowed: copy, noise, oracle, samplernn, ddsp
      (did you mean 'samplernn'?)
    classifier.crop: 'middle' is not allowed; allowed values: random, first

Only the standard library, PyYAML and jsonschema are imported (both come with Snakemake), so the
check runs in the Snakemake process itself before any job is planned.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import jsonschema
import yaml

from augeval.config_schema import resolve
from augeval.errors import ConfigError


def _key_path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _description(error: jsonschema.ValidationError, root: dict) -> str | None:
    """The description of the innermost schema on the error's path that has one."""
    node, found = root, None
    for depth, step in enumerate(error.absolute_schema_path):
        node = resolve(node, root)
        if depth and isinstance(node, dict) and isinstance(node.get("description"), str):
            found = node["description"]
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
    node = resolve(node, root)
    if isinstance(node, dict) and isinstance(node.get("description"), str):
        found = node["description"]
    return found


def describe(error: jsonschema.ValidationError, root: dict) -> list[str]:
    """One line per problem in ``error``: key path, what is wrong, what is allowed."""
    where = list(error.absolute_path)
    if error.validator == "anyOf" and error.context:
        # One value or a list of them (``tables.f1_thresholds``): report the branch that matches
        # the value's kind (a wrong value, or a wrong item), not "not valid under any".
        relevant = [
            e
            for e in error.context
            if e.validator != "type"
            and not (e.validator == "enum" and isinstance(e.instance, list | dict))
        ]
        if relevant:
            deepest = max(relevant, key=lambda e: len(e.absolute_path))
            return describe(deepest, root)
    if error.validator == "additionalProperties":
        allowed = list(resolve(error.schema, root).get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        lines = []
        for key in extra:
            hint = difflib.get_close_matches(key, allowed, n=1)
            lines.append(
                f"{_key_path([*where, key])}: unknown key; allowed: {', '.join(allowed)}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
        return lines
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        hint = difflib.get_close_matches(
            str(error.instance), [str(v) for v in error.validator_value], n=1
        )
        return [
            f"{_key_path(where)}: {error.instance!r} is not allowed; allowed values: {allowed}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
        ]
    if error.validator == "const":
        return [f"{_key_path(where)}: must be {error.validator_value!r}, not {error.instance!r}"]
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        if len(where) == 2 and where[0] == "generators" and missing == ["kind"]:
            # Any name is allowed with kind:, so a misspelt built-in name lands here.
            builtins = list(resolve(root["properties"]["generators"], root)["properties"])
            hint = difflib.get_close_matches(str(where[1]), builtins, n=1)
            return [
                f"{_key_path(where)}: unknown key; allowed: {', '.join(builtins)}, or any "
                "name with a kind: entry" + (f" (did you mean {hint[0]!r}?)" if hint else "")
            ]
        # A key required by a cross-key rule (if/then) says why, from the rule's description.
        why = _description(error, root) if "then" in error.absolute_schema_path else None
        return [
            f"{_key_path([*where, k])}: required key is missing" + (f" ({why})" if why else "")
            for k in missing
        ]
    description = _description(error, root)
    message = error.message
    if error.validator == "not":
        message = "this combination is not allowed"
    return [f"{_key_path(where)}: {message}" + (f" ({description})" if description else "")]


def config_errors(config: dict, schema: dict) -> list[str]:
    """Every violation of ``schema`` by ``config``, one line each, in key order."""
    validator = jsonschema.Draft202012Validator(schema)
    lines: list[str] = []
    for error in sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.path]):
        for line in describe(error, schema):
            if line not in lines:
                lines.append(line)
    return lines


def check_config(config: dict, schema_path: str | os.PathLike) -> None:
    """Raise :class:`ConfigError` listing every violation (key path, problem, allowed values)."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    lines = config_errors(config, schema)
    if lines:
        raise ConfigError(
            f"the configuration does not match {schema_path} ({len(lines)} problem(s)):\n  "
            + "\n  ".join(lines)
            + "\nSee config/README.md for every key and its allowed values."
        )
