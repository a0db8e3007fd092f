"""Read MTG-Jamendo metadata TSVs (``autotagging_moodtheme*.tsv``).

The files are tab separated with the header ``TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION TAGS``
followed by a *variable* number of tag columns, one ``<category>---<tag>`` per column, so they are
not a rectangular table and are parsed line by line here rather than with ``pandas.read_csv``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from augeval.errors import DataError

HEADER = ("TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION", "TAGS")
MOODTHEME_PREFIX = "mood/theme---"
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Track:
    """One row of an MTG-Jamendo metadata file."""

    track_id: str
    artist_id: str
    album_id: str
    path: str
    duration: float
    tags: tuple[str, ...]  # mood/theme tag names without the category prefix, in file order


def read_metadata(path: str | os.PathLike) -> list[Track]:
    """Parse a metadata TSV; raise :class:`DataError` naming the file and line on bad input."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"metadata file not found: {path} (check data.metadata_dir in the config)")
    tracks: list[Track] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        header = tuple(handle.readline().rstrip("\n").split("\t"))
        if header != HEADER:
            raise DataError(
                f"{path}: header is {header!r}; an MTG-Jamendo metadata file starts with "
                f"{chr(9).join(HEADER)!r}"
            )
        for line_no, line in enumerate(handle, start=2):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) < 5:
                raise DataError(f"{path}:{line_no}: expected at least 5 columns, got {len(fields)}")
            track_id, artist_id, album_id, rel_path, duration = fields[:5]
            try:
                seconds = float(duration)
            except ValueError:
                raise DataError(
                    f"{path}:{line_no}: DURATION {duration!r} is not a number"
                ) from None
            if track_id in seen:
                raise DataError(f"{path}:{line_no}: duplicate TRACK_ID {track_id}")
            seen.add(track_id)
            tags = []
            for field in fields[5:]:
                if not field.startswith(MOODTHEME_PREFIX):
                    raise DataError(
                        f"{path}:{line_no}: tag column {field!r} is not a "
                        f"'{MOODTHEME_PREFIX}<tag>' entry"
                    )
                tags.append(field[len(MOODTHEME_PREFIX) :])
            tracks.append(Track(track_id, artist_id, album_id, rel_path, seconds, tuple(tags)))
    return tracks


def read_tag_list(path: str | os.PathLike) -> list[str]:
    """Read a tag list file (one ``mood/theme---<tag>`` per line) into bare tag names."""
    names = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            names.append(line.removeprefix(MOODTHEME_PREFIX))
    return names


def format_metadata(tracks: list[Track]) -> str:
    """Render tracks in the MTG-Jamendo TSV format (inverse of :func:`read_metadata`)."""
    lines = ["\t".join(HEADER)]
    for t in tracks:
        cols = [t.track_id, t.artist_id, t.album_id, t.path, f"{t.duration:.1f}"]
        cols += [MOODTHEME_PREFIX + tag for tag in t.tags]
        lines.append("\t".join(cols))
    return "\n".join(lines) + "\n"
