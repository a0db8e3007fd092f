"""Fetch the MTG-Jamendo audio archives: resumable HTTP download, sha256 check, atomic unpack.

The dataset publishes its audio as TAR archives (``autotagging_moodtheme_audio-NN.tar``, one per
``NN/`` folder of ``NN/ID.mp3`` files) and lists their sha256 in a text file of
``<sha256> <archive name>`` lines (``data/download/autotagging_moodtheme_audio_sha256_tars.txt``
in the dataset repository; a copy ships in ``resources/mtg-jamendo/download``).

For one archive, :func:`fetch_archive`

1. downloads ``<archives_dir>/<name>.part`` (:func:`augeval.fetch.fetch_file`), resuming a
   partial file with an HTTP ``Range`` request (a server that ignores ``Range`` makes it start
   over);
2. hashes the complete file; on a mismatch it deletes the ``.part`` and raises
   :class:`DownloadError`, so nothing is left that looks complete; on a match it renames it to
   ``<name>``;
3. unpacks into a hidden staging folder inside ``audio_root`` and moves each top-level folder into
   place with one rename, so a folder ``NN/`` is either absent or complete;
4. writes a stamp ``audio_root/.augeval-download/<name>.sha256``; a later call with the stamp in
   place and the folder present skips the archive.

Only the standard library is used (``urllib``, ``hashlib``, ``tarfile``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from augeval.atomic import write_text
from augeval.digest import sha256_file
from augeval.errors import DownloadError
from augeval.fetch import ChecksumMismatch, fetch_file

log = logging.getLogger("augeval.download")

STAMP_DIR = ".augeval-download"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Archive:
    name: str  # file name on the server, e.g. autotagging_moodtheme_audio-00.tar
    sha256: str

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".tar")


def read_checksums(path: str | os.PathLike) -> list[Archive]:
    """Parse ``<sha256> <name>`` lines (``sha256sum`` output, one or two spaces, also works)."""
    path = Path(path)
    if not path.is_file():
        raise DownloadError(f"checksum list not found: {path} (config key data.download.checksums)")
    archives, seen = [], set()
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or not _SHA256.match(parts[0].lower()):
            raise DownloadError(
                f"{path}:{line_no}: expected '<sha256> <archive name>', got {line!r}"
            )
        digest, name = parts[0].lower(), parts[1].lstrip("*")
        if "/" in name or name in seen:
            raise DownloadError(f"{path}:{line_no}: bad or duplicate archive name {name!r}")
        seen.add(name)
        archives.append(Archive(name, digest))
    if not archives:
        raise DownloadError(f"{path}: lists no archive")
    return archives


def _check_members(tar: tarfile.TarFile, tar_path: Path) -> list[str]:
    """Top-level folders of a safe archive (regular files and folders, relative paths only)."""
    tops = set()
    for member in tar.getmembers():
        name = PurePosixPath(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise DownloadError(f"{tar_path}: refusing unsafe archive member {member.name!r}")
        if not name.parts:  # the archive's own "." entry
            continue
        if name.parts[0] == STAMP_DIR or name.parts[0].startswith(".unpack-"):
            raise DownloadError(f"{tar_path}: unexpected archive member {member.name!r}")
        tops.add(name.parts[0])
    if not tops:
        raise DownloadError(f"{tar_path}: the archive is empty")
    return sorted(tops)


def unpack_archive(tar_path: str | os.PathLike, audio_root: str | os.PathLike) -> list[Path]:
    """Unpack into ``audio_root``: each top-level folder appears complete or not at all.

    Returns the unpacked files (relative to ``audio_root``).
    """
    tar_path, audio_root = Path(tar_path), Path(audio_root)
    audio_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=audio_root))
    try:
        try:
            with tarfile.open(tar_path) as tar:
                tops = _check_members(tar, tar_path)
                tar.extractall(staging, filter="data")
        except (tarfile.TarError, EOFError) as exc:
            raise DownloadError(f"{tar_path} is not a readable TAR archive: {exc}") from exc
        files = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
        for top in tops:
            target = audio_root / top
            if target.exists():  # an earlier unpack of the same archive: swap it out
                os.replace(target, staging / f".previous-{top}")
            os.replace(staging / top, target)
        return files
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def stamp_path(audio_root: str | os.PathLike, archive: Archive) -> Path:
    return Path(audio_root) / STAMP_DIR / f"{archive.name}.sha256"


def fetch_archive(
    archive: Archive,
    base_url: str,
    archives_dir: str | os.PathLike,
    audio_root: str | os.PathLike,
    *,
    keep_archive: bool = False,
    retries: int = 5,
    backoff_s: float = 2.0,
) -> list[Path]:
    """Download, verify and unpack one archive; return the files it holds (relative paths).

    Skips the download when ``audio_root`` carries this archive's stamp (already unpacked and
    verified), and the download (not the unpack) when a verified ``<name>`` is already there.
    """
    archives_dir, audio_root = Path(archives_dir), Path(audio_root)
    stamp = stamp_path(audio_root, archive)
    if stamp.is_file() and stamp.read_text().split()[0] == archive.sha256:
        files = stamp.read_text().split()[1:]
        if all((audio_root / f).is_file() for f in files):
            log.info("%s: already unpacked in %s (stamp %s)", archive.name, audio_root, stamp)
            return [Path(f) for f in files]
    tar = archives_dir / archive.name
    if tar.is_file() and sha256_file(tar) != archive.sha256:
        log.warning("%s does not match its checksum; downloading it again", tar)
        tar.unlink()
    if not tar.is_file():
        url = base_url.rstrip("/") + "/" + archive.name
        try:
            fetch_file(url, tar, sha256=archive.sha256, retries=retries, backoff_s=backoff_s)
        except ChecksumMismatch as exc:
            raise DownloadError(
                f"{archive.name} from {url} fails its checksum: expected sha256 "
                f"{archive.sha256}, got {exc.actual}; the download was deleted. Re-run to fetch "
                "it again; if it fails again, check data.download.base_url and "
                "data.download.checksums"
            ) from None
        log.info("%s: sha256 OK", archive.name)
    files = unpack_archive(tar, audio_root)
    write_text(stamp, "\n".join([archive.sha256, *map(str, files)]) + "\n")
    if not keep_archive:
        tar.unlink()
    log.info("%s: %d files unpacked into %s", archive.name, len(files), audio_root)
    return files
