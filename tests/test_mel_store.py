"""Mel cache layout and classifier reads: frame-major shards, memory-mapped window reads."""

import os

import numpy as np
import pandas as pd
import pytest

from augeval.audio import write_audio
from augeval.classifier.data import fit_frames
from augeval.classifier.train import load_windows
from augeval.features import MelExtractor, MelParams, MelStore, build_shard


def noise_clip(path, seconds, seed):
    rng = np.random.default_rng(seed)
    write_audio(path, 0.1 * rng.standard_normal(int(12000 * seconds)), 12000)
    return str(path)


@pytest.fixture
def shard(tmp_path):
    params = MelParams(max_frames=120)
    seconds = [2.0, 0.5, 3.0, 1.2]  # 94, 24, 120 (capped), 57 frames
    rows = [
        {"track_id": f"t{i}", "path": noise_clip(tmp_path / f"{i}.wav", s, i)}
        for i, s in enumerate(seconds)
    ]
    manifest = pd.DataFrame(rows)
    build_shard(manifest, params, tmp_path / "shard-0.npy", tmp_path / "shard-0.tsv")
    return tmp_path, manifest, params


def test_shard_is_frame_major_and_holds_every_mel(shard):
    root, manifest, params = shard
    frames = np.load(root / "shard-0.npy")
    assert frames.dtype == np.float16 and frames.flags.f_contiguous
    index = pd.read_csv(root / "shard-0.tsv", sep="\t")
    assert list(index["n_frames"]) == [1 + int(s * 12000) // 256 for s in (2.0, 0.5)] + [120, 57]
    assert list(index["start"]) == [0, *np.cumsum(index["n_frames"])[:-1]]
    assert frames.shape == (96, index["n_frames"].sum())
    extractor = MelExtractor(params)
    for path, start, n in zip(manifest["path"], index["start"], index["n_frames"], strict=True):
        direct = extractor.from_file(path).astype(np.float16)
        np.testing.assert_array_equal(frames[:, start : start + n], direct)
    assert sorted(os.listdir(root)) == sorted(
        ["0.wav", "1.wav", "2.wav", "3.wav", "shard-0.npy", "shard-0.tsv"]
    )  # no temporary body or header file left


def test_windows_read_from_the_memory_map(shard):
    root, _, _ = shard
    store = MelStore([root / "shard-0.tsv"])
    assert [store.length(f"t{i}") for i in range(4)] == [94, 24, 120, 57]
    full = store.get("t2")
    for offset in (0, 7, 64, 500):
        np.testing.assert_array_equal(store.window("t2", 56, offset), fit_frames(full, 56, offset))
    np.testing.assert_array_equal(store.window("t1", 56, 9), fit_frames(store.get("t1"), 56))
    assert all(isinstance(a, np.memmap) for a in store._arrays.values())
    x = load_windows(store, ["t0", "t2", "t1"], 56, offsets=[3, 60, 0])
    assert x.shape == (3, 96, 56)
    np.testing.assert_allclose(x[1].numpy(), full[:, 60:116] / 100, rtol=1e-6)


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def test_reading_windows_does_not_load_the_shard(tmp_path):
    """A 1.5 GB (sparse) shard: 20 random windows must cost megabytes, not the shard."""
    n_tracks, frames = 4000, 2048
    path = tmp_path / "shard-0.npy"
    with open(path, "wb") as out:
        header = {"descr": "<f2", "fortran_order": True, "shape": (96, n_tracks * frames)}
        np.lib.format.write_array_header_1_0(out, header)
        out.truncate(out.tell() + 96 * n_tracks * frames * 2)  # a hole: no disk, no memory
    ids = [f"t{i}" for i in range(n_tracks)]
    pd.DataFrame(
        {"track_id": ids, "shard": path.name, "start": np.arange(n_tracks) * frames,
         "n_frames": frames}
    ).to_csv(tmp_path / "shard-0.tsv", sep="\t", index=False)  # fmt: skip
    store = MelStore([tmp_path / "shard-0.tsv"])
    before = rss_bytes()
    rng = np.random.default_rng(0)
    for i in rng.integers(0, n_tracks, 20):
        window = store.window(f"t{i}", 512, int(rng.integers(0, frames)))
        assert window.shape == (96, 512) and not window.any()
    assert rss_bytes() - before < 64 * 2**20
