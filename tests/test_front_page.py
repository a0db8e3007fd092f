"""The report's front page: Table III's headline, the controls check and the score summary."""

import re
from html.parser import HTMLParser

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from helpers import chromium, needs_chromium

from augeval.errors import DataError
from augeval.front_page import controls_summary, front_page, headline, score_rows

CONTROLS = ["copy", "noise", "oracle"]


def table3(means, p, p_hier=None):
    """Table III's long TSV for pr_auc/macro (and an f1 row that must be ignored)."""
    rows = []
    base = means["baseline"]
    for variant, mean in means.items():
        for metric, thresholds, shift in (("pr_auc", "none", 0.0), ("f1", "test", 0.3)):
            row = {
                "variant": variant,
                "display_name": variant.upper() if variant == "gen_b" else variant,
                "metric": metric,
                "average": "macro",
                "thresholds": thresholds,
                "mean": mean + shift,
                "std": 0.01,
                "n_trials": 3,
                "ci_low": mean - 0.02,
                "ci_high": mean + 0.02,
                "rel_change": np.nan if variant == "baseline" else (mean - base) / base,
                "p_bootstrap": p.get(variant, np.nan),
                "p_trials": 0.5,
            }
            if p_hier is not None:
                row["p_hier"] = p_hier.get(variant, np.nan)
            rows.append(row)
    return pd.DataFrame(rows)


MEANS = {"baseline": 0.40, "oracle": 0.55, "copy": 0.41, "gen_a": 0.42, "gen_b": 0.44}


def test_headline_is_the_best_generator_not_a_control():
    h = headline(table3(MEANS, {"gen_b": 0.01, "gen_a": 0.3}), "pr_auc_macro", CONTROLS)
    assert h["best"]["variant"] == "gen_b"  # the oracle scores higher but is a control
    assert h["baseline"]["mean"] == pytest.approx(0.40)
    assert list(h["rows"]["variant"]) == ["oracle", "gen_b", "gen_a", "copy", "baseline"]
    assert h["p_column"] == "p_bootstrap" and "not trial-aware" in h["p_test"]
    assert "GEN_B" in h["verdict"] and "significant gain" in h["verdict"]
    assert f"{(0.44 - 0.40) / 0.40:+.1%}" in h["verdict"]


def test_headline_uses_the_trial_aware_p_when_table3_has_it():
    t = table3(MEANS, {"gen_b": 0.01}, p_hier={"gen_b": 0.2})
    h = headline(t, "pr_auc_macro", CONTROLS)
    assert h["p_column"] == "p_hier" and "trials" in h["p_test"]
    assert "not significantly different" in h["verdict"] and "0.200" in h["verdict"]
    worse = dict(MEANS, gen_a=0.30, gen_b=0.35)
    h = headline(table3(worse, {"gen_b": 0.001}), "pr_auc_macro", CONTROLS)
    assert "significantly worse" in h["verdict"]


def test_headline_with_only_controls_and_bad_metric():
    only = {k: v for k, v in MEANS.items() if not k.startswith("gen")}
    assert headline(table3(only, {}), "pr_auc_macro", CONTROLS)["best"] is None
    with pytest.raises(DataError, match="headline_metric"):
        headline(table3(MEANS, {}), "accuracy", CONTROLS)
    with pytest.raises(DataError, match="roc_auc_macro"):
        headline(table3(MEANS, {}), "roc_auc_macro", CONTROLS)  # no such rows in the TSV


def check(verdicts):
    return pd.DataFrame(
        {
            "expectation": [f"e{i}" for i in range(len(verdicts))],
            "control": "noise",
            "metric": "roc_auc_macro",
            "control_mean": 0.5,
            "baseline_mean": 0.6,
            "diff": -0.1,
            "p_hier": 0.01,
            "verdict": verdicts,
        }
    )


def test_controls_summary_says_fail_plainly():
    assert controls_summary(None) == "Controls check: not computed."
    assert "all 3 expectations pass" in controls_summary(check(["pass"] * 3))
    assert "FAILED: 1 of 3" in controls_summary(check(["pass", "fail", "underpowered"]))
    assert "1 underpowered" in controls_summary(check(["pass", "pass", "underpowered"]))


def summary(generator, recog):
    return pd.DataFrame(
        {
            "generator": generator,
            "role": ["scored", "scored", "anchor"],
            "class": ["calm", "all", "all"],
            "recognisability": [0.9, recog, 0.1],
            "recognisability_lo": [0.8, recog - 0.1, 0.0],
            "recognisability_hi": [1.0, recog + 0.1, 0.2],
            "confidence": 0.7,
            "fd": 0.3,
            "fd_floor": 0.1,
            "kad": 0.02,
            "kad_floor": 0.0,
        }
    )


def clips(flags):
    return pd.DataFrame({"near_copy": flags, "silent": [False] * len(flags), "clipping": False})


def test_score_rows_take_the_scored_all_row_and_count_flags():
    rows = score_rows(
        {"gen_a": summary("gen_a", 0.5), "gen_b": summary("gen_b", 0.25)},
        {"gen_a": clips([True, False, True]), "gen_b": clips([False])},
    )
    assert list(rows["recognisability"]) == [0.5, 0.25]
    assert list(rows["near_copies"]) == [2, 0] and list(rows["n_clips"]) == [3, 1]
    assert list(rows["clips_scored"]) == ["main run"] * 2  # a table without the columns
    assert list(rows["n_provided"]) == [3, 1]


def test_score_rows_say_how_many_clips_were_scored_from_how_many_provided():
    mine = summary("mine", 0.5).assign(n_provided=[2, 2, 9], clips_scored="all provided")
    rows = score_rows({"mine": mine}, {"mine": clips([False] * 3)})
    assert rows[["n_clips", "n_provided", "clips_scored"]].values.tolist() == [
        [3, 2, "all provided"]]  # fmt: skip
    from augeval.front_page import _score_html

    parser = Cells()
    parser.feed(_score_html(rows, {}))
    assert "3 (all provided, 2 files)" in parser.cells


class Cells(HTMLParser):
    """Text of every table cell and every verdict paragraph."""

    def __init__(self):
        super().__init__()
        self.cells, self.verdicts, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "td" or (tag == "p" and "verdict" in (dict(attrs).get("class") or "")):
            self._in = tag
            (self.cells if tag == "td" else self.verdicts).append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            (self.cells if self._in == "td" else self.verdicts)[-1] += data


@pytest.fixture
def page():
    scores = score_rows({"gen_a": summary("gen_a", 0.5)}, {"gen_a": clips([True, False])})
    return front_page(
        labelsets=["mood", "emotion"],
        table3={
            "mood": table3(MEANS, {"gen_b": 0.01}, p_hier={"gen_b": 0.03}),
            "emotion": table3(MEANS, {"gen_b": 0.4}),
        },
        controls_check={"mood": check(["pass", "fail"]), "emotion": None},
        scores={"mood": scores, "emotion": scores},
        metric="pr_auc_macro",
        controls=CONTROLS,
        display_names={"gen_b": "Gen B"},
        trials=3,
    )


def test_front_page_holds_each_label_sets_verdict(page):
    parsed = Cells()
    parsed.feed(page)
    assert len(parsed.verdicts) == 4  # headline + controls, per label set
    assert "significant gain (p_hier = 0.030" in parsed.verdicts[0]
    assert parsed.verdicts[1].startswith("Controls check FAILED: 1 of 2")
    assert "not significantly different" in parsed.verdicts[2]
    assert parsed.verdicts[3] == "Controls check: not computed."
    assert "0.5000 [0.4000, 0.6000]" not in parsed.cells  # recognisability is 3 decimals
    assert "0.500 [0.400, 0.600]" in parsed.cells
    assert "2 / 0 / 0" not in parsed.cells and "1 / 0 / 0" in parsed.cells


@needs_chromium
def test_front_page_renders_in_chromium(page, tmp_path):
    file = tmp_path / "front_page.html"
    file.write_text(page)
    dom = chromium("--dump-dom", file.as_uri())
    assert dom.count("<table>") == 2 * 3 - 1  # emotion has no controls table
    shot = tmp_path / "front_page.png"
    chromium(f"--screenshot={shot}", "--window-size=1000,900", file.as_uri())
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert (pixels < 0.9).any(axis=2).mean() > 0.03  # text and tables, not a blank page


WIDTH_PROBE = """<script>
addEventListener('load', () => {
  const page = document.documentElement.clientWidth;
  const tables = [...document.querySelectorAll('table')];
  const out = tables.filter(t => t.parentElement.getBoundingClientRect().right > page + 0.5);
  const scrolled = tables.filter(t => t.parentElement.scrollWidth > t.parentElement.clientWidth);
  document.body.setAttribute('data-width', [document.documentElement.scrollWidth, page,
    out.length, scrolled.length].join('/'));
});
</script>"""


def page_width(file, window: str) -> tuple[int, ...]:
    """In Chromium: document scrollWidth, viewport width, tables whose box reaches past the
    viewport, tables that scroll sideways inside their box."""
    dom = chromium(f"--window-size={window}", "--virtual-time-budget=3000", "--dump-dom",
                   file.as_uri())  # fmt: skip
    found = re.search(r'data-width="(\d+)/(\d+)/(\d+)/(\d+)"', dom)
    assert found, "the width probe never reported"
    return tuple(int(g) for g in found.groups())


@needs_chromium
@pytest.mark.parametrize("window", ["1280,2000", "800,1000"])
def test_no_table_is_wider_than_the_page(tmp_path, window):
    """The demo's controls check, all 13 columns with its real reason text, and a long variant
    name: at 1280 px every table fits (text cells and column names wrap); at 800 px a table may
    scroll sideways inside its box, but no box reaches past the viewport and the page does not
    scroll sideways."""
    wide = check(["underpowered"] * 6).assign(
        kind="noise",
        diff_ci_low=-0.2082,
        diff_ci_high=0.0356,
        n_trials=2,
        reason="2 trial(s) < tables.min_trials = 3",
    )
    names = {"gen_b": "a_generator_with_a_very_long_checkpoint_name_step_000123456_ema_0.9999"}
    scores = score_rows({"gen_b": summary("gen_b", 0.5)}, {"gen_b": clips([True, False])})
    html_page = front_page(
        labelsets=["mood"],
        table3={"mood": table3(MEANS, {"gen_b": 0.01}, p_hier={"gen_b": 0.03})},
        controls_check={"mood": wide},
        scores={"mood": scores},
        metric="pr_auc_macro",
        controls=CONTROLS,
        display_names=names,
        trials=2,
    )
    file = tmp_path / "front_page.html"
    file.write_text(html_page.replace("</body>", WIDTH_PROBE + "</body>"))
    scroll, viewport, out, scrolled = page_width(file, window)
    assert out == 0 and scroll <= viewport, (scroll, viewport, out)
    if window.startswith("1280"):
        assert scrolled == 0
