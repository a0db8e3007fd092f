"""Every figure and table meant for people is a report item with a caption that renders."""

import re
from pathlib import Path

import jinja2
from helpers import REPO

RULES = sorted((REPO / "workflow/rules").glob("*.smk"))


def report_items():
    """(rule file, output path, caption path or None) for every ``report(...)`` output."""
    items = []
    for smk in RULES:
        text = smk.read_text()
        for match in re.finditer(r"report\(\s*\"([^\"]+)\"(.*?)\n\s*\),", text, flags=re.DOTALL):
            caption = re.search(r"caption=\"([^\"]+)\"", match.group(2))
            items.append((smk, match.group(1), caption and caption.group(1)))
    return items


def test_every_report_item_has_a_caption_that_renders():
    items = report_items()
    assert len(items) >= 7
    env = jinja2.Environment()
    for smk, path, caption in items:
        assert caption, f"{path} in {smk.name} has no caption"
        file = (smk.parent / caption).resolve()
        assert file.is_file(), f"caption {caption} of {path} is missing"
        text = file.read_text()
        assert len(text.split()) >= 15, f"caption {file.name} is too thin to explain {path}"
        env.parse(text)  # valid Jinja (Snakemake renders captions with it)


def test_every_figure_and_table_is_in_the_report():
    reported = {path for _, path, _ in report_items()}
    outputs = set()
    for smk in RULES:
        found = re.findall(r"\"(results/(?:figures|tables)/[^\"]+)\"", smk.read_text())
        outputs |= {p for p in found if "{wildcards." not in p}  # not inputs built in functions
    assert outputs
    for path in outputs:
        sibling_md = str(Path(path).with_suffix(".md"))
        sibling_pdf = str(Path(path).with_suffix(".pdf"))
        # a figure's numbers (.tsv beside its .pdf) and a table's .tsv beside its .md are data
        assert path in reported or sibling_md in reported or sibling_pdf in reported, path


def test_every_caption_file_is_used():
    used = {Path(c).name for _, _, c in report_items()} | {"workflow.rst"}
    files = {p.name for p in (REPO / "workflow/report").glob("*.rst")}
    assert files == used, files ^ used
