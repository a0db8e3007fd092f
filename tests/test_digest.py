"""Digests (augeval.digest) against independent hashlib computations."""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath

import numpy as np
import pytest

from augeval.digest import json_digest, sha256_file


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 100_000])
@pytest.mark.parametrize("chunk", [1, 4096, 1 << 22])
def test_sha256_file_matches_hashlib_whatever_the_chunk(tmp_path, size, chunk):
    data = np.random.default_rng(size).bytes(size)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert sha256_file(path, chunk=chunk) == hashlib.sha256(data).hexdigest()
    assert sha256_file(str(path)) == hashlib.sha256(data).hexdigest()


def test_json_digest_is_the_sorted_json_sha256_prefix():
    value = [{"b": 1, "a": [0.5, None]}, ["x.wav"], 7, {"p": PurePosixPath("/x.wav")}]
    text = json.dumps(value, sort_keys=True, default=str)
    full = hashlib.sha256(text.encode()).hexdigest()
    assert json_digest(value) == full[:16]
    assert json_digest(value, length=64) == full
    assert json_digest({"a": 1, "b": 2}) == json_digest({"b": 2, "a": 1})  # key order is ignored
    assert json_digest({"a": 1}) != json_digest({"a": 2})
