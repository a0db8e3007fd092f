"""Jukebox generator: OpenAI's pretrained Jukebox (PyPI ``jukebox-infer``), primed, not retrained.

Each batch of sources becomes one call of the package's ``sample.primed_sample`` with ``x`` of
shape ``(n, T, 1)``: row ``i`` is the prime of source ``i`` (``prime_seconds`` read at the source's
``offset_s``, 44.1 kHz mono), so different primes are continued together. The VQ-VAE encodes the
primes, the top prior continues them to ``clip_seconds`` in total, the two upsamplers fill in the
lower levels, and the VQ-VAE decodes level 0. Artist, genre and lyrics labels are empty (as in the
paper). The written clip is the whole ``clip_seconds`` (prime region included, as Jukebox returns
it); its label is inherited from the source.

Configuration keys (``cfg``): see ``workflow/schemas/config.schema.yaml``, block
``generators.jukebox`` (or ``config/README.md``); its defaults are the paper's (5b, 8 s primes,
24 s clips at 44.1 kHz), filled in by :func:`settings`. ``init: random`` builds an *untrained*
model whose codebooks are calibrated on the primes (tests and the demo); ``tiny: true`` (model
``5b`` only) shrinks the hyper-parameters to run on CPU, each ``tiny_n_ctx`` at most that level's
tokens per clip; ``song_seconds`` must lie in the prior's trained range (5b: 60-600 s, 1b_lyrics:
17.84-600 s); ``max_batch_size`` null means ``gen_batch_size``; ``checksums`` and ``weights_url``
are read by the ``fetch_jukebox_weights`` rule only.

No weights are downloaded here: a missing weight file raises
:class:`augeval.errors.CheckpointError` naming the file, where it was looked for, and the
``fetch_jukebox_weights`` rule that downloads it (:func:`fetch_weights`, on a machine with
internet). Weight files are read with ``torch.load(weights_only=True)``.

Resuming: every finished batch is written (WAVs, then a ``batch-<k>.done`` marker holding its
manifest rows) under ``<out_dir>/batches`` before the next starts; a killed job restarted with the
same sources and configuration skips the finished batches. Batch ``k`` is sampled with its own
seed ``(seed, k)``, so a resumed run writes the same audio as an uninterrupted one.

CPU notes (package 0.1.2): the package asserts ``isinstance(x, torch.cuda.LongTensor)`` in its
priors and calls ``gc.collect()`` per window; :func:`cpu_long_tensor_shim` lifts both for one
sampling call on CPU and restores them afterwards. Devices are passed explicitly (the package's
builders default to CUDA) and fp16 stays off on CPU.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from augeval.atomic import atomic_path
from augeval.audio import read_audio, write_audio
from augeval.device import resolve_device
from augeval.digest import json_digest, sha256_file
from augeval.errors import CheckpointError, ConfigError
from augeval.fetch import ChecksumMismatch, fetch_file
from augeval.generators import generator_defaults, generator_keys, with_defaults
from augeval.generators.base import FitJob, GenerateJob, generated_row

log = logging.getLogger("augeval.generators.jukebox")

MODELS = ("5b", "5b_lyrics", "1b_lyrics")
FETCH_RULE = "fetch_jukebox_weights"
HOP_FRACTION = (0.5, 0.5, 0.125)  # upsampler 0, upsampler 1, top prior (package defaults)

# The schema's defaults (workflow/schemas/config.schema.yaml, generators.jukebox), for reference.
DEFAULTS = generator_defaults("jukebox")

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


def _package():
    try:
        from jukebox_infer import hparams, make_models, sample
    except ImportError as exc:  # pragma: no cover - the pin installs it
        raise ConfigError(
            "the jukebox generator needs the jukebox-infer package (pinned in pyproject.toml); "
            f"install the project's dependencies ({exc})"
        ) from None
    return hparams, make_models, sample


def settings(cfg: dict) -> dict:
    """``cfg`` over the schema defaults, validated."""
    unknown = set(cfg) - set(generator_keys("jukebox")) - {"kind", "source_seconds"}
    if unknown:
        raise ConfigError(f"jukebox: unknown config keys {sorted(unknown)}")
    s = with_defaults("jukebox", cfg)
    if s["model"] not in MODELS:
        raise ConfigError(f"jukebox: model is {s['model']!r}; allowed: {', '.join(MODELS)}")
    if s["init"] not in ("pretrained", "random"):
        raise ConfigError(f"jukebox: init is {s['init']!r}; allowed: pretrained, random")
    if s["tiny"] and s["model"] != "5b":
        raise ConfigError("jukebox: tiny: true builds a shrunken 5b-structured model; use model 5b")
    if not s["tiny"] and s["sample_rate"] != 44100:
        raise ConfigError("jukebox: the pretrained models run at sample_rate 44100")
    if not 0 < s["prime_seconds"] < s["clip_seconds"]:
        raise ConfigError("jukebox: need 0 < prime_seconds < clip_seconds")
    return s


def is_untrained(cfg: dict) -> bool:
    """True for a randomly initialised Jukebox: tables and figures must say so."""
    return with_defaults("jukebox", cfg)["init"] == "random"


# ----------------------------------------------------------------------------- weights


def weight_files(model: str) -> dict[str, str]:
    """Component name → path relative to the weights dir (the package's cache layout)."""
    hparams, make_models, _ = _package()
    prefix = hparams.REMOTE_PREFIX + "jukebox/models/"
    names = make_models.MODELS[model]
    out = {}
    for name in names:
        hps = hparams.HPARAMS_REGISTRY[name]
        url = hps.get("restore_vqvae") or hps.get("restore_prior")
        out[name] = url[len(prefix) :]
    return out


def weight_urls(model: str) -> dict[str, str]:
    """Relative path → download URL of each weight file of ``model``."""
    hparams, _, _ = _package()
    prefix = hparams.REMOTE_PREFIX + "jukebox/models/"
    return {rel: prefix + rel for rel in weight_files(model).values()}


def weights_dir(cfg: dict) -> Path:
    return Path(os.path.expanduser(str(with_defaults("jukebox", cfg)["weights_dir"])))


def require_weights(model: str, directory: Path) -> dict[str, Path]:
    """Absolute path of each weight file; :class:`CheckpointError` for the first one missing."""
    paths = {}
    for name, rel in weight_files(model).items():
        path = directory / rel
        if not path.is_file() or path.stat().st_size == 0:
            raise CheckpointError(
                f"Jukebox weight file {rel} ({name}) of model {model!r} not found at {path}. "
                f"Weights are never downloaded during generation: on a machine with internet run "
                f"`snakemake {FETCH_RULE} --cores 1` (downloads every file of "
                f"generators.<name>.model into generators.<name>.weights_dir with checksums), "
                f"or copy the files there, or point weights_dir at them."
            )
        paths[name] = path
    return paths


def _load_state(path: Path) -> dict:
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"cannot load Jukebox weight file {path} with weights_only=True ({exc}); "
            f"delete it and re-run {FETCH_RULE}"
        ) from exc
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise CheckpointError(f"Jukebox weight file {path} has no 'model' state dict")
    return {k.removeprefix("module."): v for k, v in ckpt["model"].items()}


def fetch_weights(
    model: str,
    directory: str | os.PathLike,
    checksums: dict[str, str] | None = None,
    base_url: str | None = None,
) -> pd.DataFrame:
    """Download every weight file of ``model`` into ``directory`` (opt-in rule, needs internet).

    A file already present with the expected checksum is kept. Each download goes to
    ``<file>.part`` (:func:`augeval.fetch.fetch_file`: an interrupted one resumes), is checked
    against ``checksums[relative path]`` when one is given (the package publishes none; the
    observed sha256 is recorded either way), and is renamed into place only then.
    ``base_url`` replaces the package's URL prefix (a mirror, or a local server in tests).
    Returns one row per file: ``file  path  bytes  sha256  status``.
    """
    directory = Path(os.path.expanduser(str(directory)))
    checksums = checksums or {}
    rows = []
    for rel, url in weight_urls(model).items():
        if base_url is not None:
            url = base_url.rstrip("/") + "/" + rel
        target = directory / rel
        expected = checksums.get(rel)
        status = "present"
        if not (target.is_file() and target.stat().st_size > 0) or (
            expected and sha256_file(target) != expected
        ):
            log.info("downloading %s -> %s", url, target)
            try:
                fetch_file(url, target, sha256=expected or None)
            except ChecksumMismatch as exc:
                raise CheckpointError(
                    f"checksum mismatch for {url}: sha256 {exc.actual}, expected {expected}; "
                    f"nothing was written to {target}"
                ) from None
            status = "downloaded"
        digest = sha256_file(target)
        if expected and digest != expected:
            raise CheckpointError(f"{target}: sha256 {digest}, expected {expected}")
        rows.append(
            {
                "file": rel,
                "path": str(target),
                "bytes": target.stat().st_size,
                "sha256": digest,
                "status": status,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- model


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
        hparams, make_models, _ = _package()
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
            state = _load_state(path)
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
        _, make_models, _ = _package()
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
        hparams, _, sample = _package()
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


# ----------------------------------------------------------------------------- generator


def _config_digest(s: dict, sources: pd.DataFrame) -> str:
    return json_digest(
        {"cfg": {k: s[k] for k in sorted(s) if k not in ("device", "weights_dir")},
         "sources": sources.to_csv(index=False)}
    )  # fmt: skip


class JukeboxGenerator:
    name = "jukebox"
    trainable = False

    def fit(self, job: FitJob) -> None:
        raise ConfigError("Jukebox is pretrained and not retrained (as in the paper)")

    def generate(self, job: GenerateJob) -> pd.DataFrame:
        cfg, sources, out_dir, seed = job.cfg, job.sources, job.out_dir, job.seed
        s = settings(cfg)
        device = resolve_device(s["device"])
        out_dir = Path(out_dir)
        sr = s["sample_rate"]
        records = sources.to_dict(orient="records")
        bs = s["gen_batch_size"]
        batches = [records[k : k + bs] for k in range(0, len(records), bs)]
        state_dir = out_dir / "batches"
        digest = _config_digest(s, sources)
        model: JukeboxModel | None = None
        rows: list[dict] = []
        for k, batch in enumerate(batches):
            done = state_dir / f"batch-{k:05d}.done"
            if done.is_file():
                saved = json.loads(done.read_text())
                if saved.get("digest") == digest and all(
                    Path(r["path"]).is_file() for r in saved["rows"]
                ):
                    rows += saved["rows"]
                    log.info("batch %d/%d already done: skipped", k + 1, len(batches))
                    continue
            if model is None:
                model = _model_for(s, device, records, seed)
            t0 = time.perf_counter()
            x = torch.from_numpy(np.stack([_prime(r, model.prime, sr) for r in batch])[:, :, None])
            audio = model.primed_sample(x, seed=hash_seed(seed, k))
            batch_rows = []
            for r, y in zip(batch, audio[:, :, 0].numpy(), strict=True):
                wav = out_dir / "wav" / f"{r['clip_id']}.wav"
                write_audio(wav, y, sr)
                batch_rows.append(generated_row(r, wav, len(y) / sr, self.name))
            with atomic_path(done) as tmp:
                tmp.write_text(json.dumps({"digest": digest, "rows": batch_rows}))
            rows += batch_rows
            log.info(
                "batch %d/%d: %d clips of %.1f s in %.1f s", k + 1, len(batches), len(batch),
                model.total / sr, time.perf_counter() - t0,
            )  # fmt: skip
        return pd.DataFrame(rows)


def hash_seed(seed: int, k: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}/{k}".encode()).digest()[:4], "little")


def _prime(source: dict, n: int, sr: int) -> np.ndarray:
    """``n`` samples of the source from ``offset_s`` (right-padded with silence if short)."""
    y = read_audio(source["path"], sr, offset_s=float(source["offset_s"]), max_seconds=n / sr)
    return np.pad(y[:n], (0, max(0, n - len(y)))).astype(np.float32)


def _model_for(s: dict, device: torch.device, records: list[dict], seed: int) -> JukeboxModel:
    if s["init"] == "random":
        torch.manual_seed(seed)  # the random init is part of the configuration
        model = JukeboxModel(s, device)
        # Calibrate on the primes of the first sources (deterministic for a given sources table).
        picks = records[: max(1, min(len(records), 8))]
        calibration = torch.from_numpy(
            np.stack([_prime(r, model.prime, s["sample_rate"]) for r in picks])[:, :, None]
        )
        model.calibrate(calibration, seed)
        return model
    return build_model(copy.deepcopy(s), device)
