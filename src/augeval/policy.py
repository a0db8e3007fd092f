"""The augmentation policy: the single place that decides what each generator makes.

Budget (per label set and generator): ``fraction`` × the total duration of the real train split,
split equally across classes; each class gets ``ceil(budget per class / clip_seconds)`` clips of
the generator's own clip length. ``duration`` says which duration counts: ``full`` (the whole
track, as the metadata gives it) or ``visible`` (what the classifier reads: at most
``visible_seconds`` from the start of each track).

Sources (primes or input clips) are drawn per class from the train tracks carrying that class,
**without replacement** across the whole draw (a track is used once), with a seeded RNG; the
offset of the excerpt inside its track is drawn too. Classes are served from the rarest to the
most common so that multi-label tracks are not used up by the big classes. The generated clip
inherits the class it was drawn for, plus the track's other labels if ``inherit_other_labels``.
When a class has fewer unused tracks than clips, its tracks are reused at distinct offsets and a
warning gives the numbers: the policy never silently produces fewer clips.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from augeval.data.manifest import LABEL_SEP
from augeval.errors import ConfigError, DataError
from augeval.generators.base import SOURCE_COLUMNS

log = logging.getLogger("augeval.policy")

DURATIONS = ("full", "visible")


def counted_seconds(df: pd.DataFrame, duration: str, visible_seconds: float) -> pd.Series:
    """Per-track duration under the budget's definition."""
    if duration == "full":
        return df["duration_s"].astype(float)
    if duration == "visible":
        return df["duration_s"].astype(float).clip(upper=visible_seconds)
    raise ConfigError(f"augment.duration is {duration!r}; allowed: {', '.join(DURATIONS)}")


def budget_table(
    train: pd.DataFrame,
    classes: list[str] | tuple[str, ...],
    *,
    fraction: float,
    clip_seconds: float,
    duration: str = "full",
    visible_seconds: float = math.inf,
) -> pd.DataFrame:
    """One row per class: the arithmetic from train duration to the number of clips."""
    if not 0 < fraction:
        raise ConfigError(f"augment.fraction must be > 0, got {fraction}")
    if not clip_seconds > 0:
        raise ConfigError(f"clip_seconds must be > 0, got {clip_seconds}")
    total = float(counted_seconds(train, duration, visible_seconds).sum())
    budget = fraction * total
    per_class = budget / len(classes)
    n_clips = math.ceil(per_class / clip_seconds - 1e-9)
    labels = train["labels"].str.split(LABEL_SEP)
    rows = []
    for c in classes:
        rows.append(
            {
                "class": c,
                "train_tracks": int(labels.apply(lambda ls, c=c: c in ls).sum()),
                "train_seconds_total": total,
                "fraction": fraction,
                "budget_seconds_total": budget,
                "budget_seconds_class": per_class,
                "clip_seconds": clip_seconds,
                "n_clips": n_clips,
                "generated_seconds_class": n_clips * clip_seconds,
            }
        )
    return pd.DataFrame(rows)


def _offsets(duration: float, length: float, n: int, rng: np.random.Generator) -> list[float]:
    """``n`` excerpt offsets of ``length`` seconds in a track of ``duration`` seconds.

    One offset is uniform over the track. Several are non-overlapping while they fit (distinct
    ``length``-wide slots plus one random common shift), else distinct uniform draws.
    """
    room = max(duration - length, 0.0)
    if n == 1:
        return [float(rng.uniform(0, room))]
    slots = int(room // length) + 1
    if n <= slots:
        picks = np.sort(rng.choice(slots, size=n, replace=False))
        shift = rng.uniform(0, room - (slots - 1) * length)
        return [float(k * length + shift) for k in picks]
    return sorted(float(x) for x in rng.uniform(0, room, size=n))


def draw_sources(
    train: pd.DataFrame,
    classes: list[str] | tuple[str, ...],
    n_clips: dict[str, int],
    *,
    source_seconds: float,
    seed: int,
    clip_prefix: str,
    duration: str = "full",
    visible_seconds: float = math.inf,
    inherit_other_labels: bool = False,
) -> pd.DataFrame:
    """The sources table (:data:`augeval.generators.base.SOURCE_COLUMNS`) for one generator."""
    rng = np.random.default_rng(seed)
    seconds = counted_seconds(train, duration, visible_seconds).to_numpy()
    labels = [ls.split(LABEL_SEP) for ls in train["labels"]]
    holders = {c: [i for i, ls in enumerate(labels) if c in ls] for c in classes}
    for c in classes:
        if n_clips.get(c, 0) > 0 and not holders[c]:
            raise DataError(f"no train track has class {c!r}: cannot draw sources for it")
    used: set[int] = set()
    rows = []
    for c in sorted(classes, key=lambda c: (len(holders[c]), list(classes).index(c))):
        need = n_clips.get(c, 0)
        free = [i for i in holders[c] if i not in used]
        picked = list(rng.permutation(free)[:need]) if free else []
        used.update(picked)
        excerpts = [(i, None) for i in picked]
        if len(picked) < need:
            short = need - len(picked)
            log.warning(
                "class %s: %d clips needed but only %d unused train tracks; reusing its %d "
                "tracks at distinct offsets for the other %d",
                c, need, len(picked), len(holders[c]), short,
            )  # fmt: skip
            pool = np.array(holders[c])
            reuse = pool[np.arange(short) % len(pool)]
            rng.shuffle(reuse)
            excerpts += [(int(i), "reuse") for i in reuse]
        per_track: dict[int, int] = {}
        for i, _ in excerpts:
            per_track[i] = per_track.get(i, 0) + 1
        offsets = {
            i: _offsets(seconds[i], source_seconds, k, rng) for i, k in sorted(per_track.items())
        }
        for i, _ in excerpts:
            track = train.iloc[i]
            inherited = [c] + ([x for x in labels[i] if x != c] if inherit_other_labels else [])
            rows.append(
                {
                    "track_id": track["track_id"],
                    "path": track["path"],
                    "offset_s": round(offsets[i].pop(0), 3),
                    "source_seconds": source_seconds,
                    "drawn_class": c,
                    "labels": LABEL_SEP.join(x for x in classes if x in inherited),
                }
            )
    out = pd.DataFrame(rows)
    order = {c: k for k, c in enumerate(classes)}
    out = out.sort_values("drawn_class", key=lambda s: s.map(order), kind="stable")
    out.insert(0, "clip_id", [f"{clip_prefix}_{k:05d}" for k in range(len(out))])
    return out[SOURCE_COLUMNS].reset_index(drop=True)


def augmented_train(train: pd.DataFrame, generated: pd.DataFrame) -> pd.DataFrame:
    """Real train rows followed by the generated rows (columns of both kept)."""
    clash = set(train["track_id"]) & set(generated["track_id"])
    if clash:
        raise DataError(f"generated clip ids collide with real track ids: {sorted(clash)[:3]}")
    return pd.concat([train, generated], ignore_index=True)


def generated_only_train(train: pd.DataFrame, generated: pd.DataFrame) -> pd.DataFrame:
    """The train manifest of a train-on-generated (Classification Accuracy Score) classifier: the
    generator's clips and nothing else.

    ``train`` is the real train split, passed only to prove the result shares no row with it: a
    generated row whose ``source`` is ``real`` or whose ``track_id`` or ``path`` is a real train
    track's raises :class:`DataError`. (The ``copy`` control's clips are excerpts of real train
    audio by design; they are still new files with their own ids.)
    """
    real_source = generated.index[generated["source"] == "real"].tolist()
    same_id = set(generated["track_id"]) & set(train["track_id"])
    same_path = set(generated["path"]) & set(train["path"])
    if real_source or same_id or same_path:
        raise DataError(
            "a train-on-generated manifest would contain real train data: "
            f"{len(real_source)} row(s) with source 'real', shared track_id(s) "
            f"{sorted(same_id)[:3]}, shared path(s) {sorted(same_path)[:3]}; check the "
            "generator's manifest"
        )
    return generated.reset_index(drop=True)


def plan_run(
    train: pd.DataFrame,
    classes: list[str],
    policy: dict,
    gen: dict,
    *,
    sources_mode: str,
    seed: int,
    clip_prefix: str,
    visible_seconds: float,
    pool: pd.DataFrame | None = None,
    samples: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The budget table and the sources of one generator in one run of one label set.

    ``policy`` is the run's ``augment`` section, filled with the schema's defaults (its
    ``fraction`` already the run's), ``gen`` the generator's config section. ``sources_mode`` is
    the kind's (:mod:`augeval.generators.registry`): ``excerpts`` draws primes/inputs from
    ``pool`` (default: ``train``; the oracle's hold-out mode passes its held-out pool, whose
    classes must all be present); ``samples`` takes whole clips of the user's ``samples`` pool
    (``path  duration_s  labels``) up to each class's budget, and the
    budget then reports what was taken. The budget always comes from ``train``.
    """
    duration = policy["duration"]
    from augeval.generators.registry import written_seconds

    # samples have no clip_seconds: their clips' own lengths replace what depends on it below;
    # any other kind's clip counts as long as it is written (``gen`` carries its ``kind``)
    clip_seconds = 1.0 if sources_mode == "samples" else written_seconds(gen["kind"], gen)
    budget = budget_table(
        train, classes, fraction=policy["fraction"], clip_seconds=clip_seconds,
        duration=duration, visible_seconds=visible_seconds,
    )  # fmt: skip
    inherit = policy["inherit_other_labels"]
    if sources_mode == "samples":
        from augeval.generators.external import draw_samples

        sources = draw_samples(
            samples, list(classes), float(budget["budget_seconds_class"].iloc[0]),
            seed=seed, clip_prefix=clip_prefix, inherit_other_labels=inherit,
        )  # fmt: skip
        per_class = sources.groupby("drawn_class")["source_seconds"]
        budget["clip_seconds"] = budget["class"].map(per_class.mean())
        budget["n_clips"] = budget["class"].map(per_class.size()).fillna(0).astype(int)
        budget["generated_seconds_class"] = budget["class"].map(per_class.sum())
        return budget, sources
    sources = draw_sources(
        train if pool is None else pool, classes,
        dict(zip(budget["class"], budget["n_clips"], strict=True)),
        source_seconds=gen.get("source_seconds", gen["clip_seconds"]),
        seed=seed, clip_prefix=clip_prefix,
        duration=duration, visible_seconds=visible_seconds, inherit_other_labels=inherit,
    )  # fmt: skip
    return budget, sources


def check_pool_classes(pool: pd.DataFrame, classes: list[str], where: str, generator: str) -> None:
    """The oracle's held-out pool must hold every class (else it cannot make that class's clips)."""
    from augeval.data.manifest import class_counts

    counts = class_counts(pool, classes)
    empty = [c for c in classes if counts[c] == 0]
    if empty:
        raise DataError(
            f"{where}: the oracle's held-out pool has no track of class(es) {empty}; "
            f"raise generators.{generator}.holdout_fraction or drop that "
            "generator (a class held by a single train artist cannot be held out)"
        )
