"""A folder of clips made "elsewhere", for the demo's ``kind: samples`` generator.

The demo has no outside generator, so :func:`make_demo_samples` stands in for one: it renders
fresh music of each class with the demo synthesiser (new artists, not in the corpus) into one
sub-folder per class — the layout a ``kind: samples`` generator reads. The clips are written at
their own sample rate and format (by default 8 kHz FLAC: a band-limited generator), so the
samples generator's decoding and resampling run too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from augeval.errors import ConfigError
from augeval.synth import DEMO_TAG_PROFILES, synthesise_clip

# Synthesiser numbers (fresh artists) above any the oracle control uses for its clips.
NUMBER_BASE = 1_000_000
FORMATS = {"wav": "PCM_16", "flac": "PCM_16"}


def make_demo_samples(
    out_dir: str | os.PathLike,
    class_tags: dict[str, list[str]],
    *,
    clips_per_class: int,
    seconds: float,
    sample_rate: int,
    seed: int,
    audio_format: str = "flac",
) -> dict[str, list[Path]]:
    """Write ``clips_per_class`` clips of ``seconds`` per class to ``out_dir/<class>/``.

    Each clip takes one of its class's synthesisable tags (seeded). ``out_dir`` appears whole or
    not at all: the clips go to a temporary sibling folder that is renamed at the end.
    """
    if audio_format not in FORMATS:
        raise ConfigError(f"demo samples: format {audio_format!r} is not one of {list(FORMATS)}")
    if clips_per_class < 1 or seconds <= 0:
        raise ConfigError("demo samples: clips_per_class must be >= 1 and seconds > 0")
    usable = {c: [t for t in tags if t in DEMO_TAG_PROFILES] for c, tags in class_tags.items()}
    missing = [c for c, tags in usable.items() if not tags]
    if missing:
        raise ConfigError(
            f"demo samples: no demo-synthesisable tag for class(es) {missing}; the demo "
            f"synthesiser knows {sorted(DEMO_TAG_PROFILES)}"
        )
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    written: dict[str, list[Path]] = {}
    try:
        for i, (cls, tags) in enumerate(usable.items()):
            (work / cls).mkdir()
            rng = np.random.default_rng([seed, i])
            for k in range(clips_per_class):
                tag = str(rng.choice(tags))
                y = synthesise_clip(
                    [tag], seconds, sample_rate=sample_rate, seed=int(rng.integers(2**31)),
                    number=NUMBER_BASE + i * clips_per_class + k,
                )  # fmt: skip
                name = f"{cls}_{k:03d}_{tag}.{audio_format}"
                sf.write(work / cls / name, np.clip(y, -1, 1), sample_rate, FORMATS[audio_format])
                written.setdefault(cls, []).append(target / cls / name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work)
    return written
