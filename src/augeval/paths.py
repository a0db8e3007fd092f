"""Where the repository's data files live, relative to this package (src layout)."""

import os
from pathlib import Path

from augeval.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO_ROOT / "workflow" / "schemas"


def sample_dir(cfg: dict, labelset: str) -> Path:
    """A ``kind: samples`` generator's folder of clips: its ``dir`` with ``{labelset}`` filled
    in and ``~`` expanded (light to import: the workflow calls it while building the DAG)."""
    if "dir" not in cfg:
        raise ConfigError("a kind: samples generator needs dir: (a folder of audio clips)")
    return Path(os.path.expanduser(str(cfg["dir"]).format(labelset=labelset)))
