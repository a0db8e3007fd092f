"""The config schema as the one source of defaults, for library code called outside Snakemake.

In the workflow, Snakemake's ``validate`` (``workflow/rules/common.smk``) writes the schema's
``default:`` values into the config before any job runs, so every job sees them. A library
function called with a partial dict (a unit test, a notebook, a benchmark) gets the same values
from here, read from the same file, ``workflow/schemas/config.schema.yaml``::

    defaults("generators.samplernn")["lr"]        # 0.001
    fill({"dim": 64}, "generators.samplernn")     # the dict with every other default added
    fill(cfg, "classifier")                       # nested blocks (augment, schedule[]) too

A block is named by its dotted key path; ``[]`` means "each list item" (``classifier.schedule[]``)
and ``generators.<kind>`` is the block of that generator kind (``generators.samples`` is the
``samples`` kind whatever the entry is called). :func:`fill` adds what Snakemake's ``validate``
adds (a missing key with a default, then the defaults inside the objects it holds), and also the
defaults of keys that point to a shared definition (``checkpoint_minutes``), which Snakemake's
``validate`` leaves out; a required key's default is the value library calls use when it is left
out (a workflow config must set it). Only the standard library and PyYAML are imported.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

from augeval.errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


@functools.cache
def _schema() -> dict:
    try:
        return yaml.safe_load(SCHEMA_PATH.read_text())
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config schema {SCHEMA_PATH} ({exc}); augeval reads its defaults "
            "from the workflow checkout it lives in (install it with pip install -e .)"
        ) from None


def schema() -> dict:
    """The parsed config schema (a fresh copy: callers may change it)."""
    return copy.deepcopy(_schema())


def resolve(node: dict, root: dict | None = None) -> dict:
    """``node`` with its ``$ref`` chain followed (a ``$ref``'s siblings are dropped)."""
    root = _schema() if root is None else root
    while isinstance(node, dict) and "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _kind_block(generators: dict, kind: str, root: dict) -> dict | None:
    """The settings block of generator ``kind``: its built-in entry, else the ``named`` rule
    that selects it by ``kind``."""
    if kind in generators.get("properties", {}):
        return resolve(generators["properties"][kind], root)
    named = resolve(generators.get("additionalProperties", {}), root)
    for rule in named.get("allOf", []):
        selector = rule.get("if", {}).get("properties", {}).get("kind", {})
        if kind == selector.get("const") or kind in selector.get("enum", ()):
            return resolve(rule["then"], root)
    return None


@functools.cache
def _block(path: str) -> dict:
    root = _schema()
    node = root
    done: list[str] = []
    for part in path.split(".") if path else []:
        items = part.endswith("[]")
        name = part.removesuffix("[]")
        properties = node.get("properties", {})
        if done == ["generators"]:
            sub = _kind_block(node, name, root)
        else:
            sub = resolve(properties[name], root) if name in properties else None
        if sub is not None and items:
            sub = resolve(sub["items"], root) if isinstance(sub.get("items"), dict) else None
        if sub is None or "properties" not in sub:
            raise KeyError(f"{path!r}: no object block {'.'.join([*done, part])!r} in the schema")
        node = sub
        done.append(part)
    return node


def block(path: str) -> dict:
    """The (resolved) schema of the object at key path ``path`` (``""``: the whole config)."""
    return copy.deepcopy(_block(path))


def keys(path: str) -> list[str]:
    """The keys the block at ``path`` allows, in schema order."""
    return list(_block(path).get("properties", {}))


def defaults(path: str) -> dict:
    """``{key: default}`` of the block at ``path``, for every key that has one (fresh copies)."""
    out = {}
    for name, sub in _block(path).get("properties", {}).items():
        sub = resolve(sub)
        if "default" in sub:
            out[name] = copy.deepcopy(sub["default"])
    return out


def fill(cfg: dict | None, path: str) -> dict:
    """A copy of ``cfg`` with the schema defaults of the block at ``path`` added where a key is
    missing, recursively into the object (and list-of-object) values it then holds; keys the
    schema does not know are kept as they are."""
    return _fill(dict(cfg or {}), _block(path))


def _fill(cfg: dict, node: dict) -> dict:
    out = dict(cfg)
    for name, sub in node.get("properties", {}).items():
        sub = resolve(sub)
        if name not in out and "default" in sub:
            out[name] = copy.deepcopy(sub["default"])
        if name not in out:
            continue
        value = out[name]
        if isinstance(value, dict) and "properties" in sub:
            out[name] = _fill(value, sub)
        elif isinstance(value, list) and isinstance(sub.get("items"), dict):
            items = resolve(sub["items"])
            if "properties" in items:
                out[name] = [_fill(v, items) if isinstance(v, dict) else v for v in value]
    return out
