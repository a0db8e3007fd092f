"""Jukebox through the jukebox-infer package: a tiny, randomly initialised model runs the same
primed-sampling path as the pretrained one, on CPU."""

from __future__ import annotations

import copy
import fractions
import functools
import http.server
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

pytest.importorskip("jukebox_infer")

from augeval.digest import sha256_file  # noqa: E402
from augeval.errors import CheckpointError, ConfigError  # noqa: E402
from augeval.generators import generator_config, make_generator  # noqa: E402
from augeval.generators.base import GenerateJob  # noqa: E402
from augeval.generators.jukebox_config import settings  # noqa: E402
from augeval.generators.jukebox_model import (  # noqa: E402
    JukeboxModel,
    cpu_long_tensor_shim,
    sampling_plan,
)
from augeval.generators.jukebox_weights import fetch_weights, load_state, weight_files  # noqa: E402

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


def upstream_hparams_class(monkeypatch):
    """A class pickled as ``jukebox.hparams.Hyperparams`` (upstream's dict subclass), so a file
    written with it names that global as OpenAI's code would."""
    pkg, mod = types.ModuleType("jukebox"), types.ModuleType("jukebox.hparams")

    class Hyperparams(dict):
        def __getattr__(self, attr):
            return self[attr]

    Hyperparams.__module__, Hyperparams.__qualname__ = "jukebox.hparams", "Hyperparams"
    mod.Hyperparams, pkg.hparams = Hyperparams, mod
    monkeypatch.setitem(sys.modules, "jukebox", pkg)
    monkeypatch.setitem(sys.modules, "jukebox.hparams", mod)
    return Hyperparams


def save_openai_layout(path: Path, module: torch.nn.Module, hps: dict, *, with_opt: bool,
                       legacy: bool = False) -> None:  # fmt: skip
    """One weight file as upstream's ``save_checkpoint`` writes it: ``hps``, the ``model`` state
    dict (DataParallel ``module.`` prefixes), ``opt`` (an optimiser's state after a real step, or
    None), ``step`` and the metrics merged in."""
    opt = None
    if with_opt:
        params = [p for p in module.parameters() if p.dtype == torch.float32][:4]
        adam = torch.optim.Adam([torch.nn.Parameter(p.detach().clone()) for p in params])
        sum(q.sum() for g in adam.param_groups for q in g["params"]).backward()
        adam.step()
        opt = adam.state_dict()
    state = {f"module.{k}": v for k, v in module.state_dict().items()}
    ckpt = {"hps": hps, "model": state, "opt": opt, "step": 123456, "epoch": np.int64(3)}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, path, _use_new_zipfile_serialization=not legacy)


def write_openai_files(model: JukeboxModel, directory: Path, monkeypatch,
                       legacy: bool = False) -> dict[str, Path]:  # fmt: skip
    """Every built component of ``model`` saved in OpenAI's layout under ``directory``."""
    hparams_cls = upstream_hparams_class(monkeypatch)
    modules = dict(zip(weight_files("5b"), [model.vqvae, *model.priors], strict=True))
    paths = {}
    for name, rel in weight_files("5b").items():
        if modules[name] is None:
            continue
        # hps as upstream's runs leave it: a Hyperparams object with numpy-computed values
        hps = hparams_cls(sr=SR, levels=3, sample_length=np.int64(model.total), name=name,
                          bandwidth={"l1": np.float64(0.03), "l2": 0.0021}, strides_t=(2, 2, 2),
                          argv="train.py --hps=" + name)  # fmt: skip
        save_openai_layout(directory / rel, modules[name], hps, with_opt=name == "vqvae",
                           legacy=legacy)  # fmt: skip
        paths[name] = directory / rel
    return paths


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy-format"])
def test_openai_layout_files_load_and_sample_identically(tiny, tmp_path, monkeypatch, legacy):
    model, x, out, _ = tiny
    paths = write_openai_files(model, tmp_path, monkeypatch, legacy=legacy)
    # the files hold what the allow-list is for (else this test would not exercise it)
    raw = paths["vqvae"].read_bytes()
    assert b"jukebox.hparams" in raw and b"multiarray" in raw
    with pytest.raises(Exception, match="Unsupported global"):
        torch.load(paths["vqvae"], weights_only=True)  # torch's default refuses them
    monkeypatch.delitem(sys.modules, "jukebox.hparams")  # loading never needs upstream's code
    sums = {rel: sha256_file(tmp_path / rel) for rel in weight_files("5b").values()}
    cfg = {**TINY, "init": "pretrained", "weights_dir": str(tmp_path), "checksums": sums}
    loaded = JukeboxModel(cfg, CPU)
    loaded.load(tmp_path)
    assert torch.equal(loaded.primed_sample(x, seed=7), out)


def truncate(path: Path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy-format"])
def test_truncated_weight_file_says_refetch_helps(tiny, tmp_path, monkeypatch, legacy):
    model = tiny[0]
    paths = write_openai_files(model, tmp_path, monkeypatch, legacy=legacy)
    target = paths["prior_5b"]
    truncate(target, 0.6)
    fresh = JukeboxModel({**TINY, "init": "pretrained"}, CPU)
    with pytest.raises(CheckpointError) as err:
        fresh.load(tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"Jukebox weight file {target} ")
    assert "truncated" in msg
    assert msg.endswith(
        "delete it and re-run `snakemake fetch_jukebox_weights --cores 1` (re-fetching helps here)"
    )


def test_refused_type_names_it_and_says_refetch_will_not_help(tiny, tmp_path, monkeypatch):
    model = tiny[0]
    paths = write_openai_files(model, tmp_path, monkeypatch)
    # an intact file whose hps hold a type outside the allow-list
    save_openai_layout(paths["vqvae"], model.vqvae, {"sr": SR, "lr": fractions.Fraction(1, 3)},
                       with_opt=False)  # fmt: skip
    fresh = JukeboxModel({**TINY, "init": "pretrained"}, CPU)
    with pytest.raises(CheckpointError) as err:
        fresh.load(tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"cannot load Jukebox weight file {paths['vqvae']} with weights_only")
    assert "refused: fractions.Fraction." in msg
    assert "re-fetching will not help" in msg and "_allowed_globals" in msg


def test_checksum_mismatch_before_loading(tiny, tmp_path, monkeypatch):
    model = tiny[0]
    write_openai_files(model, tmp_path, monkeypatch)
    rel = weight_files("5b")["upsampler_level_1"]
    actual = sha256_file(tmp_path / rel)
    cfg = {**TINY, "init": "pretrained", "checksums": {rel: "0" * 64}}
    with pytest.raises(CheckpointError) as err:
        JukeboxModel(cfg, CPU).load(tmp_path)
    assert str(err.value) == (
        f"Jukebox weight file {tmp_path / rel}: sha256 {actual}, expected {'0' * 64} "
        f"(generators.<name>.checksums): the file is damaged or another version; delete it and "
        f"re-run `snakemake fetch_jukebox_weights --cores 1` (re-fetching helps here), or correct "
        f"the checksum if the file is the one you meant"
    )


def test_not_a_checkpoint_at_all(tmp_path):
    path = tmp_path / "vqvae.pth.tar"
    path.write_bytes(b"<html>403 Forbidden</html>")
    with pytest.raises(CheckpointError, match=r"not a PyTorch checkpoint .*re-fetching helps"):
        load_state(path)


@pytest.fixture(scope="module")
def tiny_top(one_thread):
    torch.manual_seed(0)
    model = JukeboxModel({**TINY, "levels": "top", "sample_rate": 44100}, CPU)
    x = primes(model.prime)
    model.calibrate(x, seed=1)
    zs = model.sample_codes(x, seed=7)
    return model, x, model.decode(zs), zs


def test_levels_top_builds_and_samples_only_the_top_prior(tiny_top):
    model, x, out, zs = tiny_top
    assert model.priors[0] is None and model.priors[1] is None and model.priors[2] is not None
    assert list(model.state_dicts()) == ["vqvae", "prior_5b"]
    # the lower levels keep only the primes' codes: no upsampler ran
    assert zs[0].shape == (3, model.prime // 8) and zs[1].shape == (3, model.prime // 32)
    assert zs[2].shape == (3, model.total // 128)
    encoded = model.vqvae.encode(x, start_level=2, end_level=3, bs_chunks=3)[0]
    assert torch.equal(zs[2][:, : model.prime // 128], encoded)


def test_levels_top_writes_the_level_2_decode_at_full_rate(tiny_top):
    model, x, out, zs = tiny_top
    # 1 top token = 128 samples: the level-2 decoder returns audio at the model's rate
    assert model.sr == 44100 and out.shape == (3, model.total, 1) and torch.isfinite(out).all()
    # The prime region is the VQ-VAE's level-2 reconstruction of the prime, except the last 1536
    # samples (12 top tokens: the level-2 decoder's receptive field, which already sees the
    # continuation there; measured: the first difference > 1e-6 is 1262 samples before the end).
    keep = model.prime - 1536
    recon = model.reconstruct(x)
    assert recon.shape == x.shape
    assert torch.allclose(out[:, :keep], recon[:, :keep], atol=1e-5)
    assert not torch.allclose(recon, model.reconstruct(x, level=0), atol=1e-3)  # level 2, not 0
    # An untrained 7-stage level-2 decoder all but ignores its codes (rows differ by ~5e-6), which
    # would make the check above hold for any codes. So check it again with a copy of the VQ-VAE
    # whose level-2 decoder has its conv weights x2 (the codes matter: rows differ by ~0.05), in
    # float64 (that high-gain copy amplifies float32 rounding): equal to 1e-6, row by row.
    loud = copy.copy(model)
    loud.vqvae = copy.deepcopy(model.vqvae).double()
    with torch.no_grad():
        for conv in loud.vqvae.decoders[2].modules():
            if isinstance(conv, torch.nn.Conv1d | torch.nn.ConvTranspose1d):
                conv.weight.mul_(2.0)
    written = loud.decode(zs)
    codes = model.vqvae.encode(x, start_level=2, end_level=3, bs_chunks=3)  # float32, as sampled
    recon = loud.vqvae.decode(codes, start_level=2, end_level=3, bs_chunks=3).float()
    assert torch.allclose(written[:, :keep], recon[:, :keep], atol=1e-6, rtol=0)
    for i in range(3):
        for j in range(3):
            if i != j:  # ...and each row follows its own prime
                assert (written[i, :keep] - recon[j, :keep]).abs().max() > 1e-2


def test_levels_top_generate_writes_44k_clips(tmp_path):
    sr, n = 44100, 1024
    rows = []
    for k in range(2):
        path = tmp_path / f"t{k}.wav"
        t = np.arange(4 * n) / sr
        sf.write(path, 0.4 * np.sin(2 * np.pi * (300 + 200 * k) * t), sr)
        rows.append(dict(clip_id=f"jb_{k}", track_id=f"t{k}", path=str(path), offset_s=0,
                         source_seconds=n / sr, drawn_class="a", labels="a"))  # fmt: skip
    cfg = {**TINY, "levels": "top", "sample_rate": sr, "prime_seconds": n / sr,
           "clip_seconds": 2 * n / sr}  # fmt: skip
    job = GenerateJob("jukebox", "emotion", cfg, pd.DataFrame(rows), tmp_path / "gen", seed=3)
    manifest = make_generator("jukebox").generate(job)
    for p in manifest["path"]:
        info = sf.info(p)
        assert info.samplerate == sr and info.frames == 2 * n


def test_levels_top_needs_only_the_vqvae_and_top_prior_files(tiny_top, tmp_path, monkeypatch):
    model, x, out, _ = tiny_top
    paths = write_openai_files(model, tmp_path, monkeypatch)
    assert sorted(paths) == ["prior_5b", "vqvae"]  # no upsampler file exists
    cfg = {**TINY, "levels": "top", "sample_rate": 44100, "init": "pretrained"}
    loaded = JukeboxModel(cfg, CPU)
    loaded.load(tmp_path)
    assert torch.equal(loaded.primed_sample(x, seed=7), out)
    with pytest.raises(CheckpointError, match="upsampler_level_0"):
        JukeboxModel({**TINY, "init": "pretrained"}, CPU).load(tmp_path)  # levels all


def test_sampling_plan_is_upstreams_per_level():
    # openai/jukebox jukebox/sample.py (save_samples): upsamplers batch 16, chunk 32; top prior
    # 3 and 16 for 5b/5b_lyrics, 16 and 32 for 1b_lyrics; never more rows than the call has.
    assert sampling_plan(settings({}), 16) == [(16, 32), (16, 32), (3, 16)]
    assert sampling_plan(settings({"model": "5b_lyrics"}), 16) == [(16, 32), (16, 32), (3, 16)]
    assert sampling_plan(settings({"model": "1b_lyrics"}), 16) == [(16, 32), (16, 32), (16, 32)]
    assert sampling_plan(settings({}), 2) == [(2, 32), (2, 32), (2, 16)]
    assert sampling_plan(settings(TINY), 64) == [(64, 32), (64, 32), (64, 16)]
    own = settings({"max_batch_size": [8, 4, 1], "chunk_size": [64, 64, 8]})
    assert sampling_plan(own, 16) == [(8, 64), (4, 64), (1, 8)]
    model_kwargs = [dict(temp=0.99, fp16=False, chunk_size=c, max_batch_size=b)
                    for b, c in [(8, 64), (4, 64), (1, 8)]]  # fmt: skip
    with torch.device("meta"):
        meta = JukeboxModel({**TINY, **own}, torch.device("meta"))
    assert meta.sampling_kwargs(16) == model_kwargs
    with pytest.raises(ConfigError, match="max_batch_size is 3; give null or 3 positive"):
        settings({"max_batch_size": 3})
    with pytest.raises(ConfigError, match="levels is 'middle'"):
        settings({"levels": "middle"})


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
    # the paper's levels: top builds the VQ-VAE and the 5B top prior only (no 2 x 1B upsamplers)
    with torch.device("meta"):
        top = JukeboxModel(dict(paper, levels="top"), torch.device("meta"))
    assert top.priors[:2] == [None, None]
    assert sum(p.numel() for p in top.priors[2].parameters()) == sizes[3]
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


def test_paper_preset_samples_the_top_level_only():
    """config/mtg_jamendo.yaml is the paper's script: VQ-VAE + top prior, level-2 decode, top
    temperature 0.98, upstream's per-level batch sizes (the 5b top prior at 3)."""
    import yaml

    repo = Path(__file__).resolve().parents[1]
    cfg = yaml.safe_load((repo / "config" / "mtg_jamendo.yaml").read_text())["generators"]
    s = settings(generator_config(cfg["jukebox"]))
    assert (s["levels"], s["temperature"], s["model"]) == ("top", 0.98, "5b")
    assert sampling_plan(s, s["gen_batch_size"])[2] == (3, 16)
    assert settings({})["levels"] == "all"  # the default: both upsamplers (hi-fi)
