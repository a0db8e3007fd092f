"""Jukebox weight files: their names and URLs (the package's cache layout), the check that
generation makes, and the download that only the ``fetch_jukebox_weights`` rule makes.

No weights are downloaded during generation: a missing weight file raises
:class:`augeval.errors.CheckpointError` naming the file, where it was looked for, and the
``fetch_jukebox_weights`` rule that downloads it (:func:`fetch_weights`, on a machine with
internet). Weight files are read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd
import torch

from augeval.digest import sha256_file
from augeval.errors import CheckpointError
from augeval.fetch import ChecksumMismatch, fetch_file
from augeval.generators import with_defaults
from augeval.generators.jukebox_config import jukebox_infer_modules

log = logging.getLogger("augeval.generators.jukebox")

FETCH_RULE = "fetch_jukebox_weights"


def weight_files(model: str) -> dict[str, str]:
    """Component name → path relative to the weights dir (the package's cache layout)."""
    hparams, make_models, _ = jukebox_infer_modules()
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
    hparams, _, _ = jukebox_infer_modules()
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


def load_state(path: Path) -> dict:
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
