"""Generate ``config/README.md`` from ``workflow/schemas/config.schema.yaml``.

The schema is the single source of truth for config keys; this renders one table row per key
path (``data.on_bad_audio``, ``classifier.schedule[].lr``) with its type, allowed values, default,
the values in the two shipped configs and its description. Regenerate after editing the schema::

    PYTHONPATH=src python -m augeval.config_doc > config/README.md

``tests/test_config_doc.py`` fails when the file is out of date.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "workflow/schemas/config.schema.yaml"
CONFIGS = {
    "demo (`config.yaml`)": "config/config.yaml",
    "paper (`mtg_jamendo.yaml`)": "config/mtg_jamendo.yaml",
}

INTRO = """\
# Configuration keys

Generated from `workflow/schemas/config.schema.yaml` by `python -m augeval.config_doc`
(do not edit by hand; `tests/test_config_doc.py` checks that it is up to date).

The workflow reads `config/config.yaml` (the demo) unless a `--configfile` is given, which then
replaces it (see the main README). Unknown keys are errors, and every violation is reported with
its key path and allowed values before any job runs. `[]` in a path means "each list item".
Values in the demo and paper columns are those of the shipped files; `–` means the key is not set
there (the default applies).

The schema is the only place defaults are set: the workflow fills them in before any job runs,
and library code called outside the workflow reads the same ones (`augeval.config_schema`). A
default of a required key is what library calls use without it; a config must still set it.
"""


def _resolve(node: dict, root: dict) -> dict:
    while "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def iter_keys(node: dict, root: dict, prefix: str = "") -> Iterator[tuple[str, dict, bool]]:
    """(key path, schema, required) for every property, depth first, in schema order."""
    node = _resolve(node, root)
    required = set(node.get("required", []))
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        sub = _resolve(sub, root)
        yield path, sub, name in required
        yield from iter_keys(sub, root, path)
        items = sub.get("items")
        if isinstance(items, dict) and "properties" in _resolve(items, root):
            yield from iter_keys(items, root, f"{path}[]")
    yield from _named_kinds(node, root, prefix)


def _named_kinds(node: dict, root: dict, prefix: str) -> Iterator[tuple[str, dict, bool]]:
    """Entries under a name of your choice (``generators.<name>: {kind: ...}``): the keys of each
    kind that no built-in name has, as ``<samples name>.dir``."""
    extra = node.get("additionalProperties")
    if not isinstance(extra, dict):
        return
    named = _resolve(extra, root)
    for rule in named.get("allOf", []):
        kind = rule.get("if", {}).get("properties", {}).get("kind", {}).get("const")
        if kind is None or kind in node.get("properties", {}):
            continue
        sub = _resolve(rule["then"], root)
        path = f"{prefix}.<{kind} name>"
        yield path, sub, False
        yield from iter_keys(sub, root, path)


def _type(s: dict) -> str:
    if "anyOf" in s and "type" not in s:  # one value or a list of them
        return " or ".join(dict.fromkeys(_type(branch) for branch in s["anyOf"]))
    t = s.get("type")
    if t is None:
        return "enum" if "enum" in s else ("const" if "const" in s else "")
    if isinstance(t, list):
        t = " or ".join(t)
    if t == "array" and isinstance(s.get("items"), dict) and "type" in s["items"]:
        t = f"array of {s['items']['type']}"
    return t


def _allowed(s: dict) -> str:
    if "anyOf" in s:  # the branches' allowed values, each once
        parts = [p for branch in s["anyOf"] for p in _allowed(branch).split("; ") if p]
        return "; ".join(dict.fromkeys(parts))
    parts = []
    enum = s.get("enum") or (s.get("items", {}) if isinstance(s.get("items"), dict) else {}).get(
        "enum"
    )
    if enum:
        parts.append(", ".join(f"`{v}`" for v in enum))
    for key, sign in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in s:
            parts.append(f"{sign} {s[key]}")
    if "pattern" in s:
        parts.append(f"matches `{s['pattern']}`")
    for key, word in (("minItems", "at least"), ("maxItems", "at most")):
        if key in s:
            parts.append(f"{word} {s[key]} item(s)")
    return "; ".join(parts)


def _lookup(config: dict, path: str):
    node = config
    for part in path.split("."):
        if part.startswith("<") and part.endswith(" name>") and isinstance(node, dict):
            kind = part[1 : -len(" name>")]  # the first entry of that kind
            part = next((k for k, v in node.items() if (v or {}).get("kind") == kind), part)
        if "[]" in part or not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _show(value, section: bool = True, limit: int = 40) -> str:
    """A config value in a cell (``section``: a mapping shows as "(section)"), cut to ``limit``
    characters."""
    if value is None:
        return "–"
    if isinstance(value, dict) and section:
        return "(section)"
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()
    text = text.removesuffix("\n...").removesuffix("...").strip()
    return f"`{text}`" if len(text) <= limit else f"`{text[: limit - 3]}…`"


def _show_default(value) -> str:
    """A schema default in a cell: mappings in full, ``null`` as itself (not "not set")."""
    return "`null`" if value is None else _show(value, section=False, limit=80)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render(schema: dict, configs: dict[str, dict]) -> str:
    lines = [INTRO]
    header = ["key", "type", "allowed", "default", *configs, "description"]
    sections: dict[str, list[str]] = {}
    for path, sub, required in iter_keys(schema, schema):
        top = path.split(".")[0].split("[")[0]
        row = [
            f"`{path}`" + (" (required)" if required else ""),
            _type(sub),
            _allowed(sub),
            _show_default(sub["default"]) if "default" in sub else "",
            *(_show(_lookup(cfg, path)) for cfg in configs.values()),
            sub.get("description", ""),
        ]
        sections.setdefault(top, []).append("| " + " | ".join(_cell(c) for c in row) + " |")
    for top, rows in sections.items():
        lines.append(f"## `{top}`\n")
        description = _resolve(schema["properties"][top], schema).get("description")
        if description:
            lines.append(_cell(description) + "\n")
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines.extend(rows)
        lines.append("")
    for rule in schema.get("allOf", []):
        if "description" in rule:
            lines.append(f"Cross-key rule: {_cell(rule['description'])}.\n")
    return "\n".join(lines).rstrip() + "\n"


def render_repo(repo: Path = REPO) -> str:
    schema = yaml.safe_load((repo / SCHEMA.relative_to(REPO)).read_text())
    configs = {name: yaml.safe_load((repo / p).read_text()) for name, p in CONFIGS.items()}
    return render(schema, configs)


if __name__ == "__main__":
    sys.stdout.write(render_repo())
