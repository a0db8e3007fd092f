"""Label sets: ``mood`` (the configured mood/theme tags, multi-label) and ``emotion``.

``emotion`` maps tags onto the four quadrants of the circumplex model through a mapping file kept
as data (``config/emotion_mapping.tsv``). Tracks with no mapped tag are dropped. A track whose
mapped tags hit more than one quadrant is resolved by ``multi_quadrant``:

* ``first_tag`` (the paper's files): the quadrant of the alphabetically first mapped tag;
* ``drop``: the track is left out of the emotion set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from augeval import config_schema
from augeval.errors import ConfigError

LABELSETS = ("mood", "emotion")
MULTI_QUADRANT_RULES = ("first_tag", "drop")


@dataclass(frozen=True)
class EmotionMapping:
    """Tag → quadrant mapping with the quadrants in class order (first appearance in the file)."""

    quadrants: tuple[str, ...]
    tag_to_quadrant: dict[str, str] = field(hash=False)


def read_emotion_mapping(path: str | os.PathLike) -> EmotionMapping:
    """Read a two-column TSV (``tag<TAB>quadrant``, header line, ``#`` comments allowed)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"emotion mapping file not found: {path} (config key labels.emotion_mapping)"
        )
    quadrants: list[str] = []
    mapping: dict[str, str] = {}
    rows = [
        line.split("\t")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if not rows or [c.strip() for c in rows[0]] != ["tag", "quadrant"]:
        raise ConfigError(f"{path}: first non-comment line must be the header 'tag<TAB>quadrant'")
    for row in rows[1:]:
        if len(row) != 2:
            raise ConfigError(f"{path}: expected 'tag<TAB>quadrant', got {chr(9).join(row)!r}")
        tag, quadrant = (c.strip() for c in row)
        if tag in mapping and mapping[tag] != quadrant:
            raise ConfigError(f"{path}: tag {tag!r} is mapped to two quadrants")
        mapping[tag] = quadrant
        if quadrant not in quadrants:
            quadrants.append(quadrant)
    if not mapping:
        raise ConfigError(f"{path}: no tag is mapped")
    return EmotionMapping(tuple(quadrants), mapping)


def mood_labels(tags: tuple[str, ...] | list[str], classes: list[str]) -> list[str]:
    """The track's tags that are configured classes, in class order."""
    present = set(tags)
    return [c for c in classes if c in present]


def emotion_label(
    tags: tuple[str, ...] | list[str], mapping: EmotionMapping, multi_quadrant: str = "first_tag"
) -> str | None:
    """The track's quadrant, or ``None`` when the track is not in the emotion set."""
    if multi_quadrant not in MULTI_QUADRANT_RULES:
        raise ConfigError(
            f"labels.multi_quadrant is {multi_quadrant!r}; "
            f"allowed: {', '.join(MULTI_QUADRANT_RULES)}"
        )
    mapped = sorted(t for t in tags if t in mapping.tag_to_quadrant)
    if not mapped:
        return None
    hit = {mapping.tag_to_quadrant[t] for t in mapped}
    if len(hit) > 1 and multi_quadrant == "drop":
        return None
    return mapping.tag_to_quadrant[mapped[0]]


@dataclass(frozen=True)
class LabelSet:
    """A named set of classes and the rule turning a track's tags into its labels."""

    name: str
    classes: tuple[str, ...]
    mapping: EmotionMapping | None = None
    multi_quadrant: str = "first_tag"

    def class_tags(self, tags: list[str]) -> dict[str, list[str]]:
        """For each class, the configured tags that give a track that class on their own."""
        if self.mapping is None:
            return {c: [c] for c in self.classes}
        lookup = self.mapping.tag_to_quadrant
        return {q: [t for t in tags if lookup.get(t) == q] for q in self.classes}

    def labels_for(self, tags: tuple[str, ...] | list[str]) -> list[str]:
        if self.name == "mood":
            return mood_labels(tags, list(self.classes))
        label = emotion_label(tags, self.mapping, self.multi_quadrant)
        return [] if label is None else [label]


def make_labelset(
    name: str,
    tags: list[str],
    emotion_mapping: str | os.PathLike | None = None,
    multi_quadrant: str = "first_tag",
) -> LabelSet:
    """Build the ``mood`` or ``emotion`` label set from the configured tags and mapping file."""
    if name == "mood":
        return LabelSet("mood", tuple(tags))
    if name == "emotion":
        if emotion_mapping is None:
            raise ConfigError("the emotion label set needs labels.emotion_mapping (a TSV file)")
        mapping = read_emotion_mapping(emotion_mapping)
        return LabelSet("emotion", mapping.quadrants, mapping, multi_quadrant)
    raise ConfigError(f"unknown label set {name!r}; allowed: {', '.join(LABELSETS)}")


def labelset_from_config(name: str, labels_cfg: dict) -> LabelSet:
    """The label set ``name`` as the workflow config's ``labels`` section defines it (defaults:
    ``workflow/schemas/config.schema.yaml``, block ``labels``)."""
    labels_cfg = config_schema.fill(labels_cfg, "labels")
    return make_labelset(
        name,
        labels_cfg["tags"],
        labels_cfg["emotion_mapping"],
        labels_cfg["multi_quadrant"],
    )
