"""The demo's stand-in for an outside generator's clips (augeval.data.demo_samples)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from augeval.data.demo_samples import make_demo_samples
from augeval.errors import ConfigError
from augeval.generators.base import GenerateJob
from augeval.generators.external import SamplesGenerator, draw_samples, read_sample_pool

CLASS_TAGS = {"bright": ["happy", "uplifting"], "gloomy": ["sad"]}


def make(out, **kw):
    args = {"clips_per_class": 3, "seconds": 1.5, "sample_rate": 8000, "seed": 7} | kw
    return make_demo_samples(out, CLASS_TAGS, **args)


def test_one_folder_per_class_at_its_own_rate_and_format(tmp_path):
    written = make(tmp_path / "clips")
    assert sorted(p.name for p in (tmp_path / "clips").iterdir()) == ["bright", "gloomy"]
    for cls, paths in written.items():
        assert len(paths) == 3
        for path in paths:
            assert path.parent.name == cls and path.suffix == ".flac"
            tag = path.stem.rsplit("_", 1)[-1]
            assert tag in CLASS_TAGS[cls]  # named after the class's tag it was rendered with
            info = sf.info(path)
            assert (info.samplerate, info.frames) == (8000, 12000)
            y, _ = sf.read(path)
            assert np.sqrt(np.mean(y**2)) > 1e-3  # music, not silence
    # no temporary folder left next to it
    assert [p.name for p in tmp_path.iterdir()] == ["clips"]


def test_seeded(tmp_path):
    a, b = make(tmp_path / "a"), make(tmp_path / "b")
    c = make(tmp_path / "c", seed=8)
    read = lambda p: sf.read(p)[0]  # noqa: E731
    pairs = zip(a["gloomy"], b["gloomy"], c["gloomy"], strict=True)
    assert all(np.array_equal(read(x), read(y)) for x, y, _ in pairs)
    assert not np.array_equal(read(a["gloomy"][0]), read(c["gloomy"][0]))
    # every clip of a class is a different piece
    first = [read(p) for p in a["bright"]]
    assert not np.array_equal(first[0], first[1])


def test_a_rerun_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "clips"
    make(out, clips_per_class=4)
    (out / "bright" / "stale.wav").write_bytes(b"x")
    make(out, clips_per_class=2, audio_format="wav")
    assert sorted(p.suffix for p in out.glob("*/*")) == [".wav"] * 4


def test_a_class_without_a_synthesisable_tag_is_an_error_and_writes_nothing(tmp_path):
    with pytest.raises(ConfigError, match=r"\['odd'\]"):
        make_demo_samples(tmp_path / "clips", CLASS_TAGS | {"odd": ["polka"]},
                          clips_per_class=1, seconds=1, sample_rate=8000, seed=1)  # fmt: skip
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="format"):
        make(tmp_path / "clips", audio_format="mp3")


def test_the_samples_generator_reads_and_resamples_them(tmp_path):
    make(tmp_path / "clips")
    pool = read_sample_pool({"dir": str(tmp_path / "clips")}, "any", ["bright", "gloomy"])
    assert len(pool) == 6 and np.allclose(pool["duration_s"], 1.5)
    sources = draw_samples(pool, ["bright", "gloomy"], 3.0, seed=1, clip_prefix="x")
    assert list(sources.groupby("drawn_class").size()) == [2, 2]
    job = GenerateJob("samples", "emotion", {"sample_rate": 16000}, sources, tmp_path / "g", 0)
    out = SamplesGenerator().generate(job)
    for path in out["path"]:
        info = sf.info(path)
        assert (info.samplerate, info.frames) == (16000, 24000)
