"""Scoring a generator's clips without training: what the baseline classifiers make of them.

The score view (rules ``embed_score_clips`` and ``score_clips``) needs only the baseline
classifiers of every trial and the clips. For one generator and label set it writes

* a **summary** per class (+ an ``all`` row, macro over classes): recognisability, the fraction
  of (clip, trial) pairs of the class whose top-scoring class is that class (the diagonal of the
  Fig. 2/3 confusion; ``all``: its macro mean), with a bootstrap 95 % interval that resamples
  clips and trials (:func:`recognisability`); the mean top-class confidence; the Fréchet distance
  and KAD (:mod:`augeval.distance`) to the real reference clips of the class, each beside its
  real-vs-real floor at the same ``n``; and the same numbers for the copy and noise controls
  (rows with ``role = anchor``), so that every figure has its anchors (:func:`summary_table`);
* a **clip table** (:func:`clip_table`): per clip its predicted class, the score of the class it
  was drawn for, its distance to the real centroid of that class and its rank among the
  generator's clips of the class (1 = farthest: the outliers), its nearest real train clip and a
  near-copy flag, and silence/clipping flags from its audio; ``source_path`` and
  ``source_offset_s`` name the file (and where in it) the clip was cut from or primed with.

Which clips. A ``kind: samples`` generator (your own folder or TSV of clips) is scored on *every*
clip it provides: the workflow plans a run ``score`` for it that takes every file passing the
pool's checks (every non-overlapping excerpt with ``clip_seconds``), without the duration budget
that its training run (``main``) keeps. Any other kind is scored on its main-run clips. The
summary says which (``clips_scored``: ``all provided`` or ``main run``) and how many clips were
scored (``n_clips``) from how many provided (``n_provided``: for ``all provided``, the distinct
files the clips were cut from; for ``main run``, the run's clips).

Embeddings. Each trial's classifier has its own embedding space and scale, so every embedding of
a trial is standardised by the real reference clips of that trial (:func:`standardise`): centred
on their mean and divided by ``sqrt(tr(S) / d)``, so their average per-dimension variance is 1.
Then Fréchet distances divided by ``d`` are fractions of the real clips' total variance (as in
``results/tables/distance_{labelset}.tsv``), the polynomial kernel's ``x·y/d`` is of order 1,
and Euclidean clip distances divided by ``sqrt(d)`` are in units of the real clips' total
standard deviation.

Near copies (memorisation). Per trial, a clip's nearest real *train* clip ``j`` is at distance
``d``; its near-copy ratio is ``d / s_j``, ``s_j`` being the distance from ``j`` to its nearest
other train track (:func:`near_copy_ratios`): below 1 the clip is closer to ``j`` than any other
real track is. The trial's threshold is the ``score.near_copy_percentile`` % point (default 1)
of the same ratio for the real reference clips (validation/test: other artists' tracks the
classifier never saw, so not copies), capped at 1 (:func:`near_copy_threshold`). A clip is
flagged when its ratio is below the threshold in a strict majority of trials
(:func:`near_copy_flags`). A fresh clip like real music is below a trial's threshold with
probability about ``percentile`` %, and the majority of trials lowers that further; an absolute
distance threshold instead flagged clips (the noise control's, on the demo) that land in a dense
region of nearly alike train tracks, or in a trial whose embedding has nearly collapsed.
What it can see is bounded by the embedding: the baseline classifier is trained to map a class's
tracks alike, not to tell tracks apart. On the demo (``bench/bench_near_copy.py``) an exact copy
of a train clip's audio is flagged (ratio ~0.1), but the same audio at -1 dB gain, or with white
noise 40 dB down, already sits as far from its source as the nearest other track (ratio ~0.9-1),
and the copy control's excerpts (train audio from 0.5-4 s into the track, a different window)
are nearer another track than their source in 85-96 % of cases: none is flagged. The flag is
a test for clips that reproduce what the classifier reads of a train clip, not for every reuse
of train audio.

Settings (``score.*``) and their defaults are documented in the config schema.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from augeval.audio import read_audio
from augeval.data.checks import measure_loudness
from augeval.data.manifest import label_matrix, read_manifest
from augeval.distance import (
    clip_embeddings,
    frechet_distance,
    kernel_distance,
    split_half_distance,
    subsampled_distance,
)
from augeval.errors import DataError
from augeval.predictions import aligned_scores, read_predictions

log = logging.getLogger("augeval.score")

# summary column clips_scored: which clips of the generator were scored
SCOPES = {True: "all provided", False: "main run"}
CLIP_LEVEL = 0.999  # a sample at or above this magnitude (full scale 1) is clipped
CLIPPING_FRACTION = 0.001  # a clip with more clipped samples than this fraction is flagged

SUMMARY_COLUMNS = [
    "generator",
    "role",
    "class",
    "n_clips",
    "n_provided",
    "clips_scored",
    "n_trials",
    "recognisability",
    "recognisability_lo",
    "recognisability_hi",
    "confidence",
    "class_score",
    "n_distance",
    "fd",
    "fd_floor",
    "kad",
    "kad_floor",
    "kernel",
    "reference",
]
CLIP_COLUMNS = [
    "track_id",
    "path",
    "source_path",
    "source_offset_s",
    "drawn_class",
    "labels",
    "predicted_class",
    "recognised",
    "trials_recognised",
    "drawn_score",
    "top_score",
    "centroid_distance",
    "outlier_rank",
    "nearest_train_id",
    "nearest_train_distance",
    "near_copy_ratio",
    "near_copy_threshold",
    "near_copy",
    "peak_dbfs",
    "rms_dbfs",
    "active_fraction",
    "silent",
    "clipped_fraction",
    "clipping",
]


# ------------------------------------------------------------------------------ recognisability


def recognisability(
    y: np.ndarray, top: np.ndarray, n_bootstrap: int, rng: np.random.Generator, level=0.95
) -> pd.DataFrame:
    """Per class and macro: the fraction of (clip, trial) pairs whose top class is the class.

    ``y (n_clips, n_classes)`` bool: the clips' classes (a multi-label clip counts in each);
    ``top (n_trials, n_clips)``: each trial's top-scoring class index. The interval resamples
    clips and trials with replacement (``n_bootstrap`` times; 0: no interval). Returns one row
    per class and a last ``macro`` row (mean over classes with clips) with ``value``, ``lo``,
    ``hi``; a class without clips is NaN.
    """
    y = np.asarray(y, dtype=bool)
    top = np.atleast_2d(np.asarray(top))
    n_trials, n_clips = top.shape
    n_classes = y.shape[1]
    # hits[t, i, c]: clip i carries class c and trial t's top class is c
    hits = y[None, :, :] & (top[:, :, None] == np.arange(n_classes)[None, None, :])

    def rates(trial_weights: np.ndarray, clip_weights: np.ndarray) -> np.ndarray:
        hit = clip_weights @ (trial_weights @ hits.reshape(n_trials, -1)).reshape(n_clips, -1)
        total = trial_weights.sum() * (clip_weights @ y)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_class = np.where(total > 0, hit / np.maximum(total, 1), np.nan)
        return np.append(per_class, _nanmean(per_class))

    value = rates(np.ones(n_trials), np.ones(n_clips))
    draws = np.array(
        [
            rates(
                np.bincount(rng.integers(0, n_trials, n_trials), minlength=n_trials),
                np.bincount(rng.integers(0, n_clips, n_clips), minlength=n_clips),
            )
            for _ in range(n_bootstrap)
        ]
    ).reshape(n_bootstrap, n_classes + 1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.full(n_classes + 1, np.nan), np.full(n_classes + 1, np.nan)
    for j in range(n_classes + 1):
        finite = draws[:, j][np.isfinite(draws[:, j])]
        if len(finite) and np.isfinite(value[j]):
            lo[j], hi[j] = np.percentile(finite, [tail, 100 - tail])
    return pd.DataFrame({"value": value, "lo": lo, "hi": hi})


# ------------------------------------------------------------------------------ embeddings


def standardise(reference: np.ndarray):
    """A function mapping embeddings ``(n, d)`` of one trial to the standardised space of its
    real ``reference`` clips: centred on their mean, average per-dimension variance 1."""
    reference = np.asarray(reference, dtype=np.float64)
    mean = reference.mean(axis=0)
    total = float(np.trace(np.atleast_2d(np.cov(reference, rowvar=False))))
    if not total > 0:
        raise DataError("the real reference embeddings have no variance: cannot standardise")
    scale = np.sqrt(total / reference.shape[1])
    return lambda x: (np.asarray(x, dtype=np.float64) - mean) / scale


def nearest_neighbours(x: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``x``, the index of its nearest row of ``pool`` and the Euclidean
    distance to it."""
    sq = np.sum(x * x, axis=1)[:, None] + np.sum(pool * pool, axis=1)[None, :] - 2 * x @ pool.T
    nearest = np.argmin(sq, axis=1)
    return nearest, np.sqrt(np.clip(sq[np.arange(len(x)), nearest], 0.0, None))


def train_spacing(train: np.ndarray, block: int = 1024) -> np.ndarray:
    """Per train clip, the distance to its nearest *other* train clip (rows of ``block`` at a
    time, so memory stays ``block x n`` at paper scale)."""
    train = np.asarray(train, dtype=np.float64)
    if len(train) < 2:
        raise DataError("near copies need at least 2 real train clips")
    sq = np.sum(train * train, axis=1)
    out = np.empty(len(train))
    for start in range(0, len(train), block):
        rows = slice(start, start + block)
        d2 = sq[rows, None] + sq[None, :] - 2 * train[rows] @ train.T
        d2[np.arange(len(d2)), np.arange(start, start + len(d2))] = np.inf
        out[rows] = np.sqrt(np.clip(d2.min(axis=1), 0.0, None))
    return out


def near_copy_ratios(
    x: np.ndarray, train: np.ndarray, spacing: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of ``x``: its nearest train clip ``j``, the distance ``d`` to it and the
    ratio ``d / s_j``, where ``s_j`` is the distance from ``j`` to its nearest *other* train clip
    (another real track; ``spacing``: :func:`train_spacing`, computed if not given). Below 1:
    the clip is closer to ``j`` than any other real train track is; 0: an exact copy. The ratio
    is free of the embedding's local scale, so a dense region of nearly alike train tracks does
    not make everything that lands there look like a copy."""
    train = np.asarray(train, dtype=np.float64)
    spacing = train_spacing(train) if spacing is None else spacing
    nearest, distance = nearest_neighbours(np.asarray(x, dtype=np.float64), train)
    own = spacing[nearest]
    ratio = np.full(len(distance), np.inf)  # j has a duplicate in train: only d = 0 is a copy
    np.divide(distance, own, out=ratio, where=own > 0)
    ratio[distance == 0] = 0.0
    return nearest, distance, ratio


def near_copy_threshold(
    reference: np.ndarray,
    train: np.ndarray,
    percentile: float,
    spacing: np.ndarray | None = None,
) -> float:
    """The ``percentile`` % point of the near-copy ratios (:func:`near_copy_ratios`) of real
    reference clips (tracks the classifier never saw, of other artists: not copies), capped at
    1: a clip below it is closer to a train track, relative to how close train tracks come to
    each other, than all but ``percentile`` % of real unseen tracks."""
    ratios = near_copy_ratios(reference, train, spacing)[2]
    return min(1.0, float(np.percentile(ratios, percentile)))


def near_copy_flags(
    scored: Sequence[np.ndarray],
    reference: Sequence[np.ndarray],
    train: Sequence[np.ndarray],
    percentile: float,
) -> np.ndarray:
    """Per clip, whether it is a near copy: its ratio is below its trial's
    :func:`near_copy_threshold` in a strict majority of trials (lists over trials of
    embeddings)."""
    below = []
    for x, ref, tr in zip(scored, reference, train, strict=True):
        spacing = train_spacing(tr)
        threshold = near_copy_threshold(ref, tr, percentile, spacing)
        below.append(near_copy_ratios(x, tr, spacing)[2] < threshold)
    return 2 * np.sum(below, axis=0) > len(below)


# ------------------------------------------------------------------------------ inputs


@dataclass
class ClipSet:
    """One set of clips as the baseline classifiers of every trial see them.

    ``y (n, C)`` bool classes; ``scores (T, n, C)``; ``embeddings``: per trial ``(n, d)`` clip
    embeddings (mean of the chunks); ``drawn``: per clip the class it was drawn for, ``sources``
    its plan's row (``path``, ``offset_s``: the file it was cut from) and ``all_provided`` whether
    the set is every clip the generator provided (a samples generator's score run) rather than
    the main run's budgeted clips (generated clips only)."""

    name: str
    manifest: pd.DataFrame
    y: np.ndarray
    embeddings: list[np.ndarray]
    scores: np.ndarray | None = None
    drawn: list[str] | None = None
    sources: pd.DataFrame | None = None
    all_provided: bool = False


def read_embeddings(path: str | os.PathLike, name: str, manifest: pd.DataFrame) -> np.ndarray:
    """Clip embeddings of ``manifest``'s rows (in its order) from an ``embed_clips`` .npz."""
    data = np.load(path)
    if f"{name}.track_id" not in data:
        raise DataError(f"{path}: no clip set {name!r} (re-run its embedding job)")
    row = {str(t): i for i, t in enumerate(data[f"{name}.track_id"])}
    missing = [t for t in manifest["track_id"] if t not in row]
    if missing:
        raise DataError(
            f"{path}: no embedding for {len(missing)} clip(s) of the manifest, e.g. "
            f"{missing[:3]}; delete it so that its embedding job re-runs"
        )
    return clip_embeddings(data[f"{name}.embedding"])[[row[t] for t in manifest["track_id"]]]


def load_real(
    name: str, manifests: Sequence[str], embeddings: Sequence[Sequence[str]], classes
) -> ClipSet:
    """Real clips of several splits: ``embeddings[s][t]`` is split ``s``'s file of trial ``t``;
    each file holds the set ``real_<split>`` (the split named by the manifest's file name)."""
    frames, per_trial = [], None
    for manifest_path, files in zip(manifests, embeddings, strict=True):
        manifest = read_manifest(manifest_path)
        split = os.path.basename(manifest_path).removesuffix(".tsv")
        arrays = [read_embeddings(f, f"real_{split}", manifest) for f in files]
        per_trial = (
            arrays
            if per_trial is None
            else [np.concatenate([a, b]) for a, b in zip(per_trial, arrays, strict=True)]
        )
        frames.append(manifest)
    manifest = pd.concat(frames, ignore_index=True)
    return ClipSet(name, manifest, label_matrix(manifest, classes), per_trial)


def load_generated(
    name: str,
    manifest_path: str,
    sources_path: str,
    predictions: Sequence[str],
    embeddings: Sequence[str],
    classes,
    embedding_set: str | None = None,
    all_provided: bool = False,
) -> ClipSet:
    """A generator's clips: manifest, drawn classes (its sources table), each trial's baseline
    predictions and embeddings (clip set ``embedding_set`` of the .npz files, default
    ``generated_<name>``). ``all_provided``: see :class:`ClipSet`."""
    manifest = read_manifest(manifest_path)
    sources = pd.read_csv(sources_path, sep="\t", dtype={"clip_id": str})
    drawn = dict(zip(sources["clip_id"], sources["drawn_class"], strict=True))
    missing = [t for t in manifest["track_id"] if t not in drawn]
    if missing:
        raise DataError(
            f"{sources_path}: no drawn class for {len(missing)} clip(s) of {manifest_path}, "
            f"e.g. {missing[:3]}; re-run the generator's plan and generation"
        )
    scores = np.stack(
        [aligned_scores(read_predictions(p, classes), manifest, classes) for p in predictions]
    )
    embedding_set = embedding_set or f"generated_{name}"
    rows = sources.set_index("clip_id").reindex(manifest["track_id"])
    return ClipSet(
        name,
        manifest,
        label_matrix(manifest, classes),
        [read_embeddings(f, embedding_set, manifest) for f in embeddings],
        scores=scores,
        drawn=[drawn[t] for t in manifest["track_id"]],
        sources=pd.DataFrame(
            {
                "path": rows["path"].to_numpy() if "path" in rows else None,
                "offset_s": rows["offset_s"].to_numpy() if "offset_s" in rows else np.nan,
            },
            index=range(len(manifest)),
        ),
        all_provided=all_provided,
    )


def provided_count(s: ClipSet, members: np.ndarray) -> int:
    """How many clips the generator provided for ``members``: the distinct files they were cut
    from when ``s`` is every clip provided (several excerpts of one long file count once), else
    the clips themselves (a generator's main run makes exactly the clips its plan asks for)."""
    if not s.all_provided or s.sources is None or s.sources["path"].isna().all():
        return int(members.sum())
    return int(s.sources["path"][members].nunique())


# ------------------------------------------------------------------------------ summary


def _class_distances(gen, real, n, draws, rng, kernel):
    """Per trial, ``draws`` FD and KAD values between ``n``-subsets of ``gen`` and ``real``."""
    fd, kad = [], []

    def kad_of(a, b):
        return kernel_distance(a, b, kernel)

    for g, r in zip(gen, real, strict=True):
        d = g.shape[1]
        fd.append(subsampled_distance(frechet_distance, g, r, n, draws, rng) / d)
        kad.append(subsampled_distance(kad_of, g, r, n, draws, rng))
    return np.concatenate(fd), np.concatenate(kad)


def _class_floors(real, n, draws, rng, kernel):
    fd, kad = [], []

    def kad_of(a, b):
        return kernel_distance(a, b, kernel)

    for r in real:
        fd.append(split_half_distance(frechet_distance, r, n, draws, rng) / r.shape[1])
        kad.append(split_half_distance(kad_of, r, n, draws, rng))
    return np.concatenate(fd), np.concatenate(kad)


def summary_table(
    scored: ClipSet,
    anchors: Sequence[ClipSet],
    reference: ClipSet,
    classes: Sequence[str],
    *,
    n_bootstrap: int,
    draws: int,
    kernel: str,
    seed: int,
) -> pd.DataFrame:
    """Per class and ``all``: the numbers of :data:`SUMMARY_COLUMNS` for ``scored`` (role
    ``scored``) and each anchor (role ``anchor``). ``reference``: the real reference clips,
    embeddings already standardised like the generated ones.

    Distances of a class use ``n_distance`` clips on each side: the most that every set (scored
    and anchors) has of the class while leaving ``2 n`` real clips for the floor; below 2 they
    are NaN. The ``all`` row averages the classes (macro).
    """
    rng = np.random.default_rng(seed)
    classes = list(classes)
    sets = [scored, *anchors]
    rows = []
    n_of = {}
    floors = {}
    for j, c in enumerate(classes):
        real_c = [e[reference.y[:, j]] for e in reference.embeddings]
        n = min([int(s.y[:, j].sum()) for s in sets] + [len(real_c[0]) // 2])
        n_of[c] = n
        if n >= 2:
            floors[c] = _class_floors(real_c, n, draws, rng, kernel)
        else:
            log.warning("class %s: %d clips on some side, too few for FD/KAD", c, n)
            floors[c] = (np.full(1, np.nan), np.full(1, np.nan))
    for s, role in zip(sets, ["scored"] + ["anchor"] * len(anchors), strict=True):
        top = s.scores.argmax(axis=2)
        rec = recognisability(s.y, top, n_bootstrap, rng)
        confidence = s.scores.max(axis=2).mean(axis=0)  # per clip, mean over trials
        mean_scores = s.scores.mean(axis=0)
        per_class = []
        for j, c in enumerate(classes):
            members = s.y[:, j]
            n = n_of[c]
            if n >= 2:
                real_c = [e[reference.y[:, j]] for e in reference.embeddings]
                gen_c = [e[members] for e in s.embeddings]
                fd, kad = _class_distances(gen_c, real_c, n, draws, rng, kernel)
            else:
                fd, kad = np.full(1, np.nan), np.full(1, np.nan)
            row = {
                "generator": s.name,
                "role": role,
                "class": c,
                "n_clips": int(members.sum()),
                "n_provided": provided_count(s, members),
                "clips_scored": SCOPES[s.all_provided],
                "n_trials": s.scores.shape[0],
                "recognisability": rec["value"][j],
                "recognisability_lo": rec["lo"][j],
                "recognisability_hi": rec["hi"][j],
                "confidence": _nanmean(confidence[members]),
                "class_score": _nanmean(mean_scores[members, j]),
                "n_distance": n,
                "fd": _nanmean(fd),
                "fd_floor": _nanmean(floors[c][0]),
                "kad": _nanmean(kad),
                "kad_floor": _nanmean(floors[c][1]),
            }
            per_class.append(row)
        macro = {
            "generator": s.name,
            "role": role,
            "class": "all",
            "n_clips": len(s.manifest),
            "n_provided": provided_count(s, np.ones(len(s.manifest), dtype=bool)),
            "clips_scored": SCOPES[s.all_provided],
            "n_trials": s.scores.shape[0],
            "recognisability": rec["value"].iloc[-1],
            "recognisability_lo": rec["lo"].iloc[-1],
            "recognisability_hi": rec["hi"].iloc[-1],
            "confidence": _nanmean(confidence),
            "class_score": _nanmean(np.array([r["class_score"] for r in per_class])),
            "n_distance": min(n_of.values()) if n_of else 0,
        }
        for key in ("fd", "fd_floor", "kad", "kad_floor"):
            macro[key] = _nanmean(np.array([r[key] for r in per_class]))
        rows += per_class + [macro]
    table = pd.DataFrame(rows)
    table["kernel"] = kernel
    table["reference"] = reference.name
    return table[SUMMARY_COLUMNS]


# ------------------------------------------------------------------------------ clips


def audio_flags(path: str | os.PathLike, sample_rate: int, seconds: float | None) -> dict:
    """Levels, silence and clipping of one clip's first ``seconds`` (what the classifier reads)."""
    audio = read_audio(path, sample_rate, max_seconds=seconds)
    level = measure_loudness(audio, sample_rate)
    clipped = float(np.mean(np.abs(audio) >= CLIP_LEVEL))
    return {
        "peak_dbfs": level.peak_dbfs,
        "rms_dbfs": level.rms_dbfs,
        "active_fraction": level.active_fraction,
        "silent": level.silent,
        "clipped_fraction": clipped,
        "clipping": clipped > CLIPPING_FRACTION,
    }


def clip_table(
    scored: ClipSet,
    reference: ClipSet,
    train: ClipSet,
    classes: Sequence[str],
    *,
    near_copy_percentile: float,
    audio: list[dict] | None = None,
) -> pd.DataFrame:
    """One row per clip of ``scored`` with :data:`CLIP_COLUMNS` (embeddings standardised).

    ``audio``: per clip the result of :func:`audio_flags` (None: those columns are left out).
    Distances are averaged over trials; the nearest train clip is the one most trials agree on.
    """
    classes = list(classes)
    index = {c: j for j, c in enumerate(classes)}
    unknown = sorted({c for c in scored.drawn if c not in index})
    if unknown:
        raise DataError(f"{scored.name}: drawn class(es) {unknown} are not classes {classes}")
    drawn = np.array([index[c] for c in scored.drawn])
    n_clips, n_trials = len(drawn), len(scored.embeddings)
    mean_scores = scored.scores.mean(axis=0)
    predicted = mean_scores.argmax(axis=1)
    tops = scored.scores.argmax(axis=2)
    centroid = np.zeros((n_trials, n_clips))
    nn_dist = np.zeros((n_trials, n_clips))
    nn_index = np.zeros((n_trials, n_clips), dtype=int)
    ratios = np.zeros((n_trials, n_clips))
    below = np.zeros((n_trials, n_clips), dtype=bool)
    thresholds = np.zeros(n_trials)
    for t in range(n_trials):
        x, d = scored.embeddings[t], scored.embeddings[t].shape[1]
        means = np.stack(
            [
                reference.embeddings[t][reference.y[:, j]].mean(axis=0)
                if reference.y[:, j].any()
                else np.full(d, np.nan)
                for j in range(len(classes))
            ]
        )
        centroid[t] = np.linalg.norm(x - means[drawn], axis=1) / np.sqrt(d)
        spacing = train_spacing(train.embeddings[t])
        nn_index[t], dist, ratios[t] = near_copy_ratios(x, train.embeddings[t], spacing)
        nn_dist[t] = dist / np.sqrt(d)
        thresholds[t] = near_copy_threshold(
            reference.embeddings[t], train.embeddings[t], near_copy_percentile, spacing
        )
        below[t] = ratios[t] < thresholds[t]
    centroid_mean = centroid.mean(axis=0)
    frame = pd.DataFrame(
        {
            "track_id": scored.manifest["track_id"].to_numpy(),
            "path": scored.manifest["path"].to_numpy(),
            "source_path": None if scored.sources is None else scored.sources["path"].to_numpy(),
            "source_offset_s": np.nan
            if scored.sources is None
            else scored.sources["offset_s"].to_numpy(),
            "drawn_class": scored.drawn,
            "labels": scored.manifest["labels"].to_numpy(),
            "predicted_class": [classes[k] for k in predicted],
            "recognised": predicted == drawn,
            "trials_recognised": (tops == drawn[None, :]).mean(axis=0),
            "drawn_score": mean_scores[np.arange(n_clips), drawn],
            "top_score": scored.scores.max(axis=2).mean(axis=0),
            "centroid_distance": centroid_mean,
        }
    )
    # 1 = farthest from its class's real centroid among the generator's clips of that class
    frame["outlier_rank"] = (
        frame.groupby("drawn_class")["centroid_distance"]
        .rank(ascending=False, method="first")
        .astype(int)
    )
    train_ids = train.manifest["track_id"].to_numpy()
    frame["nearest_train_id"] = [
        train_ids[np.bincount(nn_index[:, i]).argmax()] for i in range(n_clips)
    ]
    frame["nearest_train_distance"] = nn_dist.mean(axis=0)
    frame["near_copy_ratio"] = np.median(ratios, axis=0)
    frame["near_copy_threshold"] = float(np.median(thresholds))
    frame["near_copy"] = 2 * below.sum(axis=0) > n_trials  # a strict majority of trials
    if audio is not None:
        frame = pd.concat([frame, pd.DataFrame(audio)], axis=1)
    return frame[[c for c in CLIP_COLUMNS if c in frame.columns]]


# ------------------------------------------------------------------------------ the job


def score_generator(
    *,
    generator: str,
    classes: Sequence[str],
    scored_files: dict,
    anchor_files: dict[str, dict],
    reference_manifests: Sequence[str],
    reference_embeddings: Sequence[Sequence[str]],
    train_manifest: str,
    train_embeddings: Sequence[str],
    settings: dict,
    seed: int,
    sample_rate: int,
    audio_seconds: float | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary and clip tables of one generator (see the module docstring).

    ``scored_files`` / each of ``anchor_files``: ``manifest``, ``sources``, ``predictions`` and
    ``embeddings`` (lists over trials), optionally ``embedding_set`` (the clip set's name in the
    .npz files) and ``all_provided`` (every clip of a samples generator, see :class:`ClipSet`).
    ``settings``: the config's ``score`` section
    (``n_bootstrap``, ``draws``, ``kernel``, ``near_copy_percentile``).
    """
    classes = list(classes)
    reference = load_real(
        "+".join(os.path.basename(m).removesuffix(".tsv") for m in reference_manifests),
        reference_manifests,
        reference_embeddings,
        classes,
    )
    train = load_real("train", [train_manifest], [train_embeddings], classes)
    scored = load_generated(generator, classes=classes, **_files(scored_files))
    anchors = [load_generated(a, classes=classes, **_files(f)) for a, f in anchor_files.items()]
    n_trials = len(reference.embeddings)
    for s in [scored, *anchors, train]:
        if len(s.embeddings) != n_trials:
            raise DataError(f"{s.name}: {len(s.embeddings)} trial embeddings, expected {n_trials}")
    for t in range(n_trials):
        to_standard = standardise(reference.embeddings[t])
        for s in [reference, train, scored, *anchors]:
            s.embeddings[t] = to_standard(s.embeddings[t])
    summary = summary_table(
        scored,
        anchors,
        reference,
        classes,
        n_bootstrap=settings["n_bootstrap"],
        draws=settings["draws"],
        kernel=settings["kernel"],
        seed=seed,
    )
    audio = [audio_flags(p, sample_rate, audio_seconds) for p in scored.manifest["path"]]
    clips = clip_table(
        scored,
        reference,
        train,
        classes,
        near_copy_percentile=settings["near_copy_percentile"],
        audio=audio,
    )
    log.info(
        "%s: %d clips scored (%s, from %d provided), recognisability %.3f, %d near copies, "
        "%d silent, %d clipping",
        generator,
        len(clips),
        SCOPES[scored.all_provided],
        provided_count(scored, np.ones(len(clips), dtype=bool)),
        summary.loc[
            summary["class"].eq("all") & summary["role"].eq("scored"), "recognisability"
        ].iloc[0],
        int(clips["near_copy"].sum()),
        int(clips["silent"].sum()),
        int(clips["clipping"].sum()),
    )
    return summary, clips


def _files(files: dict) -> dict:
    return {
        "manifest_path": files["manifest"],
        "sources_path": files["sources"],
        "predictions": list(files["predictions"]),
        "embeddings": list(files["embeddings"]),
        "embedding_set": files.get("embedding_set"),
        "all_provided": bool(files.get("all_provided", False)),
    }


def _nanmean(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")
