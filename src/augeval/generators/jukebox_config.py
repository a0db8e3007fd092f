"""Settings of the Jukebox generator, and the handle on the ``jukebox-infer`` package.

Configuration keys (``cfg``): see ``workflow/schemas/config.schema.yaml``, block
``generators.jukebox`` (or ``config/README.md``); its defaults are the paper's (5b, 8 s primes,
24 s clips at 44.1 kHz), filled in by :func:`settings`. ``init: random`` builds an *untrained*
model whose codebooks are calibrated on the primes (tests and the demo); ``tiny: true`` (model
``5b`` only) shrinks the hyper-parameters to run on CPU, each ``tiny_n_ctx`` at most that level's
tokens per clip; ``song_seconds`` must lie in the prior's trained range (5b: 60-600 s, 1b_lyrics:
17.84-600 s); ``levels`` is ``all`` (both upsamplers, hi-fi) or ``top`` (the paper's level-2
decode); ``max_batch_size`` and ``chunk_size`` are per level (upsampler 0, upsampler 1, top; null
= upstream's values, :func:`augeval.generators.jukebox_model.sampling_plan`); ``checksums`` are
enforced by the ``fetch_jukebox_weights`` rule and checked again before loading; ``weights_url``
is read by that rule only.
"""

from __future__ import annotations

from augeval.errors import ConfigError
from augeval.generators import generator_defaults, generator_keys, with_defaults

MODELS = ("5b", "5b_lyrics", "1b_lyrics")

# The schema's defaults (workflow/schemas/config.schema.yaml, generators.jukebox), for reference.
DEFAULTS = generator_defaults("jukebox")


def jukebox_infer_modules():
    """The package's ``(hparams, make_models, sample)`` modules."""
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
    if s["levels"] not in ("top", "all"):
        raise ConfigError(f"jukebox: levels is {s['levels']!r}; allowed: top, all")
    for key in ("max_batch_size", "chunk_size"):
        value = s[key]
        if value is not None and (
            not isinstance(value, list | tuple) or len(value) != 3
            or not all(isinstance(v, int) and v >= 1 for v in value)
        ):  # fmt: skip
            raise ConfigError(
                f"jukebox: {key} is {value!r}; give null or 3 positive integers "
                f"(upsampler 0, upsampler 1, top prior)"
            )
    if not 0 < s["prime_seconds"] < s["clip_seconds"]:
        raise ConfigError("jukebox: need 0 < prime_seconds < clip_seconds")
    return s


def is_untrained(cfg: dict) -> bool:
    """True for a randomly initialised Jukebox: tables and figures must say so."""
    return with_defaults("jukebox", cfg)["init"] == "random"
