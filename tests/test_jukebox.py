"""Jukebox through the jukebox-infer package: a tiny, randomly initialised model runs the same
primed-sampling path as the pretrained one, on CPU."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

pytest.importorskip("jukebox_infer")

from augeval.digest import sha256_file  # noqa: E402
from augeval.errors import CheckpointError, ConfigError  # noqa: E402
from augeval.generators import make_generator  # noqa: E402
from augeval.generators.base import GenerateJob  # noqa: E402
from augeval.generators.jukebox_model import JukeboxModel, cpu_long_tensor_shim  # noqa: E402
from augeval.generators.jukebox_weights import fetch_weights, weight_files  # noqa: E402

SR = 4000  # tiny sizes: 1024-sample primes continued to 2048 samples take seconds on CPU
TINY = dict(
    tiny=True,
    init="random",
    sample_rate=SR,
    prime_seconds=0.256,
    clip_seconds=0.512,
    tiny_n_ctx=[128, 32, 16],
    device="cpu",
)
CPU = torch.device("cpu")


def primes(n_samples: int) -> torch.Tensor:
    """Three clearly different primes: two tones an octave apart and a chirp, as (3, T, 1)."""
    t = np.arange(n_samples) / SR
    rows = [
        0.5 * np.sin(2 * np.pi * 220 * t),
        0.5 * np.sin(2 * np.pi * 880 * t),
        0.5 * np.sin(2 * np.pi * (100 + 1500 * t) * t),
    ]
    return torch.from_numpy(np.stack(rows).astype(np.float32))[:, :, None]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: threads only add overhead
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny(one_thread):
    torch.manual_seed(0)
    model = JukeboxModel(TINY, CPU)
    x = primes(model.prime)
    model.calibrate(x, seed=1)
    zs = model.sample_codes(x, seed=7)
    return model, x, model.decode(zs), zs


def test_primed_sample_shapes_and_prime_region(tiny):
    model, x, out, _ = tiny
    assert model.prime % model.top_hop == 0 and model.total % model.top_hop == 0
    assert out.shape == (3, model.total, 1) and out.dtype == torch.float32
    assert abs(model.total / SR - 0.512) < model.top_hop / SR
    assert torch.isfinite(out).all()
    # The prime region is the VQ-VAE reconstruction of the prime (the decoder's receptive field
    # sees the continuation in the last few hundred samples).
    recon = model.reconstruct(x)
    keep = model.prime - 512
    assert torch.allclose(out[:, :keep], recon[:, :keep], atol=1e-5)
    # ...and the reconstruction depends on the prime: each row follows its own prime.
    for i in range(3):
        for j in range(3):
            if i != j:
                assert (out[i, :keep] - recon[j, :keep]).abs().max() > 1e-3


def test_primed_codes_start_with_encoded_prime(tiny):
    model, x, _, zs = tiny
    encoded = model.vqvae.encode(x, start_level=0, end_level=3, bs_chunks=3)  # as the package
    for level, (z, e) in enumerate(zip(zs, encoded, strict=True)):
        hop = model.total // z.shape[1]
        assert z.shape == (3, model.total // hop)
        assert torch.equal(z[:, : model.prime // hop], e), level
    # calibrated codebooks: the three primes get different codes (not all token 0)
    assert len({tuple(e[i].tolist()) for e in encoded[:1] for i in range(3)}) == 3


def test_same_seed_same_audio_other_seed_differs(tiny):
    model, x, out, _ = tiny
    assert torch.equal(model.primed_sample(x, seed=7), out)
    other = model.primed_sample(x, seed=8)
    assert not torch.equal(other[:, model.prime :], out[:, model.prime :])


def test_weights_written_in_package_format_load_and_sample_identically(tiny, tmp_path):
    model, x, out, _ = tiny
    for name, rel in weight_files("5b").items():
        state = model.state_dicts()[name]
        if name == "vqvae":  # DataParallel-style prefixes are stripped as by the package
            state = {f"module.{k}": v for k, v in state.items()}
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"model": state, "step": 123}, path)
    loaded = JukeboxModel({**TINY, "init": "pretrained", "weights_dir": str(tmp_path)}, CPU)
    loaded.load(tmp_path)
    assert torch.equal(loaded.primed_sample(x, seed=7), out)


def test_missing_weights_name_file_path_and_fetch_rule(tmp_path):
    gen = make_generator("jukebox")
    sources = pd.DataFrame(
        [dict(clip_id="c0", track_id="t", path="x.wav", offset_s=0, source_seconds=8,
              drawn_class="a", labels="a")]
    )  # fmt: skip
    with pytest.raises(CheckpointError) as err:
        cfg = {"weights_dir": str(tmp_path)}
        gen.generate(GenerateJob("jukebox", "emotion", cfg, sources, tmp_path / "out", 0))
    msg = str(err.value)
    assert "5b/vqvae.pth.tar" in msg and str(tmp_path / "5b" / "vqvae.pth.tar") in msg
    assert "fetch_jukebox_weights" in msg
    assert not (tmp_path / "out" / "wav").exists()


def test_weights_that_do_not_fit_the_model(tiny, tmp_path):
    for rel in weight_files("5b").values():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        torch.save({"model": {"nope": torch.zeros(1)}, "step": 0}, tmp_path / rel)
    model = JukeboxModel({**TINY, "init": "pretrained"}, CPU)
    with pytest.raises(CheckpointError, match="does not fit"):
        model.load(tmp_path)


def test_config_errors():
    with pytest.raises(ConfigError, match="model"):
        JukeboxModel({"model": "7b"}, CPU)
    with pytest.raises(ConfigError, match="44100"):
        JukeboxModel({"sample_rate": 16000}, CPU)
    with pytest.raises(ConfigError, match="fp16"):
        JukeboxModel({**TINY, "fp16": True}, CPU)
    # the top prior's "total length" label must lie in its trained range (5b: 60-600 s)
    with pytest.raises(ConfigError, match=r"song_seconds 30.0 outside .*\[60.0, 600.0\)"):
        JukeboxModel({**TINY, "song_seconds": 30}, CPU)


def test_the_paper_configuration_builds_at_full_size():
    """The pretrained 5b path's shapes, without its 28 GB of weights: built on the meta device
    (no memory), with the paper's settings (8 s prime, 24 s clips, 44.1 kHz)."""
    paper = dict(model="5b", prime_seconds=8, clip_seconds=24, sample_rate=44100, fp16=False)
    with torch.device("meta"):
        model = JukeboxModel(paper, torch.device("meta"))
    sizes = [sum(p.numel() for p in m.parameters()) for m in (model.vqvae, *model.priors)]
    # Dhariwal et al. 2020: a 5B-parameter top prior and two ~1B upsamplers (VQ-VAE ~2M)
    assert 4.5e9 < sizes[3] < 5.5e9 and all(0.9e9 < n < 1.1e9 for n in sizes[1:3])
    assert sizes[0] < 5e6
    # top level: 128 samples per token (strides 2 ^ downs 3,2,2 over the levels: 8, 32, 128)
    assert model.top_hop == 128
    assert model.total % 128 == 0 and 0 <= 24 * 44100 - model.total < 128
    assert model.prime % 128 == 0 and 0 <= 8 * 44100 - model.prime < 128
    assert model.song_length == 180 * 44100  # default song_seconds, inside 5b's 60-600 s
    with pytest.raises(ConfigError, match=r"outside model '5b''s trained range \[60.0, 600.0\)"):
        with torch.device("meta"):
            JukeboxModel(dict(paper, song_seconds=24), torch.device("meta"))


def test_tiny_model_keeps_the_real_label_conditioning(tiny):
    model = tiny[0]
    assert all(p.y_cond for p in model.priors)
    assert model.song_length == 180 * SR


def test_cpu_shim_is_scoped():
    before = torch.cuda.LongTensor
    with cpu_long_tensor_shim(CPU):
        assert isinstance(torch.zeros(2, dtype=torch.long), torch.cuda.LongTensor)
        assert not isinstance(torch.zeros(2), torch.cuda.LongTensor)
    assert torch.cuda.LongTensor is before
    from jukebox_infer import sample

    assert sample.empty_cache.__module__ == "jukebox_infer.utils.torch_utils"
    assert not isinstance(torch.zeros(2, dtype=torch.long), torch.cuda.LongTensor)


def test_generate_writes_clips_and_resumes_per_batch(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for k in range(4):
        path = tmp_path / f"track{k}.wav"
        t = np.arange(2 * SR) / SR
        sf.write(
            path,
            0.4 * np.sin(2 * np.pi * (150 + 90 * k) * t) + 0.01 * rng.standard_normal(len(t)),
            SR,
        )  # noqa: E501
        rows.append(dict(clip_id=f"jb_{k}", track_id=f"t{k}", path=str(path), offset_s=0.25,
                         source_seconds=0.256, drawn_class="a", labels="a"))  # fmt: skip
    sources = pd.DataFrame(rows)
    cfg = {**TINY, "gen_batch_size": 2}
    out = tmp_path / "gen"
    gen = make_generator("jukebox")
    job = GenerateJob("jukebox", "emotion", cfg, sources, out, seed=3)
    manifest = gen.generate(job)
    assert list(manifest["track_id"]) == [f"jb_{k}" for k in range(4)]
    assert (manifest["source"] == "jukebox").all()
    for p in manifest["path"]:
        info = sf.info(p)
        assert info.samplerate == SR and abs(info.duration - 0.512) < 0.01
    first = Path(manifest["path"][0]).stat().st_mtime_ns
    second_audio = sf.read(manifest["path"][2])[0]
    # A job killed during batch 1: its marker and clips are gone, batch 0's remain.
    (out / "batches" / "batch-00001.done").unlink()
    for p in manifest["path"][2:]:
        Path(p).unlink()
    again = gen.generate(job)
    pd.testing.assert_frame_equal(again, manifest)
    assert Path(manifest["path"][0]).stat().st_mtime_ns == first  # not regenerated
    assert np.array_equal(sf.read(manifest["path"][2])[0], second_audio)  # same audio


def test_fetch_weights_with_checksums_from_local_server(tmp_path):
    served = tmp_path / "served"
    for k, rel in enumerate(weight_files("1b_lyrics").values()):
        (served / rel).parent.mkdir(parents=True, exist_ok=True)
        (served / rel).write_bytes(bytes([k]) * (100 + k))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        rels = list(weight_files("1b_lyrics").values())
        good = {rels[0]: sha256_file(served / rels[0])}
        table = fetch_weights("1b_lyrics", tmp_path / "w", good, base_url=url)
        assert list(table["status"]) == ["downloaded"] * 4
        assert (tmp_path / "w" / rels[3]).read_bytes() == (served / rels[3]).read_bytes()
        again = fetch_weights("1b_lyrics", tmp_path / "w", good, base_url=url)
        assert list(again["status"]) == ["present"] * 4
        bad = {rels[1]: "0" * 64}
        (tmp_path / "w" / rels[1]).unlink()
        with pytest.raises(CheckpointError, match="checksum mismatch"):
            fetch_weights("1b_lyrics", tmp_path / "w", bad, base_url=url)
        assert not (tmp_path / "w" / rels[1]).exists()  # nothing half-written
    finally:
        server.shutdown()
