from pathlib import Path

import pytest
from helpers import REPO

# a test that launches snakemake must be marked workflow or slurm; pytester tests that guard
pytest_plugins = ["snakemake_guard", "pytester"]

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def mtg_sample() -> Path:
    return DATA / "mtg-jamendo" / "autotagging_moodtheme-train-sample.tsv"


@pytest.fixture
def emotion_mapping() -> Path:
    return REPO / "config" / "emotion_mapping.tsv"
