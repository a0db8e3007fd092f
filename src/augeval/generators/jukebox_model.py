"""The Jukebox model of one configuration: the package's VQ-VAE and three priors on one device
(:class:`JukeboxModel`, built by :func:`build_model`), and the CPU shim its sampling needs.

The model loads pretrained weights (:mod:`augeval.generators.jukebox_weights`) or, for a random
init, calibrates its codebooks on real primes; it samples with the package's
``sample.primed_sample`` and decodes level 0 with the VQ-VAE.

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
from augeval.generators.jukebox_weights import load_state, require_weights, weights_dir

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


def _round_to(n: int, multiple: int) -> int:
    return max(multiple, (n // multiple) * multiple)


class JukeboxModel:
    """The VQ-VAE and three priors of one configuration, on one device."""

    def __init__(self, cfg: dict, device: torch.device):
        hparams, make_models, _ = jukebox_infer_modules()
        self.s = s = settings(cfg)
        self.device = device
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
            self.vqvae = make_models.make_vqvae(vq_hps, device=device, auto_download=False)
        self.priors = []
        for level, name in enumerate(prior_names):
            extra = {"restore_prior": "", "sr": sr}
            if s["tiny"]:
                extra.update(TINY_PRIOR, n_ctx=int(s["tiny_n_ctx"][level]))
                extra["labels"] = bool(s["tiny_labels"])
            if device.type != "cuda":
                extra["fp16_params"] = False
            p_hps = hparams.setup_hparams(name, extra)
            with _quiet():
                prior = make_models.make_prior(p_hps, self.vqvae, device, auto_download=False)
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
        self.calibrated = False
        self.skip_gc = True  # see cpu_long_tensor_shim (bench/jukebox_tiny.py measures it)

    def load(self, directory: Path) -> None:
        """Load every component's weights from ``directory`` (the package's cache layout)."""
        paths = require_weights(self.s["model"], directory)
        modules = [self.vqvae, *self.priors]
        for module, (name, path) in zip(modules, paths.items(), strict=True):
            log.info("loading %s from %s", name, path)
            state = load_state(path)
            try:
                module.load_state_dict(state)
            except RuntimeError as exc:
                raise CheckpointError(
                    f"Jukebox weight file {path} does not fit model {self.s['model']!r} "
                    f"(tiny={self.s['tiny']}): {str(exc)[:300]}"
                ) from None
            module.to(self.device)
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
        return {n: m.state_dict() for n, m in zip(names, [self.vqvae, *self.priors], strict=True)}

    def sampling_kwargs(self, n: int) -> list[dict]:
        s = self.s
        mbs = s["max_batch_size"] or n
        return [
            dict(temp=s["temperature"], fp16=self.fp16, chunk_size=s["chunk_size"],
                 max_batch_size=mbs)
            for _ in self.priors
        ]  # fmt: skip

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
        with _quiet():  # the labeller prints a warning per empty artist/genre
            labels = [p.labeller.get_batch_labels(metas, self.device) for p in self.priors]
        torch.manual_seed(seed)
        if self.device.type == "cuda":
            torch.cuda.manual_seed_all(seed)
        with cpu_long_tensor_shim(self.device, self.skip_gc), _quiet():
            return sample.primed_sample(
                x.to(self.device), labels, self.sampling_kwargs(n), self.priors, hps,
                device=self.device,
            )  # fmt: skip

    @torch.no_grad()
    def decode(self, zs: list[torch.Tensor]) -> torch.Tensor:
        """Audio (n, T, 1) float32 on the CPU from the codes of every level."""
        with _quiet():
            audio = self.priors[-1].decode(zs, start_level=0, bs_chunks=zs[0].shape[0])
        return audio.float().cpu()

    def primed_sample(self, x: torch.Tensor, seed: int) -> torch.Tensor:
        """Continue each row of ``x`` (n, prime, 1) to (n, total, 1) float32 on the CPU."""
        return self.decode(self.sample_codes(x, seed))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """VQ-VAE encode → decode of ``x`` (n, T, 1) through level 0 (what a prime becomes)."""
        zs = self.vqvae.encode(x.to(self.device), start_level=0, end_level=1)
        return self.vqvae.decode(zs, start_level=0, end_level=1).float().cpu()


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
        require_weights(s["model"], weights_dir(s))
    model = JukeboxModel(s, device)
    if s["init"] == "pretrained":
        model.load(weights_dir(s))
    else:
        if calibration is None:
            raise ValueError("a randomly initialised Jukebox needs a calibration batch")
        model.calibrate(calibration, seed)
    return model
