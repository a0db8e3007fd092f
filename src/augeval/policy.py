"""The augmentation policy: the single place that decides what each generator makes.

Budget (per label set and generator): ``fraction`` × the total duration of the real train split,
split equally across classes; each class gets ``ceil(budget per class / clip_seconds)`` clips of
the generator's own clip length. ``duration`` says which duration counts: ``full`` (the whole
track, as the metadata gives it) or ``visible`` (what the classifier reads: at most
``visible_seconds`` from the start of each track).

Sources (primes or input clips) are drawn per class from the train tracks carrying that class,
**without replacement** across the whole draw (a track is used once). The drawing order is one
seeded list per class shared by every generator of a run (:func:`source_order`: its seed is the
run's, from the config seed and the label set, never the generator's name), and each generator
takes the first ``n`` tracks of each list that are at least its excerpt (``source_seconds``) long,
skipping shorter ones; the excerpt's offset is one seeded position per track (the same fraction
of the room ``duration - source_seconds`` for every generator, so the same offset where the
excerpt lengths are equal). Generators are therefore paired on the same primes where their
lengths allow. Classes take turns from the rarest to the most common so that multi-label tracks
are not used up by the big classes. The generated clip inherits the class it was drawn for, plus
the track's other labels if ``inherit_other_labels``. When a class's list runs short, it takes
its other unused tracks (first those long enough, then shorter ones, read whole), then reuses its
tracks at distinct offsets, with a warning giving the numbers: the policy never silently produces
fewer clips.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from augeval.data.manifest import LABEL_SEP
from augeval.errors import ConfigError, DataError
from augeval.generators.base import SOURCE_COLUMNS
from augeval.seeding import derive_seed

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


def excerpt_offsets(
    duration: float, length: float, n: int, rng: np.random.Generator
) -> list[float]:
    """``n`` excerpt offsets of ``length`` seconds in a track of ``duration`` seconds.

    One offset is uniform over the track. Several are non-overlapping while they fit (distinct
    ``length``-wide slots plus one random common shift), else distinct uniform draws.
    """
    room = max(duration - length, 0.0)
    if n == 1:
        return [float(rng.uniform(0, room))]
    slots = int(room / length + 1e-9) + 1
    if n <= slots:
        picks = np.sort(rng.choice(slots, size=n, replace=False))
        shift = rng.uniform(0, max(room - (slots - 1) * length, 0.0))
        return [float(k * length + shift) for k in picks]
    return sorted(float(x) for x in rng.uniform(0, room, size=n))


def _more_offsets(
    first: float, room: float, length: float, n: int, rng: np.random.Generator
) -> list[float]:
    """``n`` more offsets in ``[0, room]`` beside ``first``: whole excerpt lengths away from it
    (so none overlaps another) while they fit, else uniform draws."""
    if n <= 0:
        return []
    below, above = int(first / length + 1e-9), int((room - first) / length + 1e-9)
    slots = [min(max(first + m * length, 0.0), room) for m in range(-below, above + 1) if m]
    picks = [slots[j] for j in rng.permutation(len(slots))[:n]]
    picks += [float(x) for x in rng.uniform(0, room, size=n - len(picks))]
    return picks


def _serving_order(holders: dict[str, list[int]], classes: list[str] | tuple[str, ...]) -> list:
    """Classes from the rarest (fewest tracks) to the most common; ties in config order."""
    return sorted(classes, key=lambda c: (len(holders[c]), list(classes).index(c)))


def source_order(
    labels: list[list[str]], classes: list[str] | tuple[str, ...], *, seed: int
) -> dict[str, list[int]]:
    """Per class, the ordered pool rows it draws from: the same for every generator of a run.

    Each class has its own seeded permutation of the rows carrying it (seed: ``seed`` and the
    class name only), in which rows that also carry a rarer class come last. Classes then take
    turns, rarest first, each taking its next row not yet taken by another class, until every
    row is assigned, so the lists are disjoint and do not depend on how many clips a generator
    needs: a generator takes the first ``n`` of each list, and two generators share their first
    ``min(n)`` sources.
    """
    holders = {c: [i for i, ls in enumerate(labels) if c in ls] for c in classes}
    serve = _serving_order(holders, classes)
    rank = {c: k for k, c in enumerate(serve)}
    prefs = {}
    for c in serve:
        perm = np.random.default_rng(derive_seed(seed, "order", c)).permutation(holders[c])
        # stable: a common class leaves the rows a rarer class could use to the end of its list
        prefs[c] = sorted(
            (int(i) for i in perm),
            key=lambda i, c=c: any(rank.get(x, len(rank)) < rank[c] for x in labels[i]),
        )
    lists: dict[str, list[int]] = {c: [] for c in classes}
    taken: set[int] = set()
    cursor = dict.fromkeys(serve, 0)
    active = list(serve)
    while active:
        for c in list(active):
            pref, k = prefs[c], cursor[c]
            while k < len(pref) and pref[k] in taken:
                k += 1
            if k == len(pref):
                active.remove(c)
                continue
            lists[c].append(pref[k])
            taken.add(pref[k])
            cursor[c] = k + 1
    return lists


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
    """The sources table (:data:`augeval.generators.base.SOURCE_COLUMNS`) for one generator.

    ``seed`` must not depend on the generator (the workflow derives it from the config seed and
    the label set), so that every generator drawing from the same pool is paired on the same
    sources (see the module docstring and :func:`source_order`).
    """
    seconds = counted_seconds(train, duration, visible_seconds).to_numpy()
    full = train["duration_s"].astype(float).to_numpy()
    labels = [ls.split(LABEL_SEP) for ls in train["labels"]]
    holders = {c: [i for i, ls in enumerate(labels) if c in ls] for c in classes}
    for c in classes:
        if n_clips.get(c, 0) > 0 and not holders[c]:
            raise DataError(f"no train track has class {c!r}: cannot draw sources for it")
    lists = source_order(labels, classes, seed=seed)
    # one position per track, shared by all generators: the same excerpt where lengths are equal
    position = np.random.default_rng(derive_seed(seed, "offsets")).uniform(size=len(train))
    fits = full >= source_seconds - 1e-6  # a track that can host the whole excerpt
    serve = _serving_order(holders, classes)
    # 1. the paired part: the first n tracks of the class's shared list that fit the excerpt
    picked = {c: [i for i in lists[c] if fits[i]][: n_clips.get(c, 0)] for c in serve}
    used = {i for p in picked.values() for i in p}
    excerpts: dict[str, list[int]] = {}
    for c in serve:
        need, mine = n_clips.get(c, 0), picked[c]
        rng = np.random.default_rng(derive_seed(seed, "fill", c))
        order = [int(i) for i in rng.permutation(holders[c])]
        # 2. more unused tracks of the class: first those that fit, then shorter ones (whole)
        for want_fit in (True, False):
            for i in order:
                if len(mine) >= need:
                    break
                if i not in used and fits[i] == want_fit:
                    mine.append(i)
                    used.add(i)
        if any(not fits[i] for i in mine):
            log.warning(
                "class %s: %d of its clips come from tracks shorter than the %g s excerpt "
                "(read whole): too few longer unused train tracks",
                c, sum(not fits[i] for i in mine), source_seconds,
            )  # fmt: skip
        # 3. still short: reuse the class's tracks at distinct offsets
        if len(mine) < need:
            short = need - len(mine)
            log.warning(
                "class %s: %d clips needed but only %d unused train tracks; reusing its %d "
                "tracks at distinct offsets for the other %d",
                c, need, len(mine), len(holders[c]), short,
            )  # fmt: skip
            pool = np.array(sorted(holders[c], key=lambda i: (not fits[i], order.index(i))))
            reuse = [int(i) for i in pool[np.arange(short) % len(pool)]]
            rng.shuffle(reuse)
            mine = mine + reuse
        excerpts[c] = mine
    rows = []
    for c in serve:
        per_track: dict[int, int] = {}
        for i in excerpts[c]:
            per_track[i] = per_track.get(i, 0) + 1
        rng = np.random.default_rng(derive_seed(seed, "reuse", c))
        offsets = {}
        for i, k in sorted(per_track.items()):
            room = max(seconds[i] - source_seconds, 0.0)
            first = float(position[i] * room)  # the paired excerpt
            offsets[i] = [first] + _more_offsets(first, room, source_seconds, k - 1, rng)
        for i in excerpts[c]:
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
    out = pd.DataFrame(rows, columns=SOURCE_COLUMNS[1:])
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
    take_all: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The budget table and the sources of one generator in one run of one label set.

    ``policy`` is the run's ``augment`` section, filled with the schema's defaults (its
    ``fraction`` already the run's), ``gen`` the generator's config section. ``sources_mode`` is
    the kind's (:mod:`augeval.generators.registry`): ``excerpts`` draws primes/inputs from
    ``pool`` (default: ``train``; the oracle's hold-out mode passes its held-out pool, whose
    classes must all be present); ``samples`` takes excerpts of ``gen["clip_seconds"]`` (or
    whole files where null) from the user's ``samples`` pool (``path  duration_s  labels``) up to
    each class's budget (:func:`augeval.generators.external.draw_samples`), and the budget then
    reports what was taken: the mean excerpt as ``clip_seconds``, and ``n_files`` and
    ``taken_from`` (file: excerpts x seconds). The budget always comes from ``train``.

    ``take_all`` (the score view's run, ``samples`` only): no budget, every clip of the pool is
    taken (:func:`augeval.generators.external.draw_samples` with no budget); the table still
    gives the budget the training run would have used beside what was taken.
    """
    if take_all and sources_mode != "samples":
        raise ConfigError(
            f"a plan taking every clip is for kind: samples generators only; {gen.get('kind')!r} "
            "draws its sources from the train split (score its main-run clips instead)"
        )
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
        from augeval.generators import with_defaults
        from augeval.generators.external import draw_samples, samples_taken

        excerpt = with_defaults("samples", gen)["clip_seconds"]  # null: whole files
        sources = draw_samples(
            samples, list(classes),
            None if take_all else float(budget["budget_seconds_class"].iloc[0]),
            seed=seed, clip_prefix=clip_prefix, clip_seconds=excerpt,
            inherit_other_labels=inherit,
        )  # fmt: skip
        per_class = sources.groupby("drawn_class")["source_seconds"]
        budget["clip_seconds"] = budget["class"].map(per_class.mean())
        budget["n_clips"] = budget["class"].map(per_class.size()).fillna(0).astype(int)
        budget["generated_seconds_class"] = budget["class"].map(per_class.sum())
        # what was taken from which file (each excerpt's offset: sources.tsv)
        taken = samples_taken(sources, excerpt, samples.attrs.get("root"))
        budget = budget.merge(taken, on="class", how="left")
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
