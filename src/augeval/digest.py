"""SHA-256 digests: of a file (checksums of downloads and weights) and of a JSON-able value
(the configuration fingerprints that tell a resumable job whether its saved state is its own)."""

from __future__ import annotations

import hashlib
import json
import os

CHUNK = 1 << 22


def sha256_file(path: str | os.PathLike, chunk: int = CHUNK) -> str:
    """Hex SHA-256 of the file at ``path``, read ``chunk`` bytes at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def json_digest(value: object, length: int = 16) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``value`` as JSON (keys sorted, anything
    JSON cannot encode written with ``str``): equal values give equal digests across runs."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]
