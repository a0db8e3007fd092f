"""Seeded synthetic music corpus in the MTG-Jamendo mood/theme format, for offline demo runs.

This module plans the corpus (track ids, artists, albums, tags, splits, durations) and writes its
audio and metadata; the audio of each track comes from the demo synthesiser
(:mod:`augeval.synth`), whose tag profiles also say which tags a corpus may use. A track's
primary tag is usually its artist's; a ``multi_label_fraction`` of the tracks get a second,
nearby tag (close in the synthesiser's arousal/valence plane). Each artist is dealt a primary
tag and each tag's artists are divided between the splits by ``split_fractions``, so splits are
artist-disjoint and every tag has positives in every split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from augeval.atomic import atomic_path, write_text
from augeval.data.mtg import HEADER, MOODTHEME_PREFIX, Track, format_metadata
from augeval.errors import ConfigError
from augeval.synth import DEMO_TAG_PROFILES, MAX_CORPUS_ARTIST, MAX_CORPUS_TRACK, synthesise_track

TAG_PREFIX = MOODTHEME_PREFIX
SPLITS = ("train", "validation", "test")
METADATA_HEADER = "\t".join(HEADER)
_AUDIO_FORMATS = {"flac": "FLAC", "wav": "WAV"}

# The plan's random stream (the synthesiser's track and artist streams are 1 and 2).
_STREAM_PLAN = 0
_MAX_TRACK_NUMBER = MAX_CORPUS_TRACK
_MAX_ID_NUMBER = MAX_CORPUS_ARTIST  # artist and album numbers
_OWN_TAG_PROBABILITY = 0.85  # a track's primary tag is its artist's tag with this probability


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def make_demo_corpus(
    out_dir: str | Path,
    *,
    tags: list[str],
    n_tracks: int,
    clip_seconds: tuple[float, float],
    sample_rate: int = 16000,
    n_artists: int | None = None,
    split_fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
    multi_label_fraction: float = 0.3,
    audio_format: str = "flac",
    seed: int = 0,
) -> dict[str, Path]:
    """Synthesise a labelled music corpus in the MTG-Jamendo mood/theme layout under ``out_dir``.

    Writes ``audio/NN/<number>.<audio_format>`` (mono PCM_16), ``autotagging_moodtheme.tsv`` and
    ``splits/split-0/autotagging_moodtheme-{train,validation,test}.tsv``; every file atomically.
    The same arguments always give byte-identical files. Returns the paths by role: "audio_dir",
    "metadata", "train", "validation", "test".
    """
    tags = _check_tags(tags)
    n_artists = _check_sizes(tags, n_tracks, n_artists)
    _check_options(clip_seconds, sample_rate, split_fractions, multi_label_fraction, audio_format)
    if not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"demo corpus: seed must be a non-negative integer, got {seed!r}")

    out = Path(out_dir)
    plan = _plan_corpus(
        tags,
        n_tracks,
        n_artists,
        split_fractions,
        multi_label_fraction,
        clip_seconds,
        sample_rate,
        seed,
    )
    audio_dir = out / "audio"
    for track in plan:
        audio = synthesise_track(
            track.tags,
            track.n_samples,
            number=track.number,
            artist=track.artist,
            sample_rate=sample_rate,
            seed=seed,
        )
        target = audio_dir / _relative_audio_path(track.number, audio_format)
        with atomic_path(target) as tmp:
            sf.write(tmp, audio, sample_rate, subtype="PCM_16", format=_AUDIO_FORMATS[audio_format])

    paths = {
        "audio_dir": audio_dir,
        "metadata": out / "autotagging_moodtheme.tsv",
        **{s: out / "splits" / "split-0" / f"autotagging_moodtheme-{s}.tsv" for s in SPLITS},
    }
    write_text(paths["metadata"], _metadata_text(plan, sample_rate, audio_format))
    for split in SPLITS:
        rows = [t for t in plan if t.split == split]
        write_text(paths[split], _metadata_text(rows, sample_rate, audio_format))
    return paths


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _check_tags(tags: list[str]) -> list[str]:
    names = [t[len(TAG_PREFIX) :] if t.startswith(TAG_PREFIX) else t for t in tags]
    unknown = [t for t in names if t not in DEMO_TAG_PROFILES]
    if unknown:
        raise ConfigError(
            f"demo corpus: no synthesis profile for tag(s) {unknown}; "
            f"supported tags: {', '.join(sorted(DEMO_TAG_PROFILES))}"
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"demo corpus: tags must be distinct, got {tags}")
    if len(names) < 2:
        raise ConfigError(f"demo corpus: at least 2 tags are needed, got {tags}")
    return names


def _check_sizes(tags: list[str], n_tracks: int, n_artists: int | None) -> int:
    min_artists = len(SPLITS) * len(tags)
    if n_tracks < min_artists:
        raise ConfigError(
            f"demo corpus: n_tracks={n_tracks} is too small for {len(tags)} tags: at least "
            f"{min_artists} tracks are needed (one artist per tag in each of the "
            f"train/validation/test splits)"
        )
    if n_artists is None:
        return max(min_artists, min(n_tracks, round(n_tracks / 3)))
    if not min_artists <= n_artists <= n_tracks:
        raise ConfigError(
            f"demo corpus: n_artists={n_artists} must be between {min_artists} (one artist per "
            f"tag in each split) and n_tracks={n_tracks}"
        )
    return n_artists


def _check_options(
    clip_seconds: tuple[float, float],
    sample_rate: int,
    split_fractions: tuple[float, float, float],
    multi_label_fraction: float,
    audio_format: str,
) -> None:
    lo, hi = clip_seconds
    if not 0.25 <= lo <= hi:
        raise ConfigError(
            f"demo corpus: clip_seconds must be (min, max) with 0.25 <= min <= max,"
            f" got {clip_seconds}"
        )
    if sample_rate < 8000:
        raise ConfigError(f"demo corpus: sample_rate must be >= 8000 Hz, got {sample_rate}")
    fractions_ok = len(split_fractions) == 3 and min(split_fractions) > 0
    if not fractions_ok or abs(sum(split_fractions) - 1) > 1e-6:
        raise ConfigError(
            f"demo corpus: split_fractions must be 3 positive numbers (train, validation, test) "
            f"summing to 1, got {split_fractions}"
        )
    if not 0 <= multi_label_fraction <= 1:
        raise ConfigError(
            f"demo corpus: multi_label_fraction must be in [0, 1], got {multi_label_fraction}"
        )
    if audio_format not in _AUDIO_FORMATS:
        raise ConfigError(
            f"demo corpus: audio_format must be one of {sorted(_AUDIO_FORMATS)}, "
            f"got {audio_format!r}"
        )


# --------------------------------------------------------------------------------------------
# Corpus plan: ids, artists, albums, tags, splits, durations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Track:
    number: int
    artist: int
    album: int
    tags: tuple[str, ...]  # primary tag first
    n_samples: int
    split: str


def _plan_corpus(
    tags: list[str],
    n_tracks: int,
    n_artists: int,
    split_fractions: tuple[float, float, float],
    multi_label_fraction: float,
    clip_seconds: tuple[float, float],
    sample_rate: int,
    seed: int,
) -> list[_Track]:
    rng = np.random.default_rng([seed, _STREAM_PLAN])
    artist_tags = [tags[i % len(tags)] for i in range(n_artists)]
    artist_split = _split_artists(artist_tags, tags, split_fractions, rng)
    artist_numbers = _distinct_numbers(rng, n_artists, _MAX_ID_NUMBER)
    per_artist = 1 + rng.multinomial(n_tracks - n_artists, np.full(n_artists, 1 / n_artists))

    track_artist = np.repeat(np.arange(n_artists), per_artist)
    primary = _primary_tags(track_artist, per_artist, artist_tags, tags, rng)
    albums = _albums(per_artist, rng)
    labels = _add_second_tags(primary, tags, multi_label_fraction, rng)
    lo, hi = clip_seconds
    n_samples = np.round(rng.uniform(lo, hi, n_tracks) * sample_rate).astype(int)
    numbers = _distinct_numbers(rng, n_tracks, _MAX_TRACK_NUMBER)

    plan = [
        _Track(
            number=int(numbers[i]),
            artist=int(artist_numbers[a]),
            album=int(albums[i]),
            tags=labels[i],
            n_samples=int(n_samples[i]),
            split=artist_split[a],
        )
        for i, a in enumerate(track_artist)
    ]
    return sorted(plan, key=lambda t: t.number)


def _distinct_numbers(rng: np.random.Generator, n: int, high: int) -> np.ndarray:
    """``n`` distinct integers in [1, high]."""
    return rng.choice(high, size=n, replace=False) + 1


def _split_artists(
    artist_tags: list[str],
    tags: list[str],
    fractions: tuple[float, float, float],
    rng: np.random.Generator,
) -> list[str]:
    """Deal each tag's artists to the splits by ``fractions``, at least one artist per split."""
    split_of = [""] * len(artist_tags)
    for tag in tags:
        members = [i for i, t in enumerate(artist_tags) if t == tag]
        members = [members[j] for j in rng.permutation(len(members))]
        counts = _split_counts(len(members), fractions)
        bounds = np.cumsum([0, *counts])
        for split, start, stop in zip(SPLITS, bounds[:-1], bounds[1:], strict=True):
            for i in members[start:stop]:
                split_of[i] = split
    return split_of


def _split_counts(m: int, fractions: tuple[float, float, float]) -> list[int]:
    """Split ``m >= 3`` items by ``fractions`` with at least one item in every part."""
    val = max(1, round(m * fractions[1]))
    test = max(1, round(m * fractions[2]))
    while m - val - test < 1:
        if val >= test and val > 1:
            val -= 1
        else:
            test -= 1
    return [m - val - test, val, test]


def _primary_tags(
    track_artist: np.ndarray,
    per_artist: np.ndarray,
    artist_tags: list[str],
    tags: list[str],
    rng: np.random.Generator,
) -> list[str]:
    """A track's primary tag is usually its artist's; each artist's first track always is."""
    first = np.concatenate([[0], np.cumsum(per_artist)[:-1]])
    is_first = np.zeros(track_artist.size, dtype=bool)
    is_first[first] = True
    keep = is_first | (rng.random(track_artist.size) < _OWN_TAG_PROBABILITY)
    other = rng.integers(0, len(tags), track_artist.size)
    return [
        artist_tags[a] if keep[i] else tags[other[i]] for i, a in enumerate(track_artist.tolist())
    ]


def _albums(per_artist: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Album number of each track: every artist has 1-3 albums of its own."""
    n_albums = [int(rng.integers(1, min(3, int(k)) + 1)) for k in per_artist]
    numbers = _distinct_numbers(rng, sum(n_albums), _MAX_ID_NUMBER)
    out, start = [], 0
    for k, n in zip(per_artist, n_albums, strict=True):
        out.append(numbers[start + rng.integers(0, n, int(k))])
        start += n
    return np.concatenate(out)


def _add_second_tags(
    primary: list[str], tags: list[str], fraction: float, rng: np.random.Generator
) -> list[tuple[str, ...]]:
    """Give ``fraction`` of the tracks a second tag, preferring tags near the primary one."""
    labels: list[tuple[str, ...]] = [(t,) for t in primary]
    chosen = rng.choice(len(primary), size=round(fraction * len(primary)), replace=False)
    for i in np.sort(chosen).tolist():
        others = [t for t in tags if t != primary[i]]
        weights = np.array([_affinity(primary[i], t) for t in others])
        labels[i] = (primary[i], others[int(rng.choice(len(others), p=weights / weights.sum()))])
    return labels


def _affinity(a: str, b: str) -> float:
    """How musically compatible two tags are: close in the arousal/valence plane."""
    pa, pb = DEMO_TAG_PROFILES[a], DEMO_TAG_PROFILES[b]
    dist2 = (pa.arousal - pb.arousal) ** 2 + (pa.valence - pb.valence) ** 2
    return math.exp(-dist2 / 0.5) + 1e-3


def _relative_audio_path(number: int, audio_format: str) -> str:
    return f"{number % 100:02d}/{number}.{audio_format}"


def _metadata_text(rows: list[_Track], sample_rate: int, audio_format: str) -> str:
    return format_metadata(
        [
            Track(
                track_id=f"track_{t.number:07d}",
                artist_id=f"artist_{t.artist:06d}",
                album_id=f"album_{t.album:06d}",
                path=_relative_audio_path(t.number, audio_format),
                duration=t.n_samples / sample_rate,
                tags=tuple(sorted(t.tags)),
            )
            for t in rows
        ]
    )
