"""The listening gallery: seeded picks, and a page whose players and images load in Chromium."""

import base64
import re

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from helpers import chromium, needs_chromium

from augeval.audio import write_audio
from augeval.gallery import IFRAME_LIMIT, build_class_page, pick_clips, pick_real

CLASSES = ["calm", "happy"]
FEATURES = {"sample_rate": 12000, "n_fft": 512, "hop_length": 256, "n_mels": 48, "f_max": 6000}
SETTINGS = {"clips": 1, "real_clips": 2, "seconds": 1.5, "sample_rate": 16000, "format": "mp3"}


def clip_frame(scores, drawn="calm"):
    n = len(scores)
    return pd.DataFrame(
        {
            "track_id": [f"c{i}" for i in range(n)],
            "path": [f"c{i}.wav" for i in range(n)],
            "drawn_class": [drawn] * n,
            "drawn_score": scores,
        }
    )


def test_pick_clips_takes_the_extremes_of_the_drawn_class_score():
    scores = [0.3, 0.9, 0.1, 0.5, 0.7, 0.2]
    clips = pd.concat([clip_frame(scores), clip_frame([0.99, 0.0], drawn="happy")])
    picks = pick_clips(clips, "calm", 2, seed=0)
    order = sorted(range(len(scores)), key=lambda i: scores[i])  # independent ranking
    assert list(picks.loc[picks["pick"] == "most", "track_id"]) == [
        f"c{order[-1]}",
        f"c{order[-2]}",
    ]
    assert list(picks.loc[picks["pick"] == "least", "track_id"]) == [f"c{order[0]}", f"c{order[1]}"]
    assert set(picks["drawn_class"]) == {"calm"}  # the happy clips are not candidates


def test_pick_clips_breaks_ties_by_the_seed_and_never_repeats_a_clip():
    clips = clip_frame([0.5] * 8)
    chosen = {tuple(pick_clips(clips, "calm", 1, seed=s)["track_id"]) for s in range(20)}
    assert len(chosen) > 1  # ties are not broken by file order
    assert pick_clips(clips, "calm", 1, seed=3).equals(pick_clips(clips, "calm", 1, seed=3))
    few = pick_clips(clip_frame([0.2, 0.8, 0.4]), "calm", 2, seed=0)
    assert sorted(few["track_id"]) == ["c0", "c1", "c2"]  # 3 clips for 2 + 2 picks: each once
    assert list(few["pick"]) == ["most", "most", "least"]
    assert pick_clips(clips, "happy", 1, seed=0).empty


def test_pick_real_draws_clips_of_the_class_with_their_score():
    manifest = pd.DataFrame(
        {
            "track_id": list("abcde"),
            "path": list("abcde"),
            "labels": ["calm", "happy", "calm;happy", "happy", "calm"],
        }
    )
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4]])
    real = pick_real(manifest, scores, CLASSES, "calm", 2, seed=1)
    assert len(real) == 2 and set(real["track_id"]) <= {"a", "c", "e"}
    for _, r in real.iterrows():
        i = "abcde".index(r["track_id"])
        assert r["class_score"] == scores[i, 0]
        assert r["predicted_class"] == CLASSES[int(np.argmax(scores[i]))]
    assert len(pick_real(manifest, scores, CLASSES, "calm", 10, seed=1)) == 3


# ------------------------------------------------------------------------------ the page


def tone(path, freq, seconds=2.0, sr=16000, level=0.4):
    """A decaying tone over noise (broadband, so its mel image is not black)."""
    t = np.arange(int(seconds * sr)) / sr
    noise = np.random.default_rng(int(freq)).normal(0, 0.05, len(t))
    write_audio(
        path, level * np.sin(2 * np.pi * freq * t) * np.linspace(1, 0.2, len(t)) + noise, sr
    )
    return str(path)


@pytest.fixture
def page(tmp_path):
    """A gallery page of class calm: two generators and real clips, all real audio files."""
    generators = {}
    for g, base in (("gen_a", 220.0), ("gen_b", 440.0)):
        rows = []
        for i, score in enumerate([0.9, 0.2, 0.6, 0.05]):
            rows.append(
                {
                    "track_id": f"{g}-{i}",
                    "path": tone(tmp_path / f"{g}-{i}.wav", base * (1 + i / 4)),
                    "drawn_class": CLASSES[i % 2],
                    "labels": CLASSES[i % 2],
                    "predicted_class": "calm",
                    "recognised": i % 2 == 0,
                    "trials_recognised": 0.5,
                    "drawn_score": score,
                    "top_score": 0.9,
                    "centroid_distance": 1.2,
                    "outlier_rank": 1,
                    "nearest_train_distance": 0.8,
                    "near_copy_ratio": 0.05 if i == 0 else 0.9,
                    "near_copy": i == 0,
                    "silent": False,
                    "clipping": False,
                }
            )
        generators[g] = pd.DataFrame(rows)
    real = pd.DataFrame(
        {
            "track_id": [f"r{i}" for i in range(4)],
            "path": [tone(tmp_path / f"r{i}.wav", 300.0 + 50 * i, 3.0) for i in range(4)],
            "labels": ["calm", "happy", "calm;happy", "calm"],
        }
    )
    scores = np.array([[0.7, 0.3], [0.1, 0.9], [0.5, 0.5], [0.8, 0.2]])
    text = build_class_page(
        labelset="mood",
        label="calm",
        classes=CLASSES,
        generators=generators,
        display_names={"gen_b": "Generator B"},
        real=real,
        real_scores=scores,
        settings=SETTINGS,
        features=FEATURES,
        n_trials=2,
        seed=5,
    )
    return text


def test_page_has_one_player_and_image_per_picked_clip(page):
    # real: 2 clips of calm; each generator: its 2 calm clips (1 most + 1 least)
    assert page.count("<audio") == 2 + 2 * 2
    assert page.count("data:image/png;base64,") == 6
    assert "Generator B" in page and "gen_a" in page
    assert "near copy" in page  # gen_a-0 / gen_b-0 carry the flag
    assert "gen_a-1" not in page  # a happy clip is not on the calm page
    for uri in re.findall(r"data:audio/mpeg;base64,([A-Za-z0-9+/=]+)", page):
        data = base64.b64decode(uri)
        assert data[:3] == b"ID3" or data[0] == 0xFF, "not an MP3 stream"
    assert len(page.encode()) < IFRAME_LIMIT / 10


PROBE = """<script>
(function () {
  const audios = [...document.querySelectorAll('audio')], imgs = [...document.images];
  let left = audios.length;
  function report() {
    const ok = audios.filter(a => a.readyState >= 1 && isFinite(a.duration) && a.duration > 0);
    const text = ok.length + '/' + audios.length + ';' +
      ok.map(a => a.duration.toFixed(2)).join(',') + ';' +
      imgs.filter(i => i.naturalWidth > 0).length + '/' + imgs.length;
    document.body.setAttribute('data-probe', text);
    if (window.parent !== window) window.parent.postMessage(text, '*');
  }
  audios.forEach(a => {
    const done = () => { if (--left === 0) report(); };
    if (a.readyState >= 1) done();
    else { a.addEventListener('loadedmetadata', done); a.addEventListener('error', done); }
  });
  if (!audios.length) report();
})();
</script>"""


def probe(text):
    found = re.search(r'data-probe="(\d+)/(\d+);([^;"]*);(\d+)/(\d+)"', text)
    assert found, "the probe script never reported (audio elements neither loaded nor failed)"
    loaded, total, durations, images, n_images = found.groups()
    return (
        int(loaded),
        int(total),
        [float(d) for d in durations.split(",") if d],
        int(images),
        int(n_images),
    )


@needs_chromium
def test_every_player_decodes_and_every_image_loads_in_chromium(page, tmp_path):
    file = tmp_path / "calm.html"
    file.write_text(page.replace("</body>", PROBE + "</body>"))
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", file.as_uri())
    loaded, total, durations, images, n_images = probe(dom)
    assert (loaded, total) == (6, 6), dom[-500:]
    assert (images, n_images) == (6, 6)
    # each excerpt is the first SETTINGS["seconds"] s (MP3 frames pad by a few ms)
    assert all(abs(d - SETTINGS["seconds"]) < 0.15 for d in durations), durations


@needs_chromium
def test_page_loads_inside_a_data_url_iframe_as_in_snakemakes_report(page, tmp_path):
    """Snakemake's single-file report shows an HTML item in an iframe whose src is its data:
    URL; the players must load there too."""
    inner = base64.b64encode(page.replace("</body>", PROBE + "</body>").encode()).decode()
    outer = tmp_path / "report.html"
    outer.write_text(
        "<html><body><div id='result' data-probe='pending'></div>"
        f"<iframe src='data:text/html;charset=utf8;base64,{inner}'></iframe><script>"
        "addEventListener('message', e => document.getElementById('result')"
        ".setAttribute('data-probe', e.data));</script></body></html>"
    )
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", outer.as_uri())
    loaded, total, _, images, n_images = probe(dom)
    assert (loaded, total, images, n_images) == (6, 6, 6, 6)


@needs_chromium
def test_screenshot_of_the_page_is_not_blank(page, tmp_path):
    file = tmp_path / "calm.html"
    file.write_text(page)
    shot = tmp_path / "calm.png"
    chromium(
        f"--screenshot={shot}",
        "--window-size=1100,800",
        "--virtual-time-budget=5000",
        file.as_uri(),
    )
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (800, 1100)
    not_white = (pixels < 0.9).any(axis=2)
    assert not_white.mean() > 0.05  # text, players and mel images, not an empty page
    # the mel images are colour (magma), not only black text on white
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    assert (saturation > 0.3).mean() > 0.01


WIDTH_PROBE = """<script>
addEventListener('load', () => document.body.setAttribute('data-width',
  document.documentElement.scrollWidth + '/' + document.documentElement.clientWidth));
</script>"""


@needs_chromium
def test_page_does_not_scroll_sideways_in_a_narrow_window(page, tmp_path):
    file = tmp_path / "calm.html"
    file.write_text(page.replace("</body>", WIDTH_PROBE + "</body>"))
    dom = chromium("--window-size=700,900", "--virtual-time-budget=3000", "--dump-dom",
                   file.as_uri())  # fmt: skip
    found = re.search(r'data-width="(\d+)/(\d+)"', dom)
    assert found, "the width probe never reported"
    scroll, viewport = map(int, found.groups())
    assert scroll <= viewport, (scroll, viewport)
    assert "near-copy ratio" in page
