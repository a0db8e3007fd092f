"""The Jukebox model of one configuration: the package's VQ-VAE and its priors
(:class:`JukeboxModel`, built by :func:`build_model`), and the CPU shim its sampling needs.

``levels: all`` builds the top prior and both upsamplers, samples the three levels top-down and
decodes level 0 (hi-fi 44.1 kHz audio); ``levels: top`` (what the paper's script did) builds the
VQ-VAE and the top prior only, samples level 2 and writes the VQ-VAE's level-2 decode (lo-fi,
still 44.1 kHz samples; roughly a tenth of the compute, upstream's upsampling dominating).

The model loads pretrained weights (:mod:`augeval.generators.jukebox_weights`) or, for a random
init, calibrates its codebooks on real primes. The priors are built and loaded on the CPU; each
is moved to the device for its own level only and back afterwards (a 5b model never has its ~10
GB top prior and two ~2 GB upsamplers resident at once); the small VQ-VAE stays on the device.
Each level samples with the package's ``sample.sample_level`` and its own ``max_batch_size`` and
``chunk_size`` (:func:`sampling_plan`; upstream's values by default).

CPU notes (package 0.1.2): the package asserts ``isinstance(x, torch.cuda.LongTensor)`` in its
priors and calls ``gc.collect()`` per window; :func:`cpu_long_tensor_shim` lifts both for one
sampling call on CPU and restores them afterwards. Devices are passed explicitly (the package's
builders default to CUDA) and fp16 stays off on CPU.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from augeval.errors import CheckpointError, ConfigError
from augeval.generators.jukebox_config import jukebox_infer_modules, settings
from augeval.generators.jukebox_weights import (
    load_state,
    require_weights,
    weight_files,
    weights_dir,
)

log = logging.getLogger("augeval.generators.jukebox")

HOP_FRACTION = (0.5, 0.5, 0.125)  # upsampler 0, upsampler 1, top prior (package defaults)

# Shrunken sizes that run the full primed path on CPU in seconds (3 levels as in the real model).
TINY_VQVAE = {
    "levels": 3,
    "downs_t": (3, 2, 2),
    "strides_t": (2, 2, 2),
    "emb_width": 16,
    "l_bins": 64,
    "width": 16,
    "depth": 2,
}
TINY_PRIOR = {
    "prior_width": 32,
    "prior_depth": 3,
    "heads": 2,
    "blocks": 8,
    "attn_order": 2,
    "cond_width": 16,
    "cond_depth": 2,
    "use_tokens": False,
    "n_tokens": 0,
    "fp16_params": False,
}


@contextlib.contextmanager
def cpu_long_tensor_shim(device: torch.device, skip_gc: bool = True) -> Iterator[None]:
    """CPU only, for the duration of one sampling call: let the package's
    ``isinstance(x, torch.cuda.LongTensor)`` checks accept any int64 tensor, and skip its
    ``empty_cache()`` (a full ``gc.collect()`` per window: most of a tiny model's CPU time, and
    nothing to free without CUDA). Everything is restored on exit; no-op on CUDA."""
    if device.type == "cuda":
        yield
        return
    from jukebox_infer import sample
    from jukebox_infer.prior import autoregressive

    class _AnyLong(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, torch.Tensor) and obj.dtype == torch.long

    class LongTensor(metaclass=_AnyLong):
        pass

    missing = object()
    saved = getattr(torch.cuda, "LongTensor", missing)
    saved_empty = (sample.empty_cache, autoregressive.empty_cache)
    torch.cuda.LongTensor = LongTensor
    if skip_gc:
        sample.empty_cache = autoregressive.empty_cache = lambda: None
    try:
        yield
    finally:
        sample.empty_cache, autoregressive.empty_cache = saved_empty
        if saved is missing:
            del torch.cuda.LongTensor
        else:
            torch.cuda.LongTensor = saved


# Upstream's sampling settings (openai/jukebox, jukebox/sample.py, save_samples): upsamplers
# max_batch_size 16 and chunk_size 32; top prior 3 and 16 for 5b and 5b_lyrics, 16 and 32 for
# 1b_lyrics. Order: upsampler 0, upsampler 1, top prior.
UPSTREAM_MAX_BATCH = {"5b": (16, 16, 3), "5b_lyrics": (16, 16, 3), "1b_lyrics": (16, 16, 16)}
UPSTREAM_CHUNK = {"5b": (32, 32, 16), "5b_lyrics": (32, 32, 16), "1b_lyrics": (32, 32, 32)}


def sampling_plan(s: dict, n: int) -> list[tuple[int, int]]:
    """``(max_batch_size, chunk_size)`` of each level (upsampler 0, upsampler 1, top) for a call
    with ``n`` rows. A null setting means upstream's values for the model; for a ``tiny`` model,
    whose memory is no limit, a null ``max_batch_size`` means all ``n`` rows in one pass."""
    if s["max_batch_size"] is not None:
        mbs = tuple(s["max_batch_size"])
    else:
        mbs = (n, n, n) if s["tiny"] else UPSTREAM_MAX_BATCH[s["model"]]
    chunks = tuple(s["chunk_size"]) if s["chunk_size"] is not None else UPSTREAM_CHUNK[s["model"]]
    return [(min(int(b), n), int(c)) for b, c in zip(mbs, chunks, strict=True)]


def _round_to(n: int, multiple: int) -> int:
    return max(multiple, (n // multiple) * multiple)


class JukeboxModel:
    """The VQ-VAE and the priors of one configuration (``priors[level]``, None for a level that
    ``levels: top`` does not build); sampling runs on ``device``, the priors wait on the CPU."""

    def __init__(self, cfg: dict, device: torch.device):
        hparams, make_models, _ = jukebox_infer_modules()
        self.s = s = settings(cfg)
        self.device = device
        # Built on the CPU (a meta device stays meta: shapes only); see the module docstring.
        self.home = torch.device("cpu") if device.type == "cuda" else device
        self.levels = s["levels"]
        self.sample_levels = [2] if self.levels == "top" else [0, 1, 2]
        self.fp16 = device.type == "cuda" if s["fp16"] == "auto" else bool(s["fp16"])
        if self.fp16 and device.type != "cuda":
            raise ConfigError("jukebox: fp16 needs CUDA; set fp16: auto or false on CPU")
        vqvae_name, *prior_names = make_models.MODELS[s["model"]]
        vq_extra = dict(TINY_VQVAE) if s["tiny"] else {}
        top = int(np.prod([st**d for st, d in zip(
            vq_extra.get("strides_t", hparams.HPARAMS_REGISTRY[vqvae_name]["strides_t"]),
            vq_extra.get("downs_t", hparams.HPARAMS_REGISTRY[vqvae_name]["downs_t"]),
            strict=True,
        )]))  # fmt: skip
        self.top_hop = top
        sr = s["sample_rate"]
        self.sr = sr
        self.total = _round_to(int(round(s["clip_seconds"] * sr)), top)
        self.prime = _round_to(int(round(s["prime_seconds"] * sr)), top)
        if self.prime >= self.total:
            raise ConfigError("jukebox: prime_seconds must be shorter than clip_seconds")
        vq_hps = hparams.setup_hparams(
            vqvae_name, dict(sample_length=self.total, sr=sr, restore_vqvae="", **vq_extra)
        )
        with _quiet():
            self.vqvae = make_models.make_vqvae(vq_hps, device=self.home, auto_download=False)
        self.priors: list = []
        for level, name in enumerate(prior_names):
            if level not in self.sample_levels:
                self.priors.append(None)
                continue
            extra = {"restore_prior": "", "sr": sr}
            if s["tiny"]:
                extra.update(TINY_PRIOR, n_ctx=int(s["tiny_n_ctx"][level]))
                extra["labels"] = bool(s["tiny_labels"])
            if device.type != "cuda":
                extra["fp16_params"] = False
            p_hps = hparams.setup_hparams(name, extra)
            with _quiet():
                prior = make_models.make_prior(p_hps, self.vqvae, self.home, auto_download=False)
            self.priors.append(prior)
        # The "total length" label: the song's length, inside the top prior's trained range.
        top_hps = hparams.setup_hparams(prior_names[-1], {"sr": sr})
        lo, hi = top_hps["min_duration"], top_hps["max_duration"]
        song = max(float(s["song_seconds"]), s["clip_seconds"])
        if self.priors[-1].y_cond and not lo <= song < hi:
            raise ConfigError(
                f"jukebox: song_seconds {song} outside model {s['model']!r}'s trained range "
                f"[{lo}, {hi}) s"
            )
        self.song_length = int(song * sr)
        self.vqvae.to(device)  # small (~2M parameters): stays on the device
        self.calibrated = False
        self.skip_gc = True  # see cpu_long_tensor_shim (bench/jukebox_tiny.py measures it)

    def load(self, directory: Path) -> None:
        """Load each built component's weights from ``directory`` (the package's cache layout):
        each file verified (size and structure; sha256 where ``checksums`` names it), read with
        the allow-list of :func:`augeval.generators.jukebox_weights.load_state`, loaded on the
        CPU; the VQ-VAE then goes to the device, the priors stay on the CPU until sampled."""
        paths = require_weights(self.s["model"], directory, self.levels)
        files = weight_files(self.s["model"])
        modules = dict(zip(files, [self.vqvae, *self.priors], strict=True))
        for name, path in paths.items():
            module = modules[name]
            log.info("loading %s from %s", name, path)
            state = load_state(path, self.s["checksums"].get(files[name]))
            module.to(self.home)
            try:
                module.load_state_dict(state)
            except RuntimeError as exc:
                raise CheckpointError(
                    f"Jukebox weight file {path} does not fit model {self.s['model']!r} "
                    f"(tiny={self.s['tiny']}): {str(exc)[:300]}"
                ) from None
        self.vqvae.to(self.device)
        self.calibrated = True

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor, seed: int) -> None:
        """Random init only: set each level's codebook from encoder outputs of ``x`` (N, T, 1).

        A fresh VQ-VAE has all-zero codebooks (every input → token 0); drawing the codes from
        real encoder outputs makes the codes, and thus the test of priming, meaningful.
        """
        gen = torch.random.fork_rng(devices=[])
        with gen:
            torch.manual_seed(seed)
            x_in = self.vqvae.preprocess(x.to(self.device))
            for level, (encoder, block) in enumerate(
                zip(self.vqvae.encoders, self.vqvae.bottleneck.level_blocks, strict=True)
            ):
                h = encoder(x_in)[-1]
                flat, _ = block.preprocess(h)
                block.init_k(flat)
                log.info("level %d codebook calibrated from %d encoder frames", level, len(flat))
        self.calibrated = True

    def state_dicts(self) -> dict[str, dict]:
        """Component name → state dict (what :meth:`load` reads; for tests and fixtures)."""
        _, make_models, _ = jukebox_infer_modules()
        names = make_models.MODELS[self.s["model"]]
        modules = [self.vqvae, *self.priors]
        return {n: m.state_dict() for n, m in zip(names, modules, strict=True) if m is not None}

    def sampling_kwargs(self, n: int) -> list[dict]:
        """The package's per-level sampling kwargs (upsampler 0, upsampler 1, top)."""
        return [
            dict(temp=self.s["temperature"], fp16=self.fp16, chunk_size=chunk, max_batch_size=mbs)
            for mbs, chunk in sampling_plan(self.s, n)
        ]

    @torch.no_grad()
    def sample_codes(self, x: torch.Tensor, seed: int) -> list[torch.Tensor]:
        """The package's ``primed_sample``: codes of every level (level 0 first) continuing each
        row of ``x`` (n, prime, 1) to the full length."""
        if not self.calibrated:
            raise CheckpointError("jukebox: weights neither loaded nor calibrated")
        hparams, _, sample = jukebox_infer_modules()
        n = x.shape[0]
        if x.ndim != 3 or x.shape[1] != self.prime or x.shape[2] != 1:
            raise ValueError(f"expected x of shape (n, {self.prime}, 1), got {tuple(x.shape)}")
        hps = hparams.Hyperparams(
            sr=self.sr, n_samples=n, sample_length=self.total, hop_fraction=list(HOP_FRACTION)
        )
        metas = [
            dict(artist="", genre="", lyrics="", total_length=self.song_length, offset=0)
            for _ in range(n)
        ]
        kwargs = self.sampling_kwargs(n)
        with _quiet():  # the labeller prints a warning per empty artist/genre
            labels = {
                level: self.priors[level].labeller.get_batch_labels(metas, self.device)
                for level in self.sample_levels
            }
        torch.manual_seed(seed)
        if self.device.type == "cuda":
            torch.cuda.manual_seed_all(seed)
        with cpu_long_tensor_shim(self.device, self.skip_gc), _quiet():
            # The primes' codes of every level, as the package's primed_sample encodes them.
            zs = self.vqvae.encode(x.to(self.device), start_level=0, end_level=3, bs_chunks=n)
            for level in reversed(self.sample_levels):
                prior = self.priors[level].to(self.device)
                try:
                    tokens = self.total // int(prior.raw_to_tokens)  # total: a top-hop multiple
                    hop = int(HOP_FRACTION[level] * prior.n_ctx)
                    zs = sample.sample_level(
                        zs, labels[level], kwargs[level], level, prior, tokens, hop, hps
                    )
                finally:
                    if self.device != self.home:
                        prior.to(self.home)
                        if self.device.type == "cuda":
                            torch.cuda.empty_cache()
        return zs

    @torch.no_grad()
    def decode(self, zs: list[torch.Tensor]) -> torch.Tensor:
        """Audio (n, total, 1) float32 on the CPU from the sampled codes: the level-0 decode for
        ``levels: all``, the level-2 (top) decode for ``levels: top`` (both at ``sample_rate``)."""
        start = self.sample_levels[0]
        with _quiet():
            audio = self.vqvae.decode(zs[start:], start_level=start, bs_chunks=zs[0].shape[0])
        return audio.float().cpu()

    def primed_sample(self, x: torch.Tensor, seed: int) -> torch.Tensor:
        """Continue each row of ``x`` (n, prime, 1) to (n, total, 1) float32 on the CPU."""
        return self.decode(self.sample_codes(x, seed))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, level: int | None = None) -> torch.Tensor:
        """VQ-VAE encode → decode of ``x`` (n, T, 1) through one level (default: the level this
        configuration writes, 0 or 2): what a prime becomes in the written clip."""
        level = self.sample_levels[0] if level is None else level
        # Row by row, as sampling encodes the primes (a batched encode can round a near-tie to
        # another code).
        span = dict(start_level=level, end_level=level + 1, bs_chunks=x.shape[0])
        zs = self.vqvae.encode(x.to(self.device), **span)
        return self.vqvae.decode(zs, **span).float().cpu()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The package prints progress to stdout; send it to the log at debug level instead."""
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        yield
    for line in buf.getvalue().splitlines():
        log.debug("jukebox-infer: %s", line)


def build_model(cfg: dict, device: torch.device, calibration: torch.Tensor | None = None,
                seed: int = 0) -> JukeboxModel:  # fmt: skip
    """The configured model: pretrained weights loaded, or random init calibrated on
    ``calibration`` (n, T, 1)."""
    s = settings(cfg)
    if s["init"] == "pretrained":  # before building: a 5b model takes minutes and ~20 GB
        require_weights(s["model"], weights_dir(s), s["levels"])
    model = JukeboxModel(s, device)
    if s["init"] == "pretrained":
        model.load(weights_dir(s))
    else:
        if calibration is None:
            raise ValueError("a randomly initialised Jukebox needs a calibration batch")
        model.calibrate(calibration, seed)
    return model
