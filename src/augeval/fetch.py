"""Fetching one file over HTTP into place: the MTG-Jamendo audio archives and the Jukebox weights.

:func:`fetch_file` streams ``url`` into ``<target>.part`` (:func:`download_file`: a partial file
left by an interrupted attempt or a killed run is resumed with an HTTP ``Range`` request; a server
that ignores ``Range`` makes it start over), hashes the complete file and renames it onto
``target`` only when it matches the expected sha256 (or when none is given). On a mismatch the
``.part`` is deleted and :class:`ChecksumMismatch` is raised, so nothing is left that looks
complete. Only the standard library is used (``urllib``).
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from augeval.digest import sha256_file
from augeval.errors import DownloadError

log = logging.getLogger("augeval.download")

CHUNK = 1 << 20


class ChecksumMismatch(DownloadError):
    """A downloaded file's sha256 differs from the expected one (the download was deleted)."""

    def __init__(self, url: str, target: Path, expected: str, actual: str):
        super().__init__(
            f"{url} fails its checksum: expected sha256 {expected}, got {actual}; the download "
            f"was deleted and nothing was written to {target}"
        )
        self.url, self.target, self.expected, self.actual = url, target, expected, actual


def part_path(target: str | os.PathLike) -> Path:
    """Where :func:`fetch_file` keeps the bytes of ``target`` while they arrive."""
    target = Path(target)
    return target.with_name(target.name + ".part")


def fetch_file(
    url: str,
    target: str | os.PathLike,
    *,
    sha256: str | None = None,
    retries: int = 5,
    timeout: float = 60.0,
    backoff_s: float = 2.0,
) -> str:
    """Download ``url`` to ``target`` through :func:`part_path` and return the file's sha256.

    ``target`` appears only complete and, when ``sha256`` is given, matching it; a mismatch
    deletes the partial file and raises :class:`ChecksumMismatch`. Transfer failures raise
    :class:`DownloadError` (see :func:`download_file`).
    """
    target = Path(target)
    part = download_file(
        url, part_path(target), retries=retries, timeout=timeout, backoff_s=backoff_s
    )
    digest = sha256_file(part)
    if sha256 is not None and digest != sha256:
        part.unlink()
        raise ChecksumMismatch(url, target, sha256, digest)
    os.replace(part, target)
    return digest


def _content_range_start(header: str | None) -> int | None:
    match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", header or "")
    return int(match.group(1)) if match else None


def download_file(
    url: str,
    part: str | os.PathLike,
    *,
    retries: int = 5,
    timeout: float = 60.0,
    backoff_s: float = 2.0,
) -> Path:
    """Download ``url`` into ``part``, resuming what is already there; return ``part``.

    Interrupted transfers are retried ``retries`` times, each resuming from the bytes on disk.
    Raises :class:`DownloadError` naming the URL when the retries are used up.
    """
    part = Path(part)
    part.parent.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": "augeval"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=timeout
            ) as resp:
                if have and resp.status == 206:
                    start = _content_range_start(resp.headers.get("Content-Range"))
                    if start != have:
                        raise DownloadError(
                            f"{url}: asked for bytes from {have}, server sent "
                            f"{resp.headers.get('Content-Range')!r}"
                        )
                    mode = "ab"
                    log.info("%s: resuming at byte %d", url, have)
                else:  # 200: the whole file (first request, or a server ignoring Range)
                    mode = "wb"
                    if have:
                        log.info("%s: server ignored the range request, starting over", url)
                expected = resp.headers.get("Content-Length")
                written = 0
                with open(part, mode) as out:
                    while chunk := resp.read(CHUNK):
                        out.write(chunk)
                        written += len(chunk)
                if expected is not None and written != int(expected):
                    raise http.client.IncompleteRead(b"", int(expected) - written)
            return part
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:
                return part  # nothing left to send: the checksum decides whether it is whole
            if exc.code < 500:
                raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
            last_error = exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            last_error = exc
        size = part.stat().st_size if part.exists() else 0
        log.warning("%s: attempt %d failed at %d bytes (%s)", url, attempt + 1, size, last_error)
        if attempt < retries:
            time.sleep(backoff_s * (attempt + 1))
    raise DownloadError(
        f"cannot download {url} after {retries + 1} attempts ({last_error}); "
        f"{part} keeps the bytes so far, re-run to resume"
    )
