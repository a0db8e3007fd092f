"""A listening gallery: per label set and class, a few clips of every generator beside real ones.

One self-contained HTML page per class (:func:`class_page`): a row of real clips of the class
(seeded at random from the score view's reference splits, with the baseline's trial-mean score
for the class), then per generator its ``n`` most and ``n`` least recognisable clips of the class
(:func:`pick_clips`: by the baseline's score for the drawn class, from the score view's
``clips.tsv``; ties broken by a seeded shuffle). Each clip has an audio player (an excerpt of its
first seconds, re-encoded small and embedded as a ``data:`` URI), its mel-spectrogram as the
classifier sees it (a PNG, embedded), and its scores.

A page per class, not per label set: Snakemake's single-file report shows an HTML item in an
iframe whose source is a ``data:`` URL, and Chromium loads no such URL over 2 MB
(:data:`IFRAME_LIMIT`); one class of a few generators stays well under it, a label set does not.
Settings (``report.gallery.*``) and their defaults are documented in the config schema.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import soundfile as sf

from augeval.audio import read_audio, resample
from augeval.errors import DataError
from augeval.seeding import derive_seed

log = logging.getLogger("augeval.gallery")

IFRAME_LIMIT = 2 * 1024 * 1024  # Chromium's largest data: URL, hence report item
PICKS = ("most", "least")
_AUDIO = {"mp3": ("MP3", "MPEG_LAYER_III", "audio/mpeg"), "wav": ("WAV", "PCM_16", "audio/wav")}
CLIP_NEEDS = ["track_id", "path", "drawn_class", "drawn_score"]


# ------------------------------------------------------------------------------ selection


def pick_clips(clips: pd.DataFrame, label: str, n: int, seed: int) -> pd.DataFrame:
    """The ``n`` most and ``n`` least recognisable clips drawn for ``label``.

    Recognisable = the baseline's trial-mean score for the drawn class (``drawn_score``). Rows
    are shuffled with ``seed`` before a stable sort, so ties are broken by the seed, not by file
    order. Returns the chosen rows with a ``pick`` column (``most`` / ``least``), most first by
    descending score, then least by ascending score; a class with fewer than ``2 n`` clips gives
    each clip once (the better half as ``most``).
    """
    missing = [c for c in CLIP_NEEDS if c not in clips.columns]
    if missing:
        raise DataError(f"clip table lacks column(s) {missing}; it is a score view clips.tsv")
    rows = clips[clips["drawn_class"] == label]
    order = np.random.default_rng(seed).permutation(len(rows))
    rows = rows.iloc[order]
    ranked = rows.sort_values("drawn_score", ascending=False, kind="stable")
    k = min(n, len(ranked) // 2 + len(ranked) % 2)
    most = ranked.iloc[:k].assign(pick="most")
    rest = ranked.iloc[k:]
    least = rest.iloc[::-1].iloc[: min(n, len(rest))].assign(pick="least")
    return pd.concat([most, least])


def pick_real(
    manifest: pd.DataFrame, scores: np.ndarray, classes: Sequence[str], label: str, n: int, seed
) -> pd.DataFrame:
    """``n`` real clips carrying ``label``, drawn at random with ``seed``, with ``class_score``
    (``scores``: the baseline's trial-mean scores, ``(n_tracks, n_classes)`` in manifest order)."""
    j = list(classes).index(label)
    has = manifest["labels"].str.split(";").map(lambda labels: label in labels).to_numpy()
    index = np.flatnonzero(has)
    chosen = np.sort(np.random.default_rng(seed).permutation(index)[:n])
    out = manifest.iloc[chosen].copy()
    out["class_score"] = scores[chosen, j]
    out["predicted_class"] = [classes[k] for k in scores[chosen].argmax(axis=1)]
    return out


# ------------------------------------------------------------------------------ media


def audio_uri(audio: np.ndarray, sample_rate: int, fmt: str) -> str:
    """``audio`` encoded as ``fmt`` (mp3, wav), peak-limited to full scale, as a data: URI."""
    container, subtype, mime = _AUDIO[fmt]
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1.0, 1.0), sample_rate, format=container, subtype=subtype)
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode()}"


def mel_uri(mel: np.ndarray, width_px: int = 240, height_px: int = 72, colours: int = 32) -> str:
    """A dB mel-spectrogram ``(n_mels, frames)`` as a small PNG data: URI: low bands at the
    bottom, magma colours from 60 dB below the clip's peak (black) to the peak, resized to
    ``width_px`` × ``height_px`` and reduced to ``colours`` colours (~10 kB for noise, the worst
    case). Pillow is matplotlib's own image library."""
    import matplotlib
    from PIL import Image

    top = float(np.max(mel)) if mel.size else 0.0
    level = np.clip((mel - (top - 60.0)) / 60.0, 0.0, 1.0)[::-1]
    rgb = (matplotlib.colormaps["magma"](level)[..., :3] * 255).astype(np.uint8)
    image = Image.fromarray(rgb).resize((width_px, height_px), Image.BILINEAR).quantize(colours)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return f"data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}"


@dataclass
class Media:
    audio: str  # data: URI
    mel: str  # data: URI
    seconds: float


def clip_media(path: str | os.PathLike, settings: dict, mel_extractor) -> Media:
    """The excerpt (``settings``: ``seconds``, ``sample_rate``, ``format``) and its mel image
    (``mel_extractor``: :class:`augeval.features.MelExtractor`, the classifier's mel)."""
    mel_sr = mel_extractor.params.sample_rate
    audio = read_audio(path, mel_sr, max_seconds=settings["seconds"])
    mel = mel_extractor(audio)
    out = resample(audio, mel_sr, settings["sample_rate"])
    return Media(
        audio_uri(out, settings["sample_rate"], settings["format"]),
        mel_uri(mel),
        len(audio) / mel_sr,
    )


# ------------------------------------------------------------------------------ the page


@dataclass
class Card:
    title: str
    facts: list[tuple[str, str]]
    media: Media
    flag: str = ""  # a warning shown in red (near copy, silent, clipping)


def generated_card(row: pd.Series, media: Media, n_trials: int) -> Card:
    facts = [
        ("score for the class", f"{row['drawn_score']:.3f}"),
        ("predicted", str(row.get("predicted_class", "?"))),
    ]
    if "trials_recognised" in row:
        k = int(round(float(row["trials_recognised"]) * n_trials))
        facts.append(("recognised in", f"{k}/{n_trials} trials"))
    if "centroid_distance" in row:
        facts.append(
            ("to class centroid", f"{row['centroid_distance']:.2f} (rank {row['outlier_rank']})")
        )
    if "nearest_train_distance" in row:
        facts.append(("nearest train clip", f"{row['nearest_train_distance']:.2f}"))
    if "near_copy_ratio" in row:  # 0: a copy; ~1: as far as train tracks are from each other
        facts.append(("near-copy ratio", f"{row['near_copy_ratio']:.2f}"))
    flags = [name for name in ("near_copy", "silent", "clipping") if _true(row.get(name))]
    title = f"{row['pick']} recognisable · {row['track_id']}"
    return Card(title, facts, media, ", ".join(f.replace("_", " ") for f in flags))


def real_card(row: pd.Series, media: Media) -> Card:
    return Card(
        f"real · {row['track_id']}",
        [
            ("score for the class", f"{row['class_score']:.3f}"),
            ("predicted", str(row["predicted_class"])),
            ("labels", str(row["labels"]).replace(";", ", ")),
        ],
        media,
    )


def class_page(
    *,
    labelset: str,
    label: str,
    rows: list[tuple[str, list[Card]]],
    note: str,
) -> str:
    """The HTML page of one class: ``rows`` = ``(row name, cards)``, real first."""
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>augeval gallery · {e(labelset)} · {e(label)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(label)} <small>({e(labelset)})</small></h1>",
        f"<p class='note'>{e(note)}</p><div class='rows'>",
    ]
    for name, cards in rows:
        parts.append(f"<section><h2>{e(name)}</h2><div class='row'>")
        if not cards:
            parts.append("<p class='note'>no clip of this class</p>")
        for card in cards:
            facts = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in card.facts)
            flag = f"<p class='flag'>{e(card.flag)}</p>" if card.flag else ""
            parts.append(
                "<figure class='clip'>"
                f"<figcaption>{e(card.title)}</figcaption>"
                f"<audio controls preload='metadata' src='{card.media.audio}'></audio>"
                f"<img alt='mel-spectrogram of {e(card.title)}' src='{card.media.mel}'>"
                f"<dl>{facts}</dl>{flag}</figure>"
            )
        parts.append("</div></section>")
    parts.append("</div></body></html>")
    return "".join(parts)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:1em;color:#222;background:#fff}"
    "h1 small{font-weight:normal;color:#666}h2{font-size:1.05em;margin:1em 0 .3em}"
    ".note{color:#555;font-size:.85em;max-width:60em}"
    ".rows{display:flex;flex-wrap:wrap;gap:0 2em}.row{display:flex;flex-wrap:wrap;gap:.8em}"
    ".clip{margin:0;padding:.5em;border:1px solid #ddd;border-radius:6px;width:250px}"
    ".clip figcaption{font-size:.8em;font-weight:600;margin-bottom:.3em;overflow-wrap:anywhere}"
    ".clip audio{width:100%;height:32px}.clip img{display:block;width:240px;height:72px}"
    "dl{display:grid;grid-template-columns:auto auto;gap:0 .6em;font-size:.75em;margin:.3em 0}"
    "dt{color:#666}dd{margin:0}.flag{color:#b00;font-size:.8em;font-weight:600;margin:0}"
)


def build_class_page(
    *,
    labelset: str,
    label: str,
    classes: Sequence[str],
    generators: dict[str, pd.DataFrame],
    display_names: dict[str, str],
    real: pd.DataFrame,
    real_scores: np.ndarray,
    settings: dict,
    features: dict,
    n_trials: int,
    seed: int,
) -> str:
    """The page of ``label``: ``generators`` maps each generator to its ``clips.tsv`` frame,
    ``real`` is the reference manifest with ``real_scores`` (trial-mean baseline scores);
    ``seed`` (the page's) seeds each generator's tie-breaks and the real draw apart."""
    from augeval.features import MelExtractor, MelParams

    if label not in classes:
        raise DataError(f"gallery: class {label!r} is not one of {list(classes)}")
    extractor = MelExtractor(MelParams.from_config(features))
    rows = []
    chosen = pick_real(
        real, real_scores, classes, label, settings["real_clips"], derive_seed(seed, "real")
    )
    rows.append(
        (
            "real clips of the class",
            [
                real_card(r, clip_media(r["path"], settings, extractor))
                for _, r in chosen.iterrows()
            ],
        )
    )
    for generator, clips in generators.items():  # each its own seed: order does not matter
        picks = pick_clips(clips, label, settings["clips"], derive_seed(seed, generator))
        cards = [
            generated_card(r, clip_media(r["path"], settings, extractor), n_trials)
            for _, r in picks.iterrows()
        ]
        rows.append((display_names.get(generator, generator), cards))
    note = (
        f"Each clip: its first {settings['seconds']:g} s at {settings['sample_rate']} Hz "
        f"({settings['format']}), its mel-spectrogram as the classifier reads it, and the "
        f"baseline classifiers' verdict (mean over {n_trials} trial(s)). Generators: the "
        f"{settings['clips']} most and least recognisable clips drawn for the class (score for "
        "the class, from the score view's clips.tsv). Real: clips of the class drawn at random "
        "from the score view's reference splits. Distances are in units of the real clips' "
        "total standard deviation."
    )
    page = class_page(labelset=labelset, label=label, rows=rows, note=note)
    size = len(page.encode())
    log.info("%s/%s: %d rows, %.2f MB", labelset, label, len(rows), size / 1e6)
    if size > IFRAME_LIMIT:
        log.warning(
            "%s/%s: the page is %.1f MB; Chromium shows no report item over 2 MB inside an "
            ".html report (open the file directly, use --report results/report.zip, or lower "
            "report.gallery.clips / seconds / sample_rate)",
            labelset,
            label,
            size / 1e6,
        )
    return page


def _true(value) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes"}
