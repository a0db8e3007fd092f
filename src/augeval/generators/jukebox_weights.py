"""Jukebox weight files: their names and URLs (the package's cache layout), the check that
generation makes, and the download that only the ``fetch_jukebox_weights`` rule makes.

No weights are downloaded during generation: a missing weight file raises
:class:`augeval.errors.CheckpointError` naming the file, where it was looked for, and the
``fetch_jukebox_weights`` rule that downloads it (:func:`fetch_weights`, on a machine with
internet). Before a weight file is read, :func:`verify_file` checks its size and structure (a
truncated file fails there) and its sha256 where ``checksums`` gives one; :func:`load_state` then
reads it with ``torch.load(weights_only=True)`` and the allow-list of non-tensor types OpenAI's
files need (:data:`ALLOWED_GLOBALS`). Every failure names the file and says whether re-fetching
helps (a truncated or damaged file) or not (a type outside the allow-list).
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
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


def require_weights(model: str, directory: Path, levels: str = "all") -> dict[str, Path]:
    """Absolute path of each weight file that ``levels`` needs (``top``: the VQ-VAE and the top
    prior; ``all``: every file of ``model``); :class:`CheckpointError` for the first one missing."""
    paths = {}
    files = weight_files(model)
    needed = list(files) if levels == "all" else [next(iter(files)), list(files)[-1]]
    for name in needed:
        rel = files[name]
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


# What OpenAI's files hold beyond what ``torch.load(weights_only=True)`` accepts by default.
# Upstream's ``save_checkpoint`` (openai/jukebox, jukebox/make_models.py) writes
# ``{'hps': {**hps}, 'model': state_dict, 'opt': opt.state_dict() or None, 'step': int,
# **metrics}``: the state dicts (OrderedDict of tensors), the optimiser state (dicts, lists,
# tuples, numbers) and ``step`` load by default. ``hps`` is a dict of hyper-parameters whose
# values may be numpy scalars (upstream computes some with numpy, e.g. ``np.prod`` of the
# strides); a pickled numpy scalar names ``numpy.core.multiarray.scalar`` (numpy 1, the files'
# era) or ``numpy._core.multiarray.scalar`` (numpy 2), ``numpy.dtype`` and the dtype's class
# (``numpy.dtypes.Float64DType``, ...: bool, integer and float ones only). A file written with
# ``hps`` still a ``Hyperparams`` object (a ``dict`` subclass) names
# ``jukebox.hparams.Hyperparams``: that name is mapped to ``dict`` (it loads as a plain dict; no
# upstream code is imported or run).
# Nothing else is allowed.
def _allowed_globals() -> list:
    import numpy as np

    scalar = np._core.multiarray.scalar
    dtype_classes = [type(np.dtype(t)) for t in NUMPY_SCALARS]
    return [
        (scalar, "numpy.core.multiarray.scalar"),
        (scalar, "numpy._core.multiarray.scalar"),
        np.dtype,
        *dtype_classes,
        (dict, "jukebox.hparams.Hyperparams"),
    ]


NUMPY_SCALARS = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "float16", "float32", "float64")  # fmt: skip
ALLOWED_GLOBALS = (
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.dtype",
    "numpy.dtypes.<bool/int/uint/float>DType",
    "jukebox.hparams.Hyperparams (as a plain dict)",
)

# torch's weights-only unpickler refusing a type ("Can only build/create/SETITEMS ... but got").
_TYPE_REFUSED = ("Unsupported global", "unrecognized function", "Can only ", "is blocked")
_REFETCH = f"delete it and re-run `snakemake {FETCH_RULE} --cores 1` (re-fetching helps here)"


def verify_file(path: Path, expected_sha256: str | None = None) -> None:
    """Check a weight file before loading it: not empty; a zip-format file (torch >= 1.6) whose
    central directory is intact and whose members lie inside the file (a truncated download or
    copy fails here); a legacy-format file starting with a pickle; and, when given, its sha256.
    :class:`CheckpointError` names the file and says that re-fetching helps."""
    size = path.stat().st_size if path.is_file() else 0
    if size == 0:
        raise CheckpointError(f"Jukebox weight file {path} is missing or empty; {_REFETCH}")
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"PK":
        try:
            with zipfile.ZipFile(path) as z:
                end = max(i.header_offset + i.compress_size for i in z.infolist())
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise CheckpointError(
                f"Jukebox weight file {path} ({size} bytes) is truncated or corrupt: its zip "
                f"directory is unreadable ({exc}); {_REFETCH}"
            ) from None
        if end > size:
            raise CheckpointError(
                f"Jukebox weight file {path} is truncated: {size} bytes, its records reach "
                f"byte {end}; {_REFETCH}"
            )
    elif head[:1] != b"\x80":
        raise CheckpointError(
            f"Jukebox weight file {path} ({size} bytes) is not a PyTorch checkpoint (it starts "
            f"with {head!r}; an error page saved in its place?); {_REFETCH}"
        )
    if expected_sha256:
        digest = sha256_file(path)
        if digest != expected_sha256:
            raise CheckpointError(
                f"Jukebox weight file {path}: sha256 {digest}, expected {expected_sha256} "
                f"(generators.<name>.checksums): the file is damaged or another version; "
                f"{_REFETCH}, or correct the checksum if the file is the one you meant"
            )


def load_state(path: Path, expected_sha256: str | None = None) -> dict:
    """The ``model`` state dict of one OpenAI-layout weight file (``module.`` prefixes removed),
    after :func:`verify_file`, read with ``torch.load(weights_only=True)`` and exactly the
    non-tensor types of :data:`ALLOWED_GLOBALS`."""
    path = Path(path)
    verify_file(path, expected_sha256)
    try:
        with torch.serialization.safe_globals(_allowed_globals()):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        text = str(exc)
        if any(marker in text for marker in _TYPE_REFUSED):
            refused = _refused_globals(path, text)
            raise CheckpointError(
                f"cannot load Jukebox weight file {path} with weights_only=True: it holds a type "
                f"outside augeval's allow-list for OpenAI's files ({', '.join(ALLOWED_GLOBALS)}); "
                f"refused: {refused}. The file itself is intact (size and structure checked), so "
                f"re-fetching will not help: check that the refused type is plain data and add "
                f"it to augeval.generators.jukebox_weights._allowed_globals"
            ) from exc
        raise CheckpointError(
            f"Jukebox weight file {path} is truncated or corrupt: torch.load failed "
            f"({type(exc).__name__}: {_cause(text)}); {_REFETCH}"
        ) from exc
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise CheckpointError(
            f"Jukebox weight file {path} has no 'model' state dict (keys: "
            f"{sorted(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__}); "
            f"it is not one of OpenAI's files"
        )
    return {k.removeprefix("module."): v for k, v in ckpt["model"].items()}


def _cause(message: str) -> str:
    """The line of a ``torch.load`` error that says what went wrong (torch wraps a weights-only
    failure in paragraphs of advice; the unpickler's own message follows its marker)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    for k, line in enumerate(lines):
        if "WeightsUnpickler error:" in line:
            rest = line.split("WeightsUnpickler error:", 1)[1].strip()
            return (rest or (lines[k + 1] if k + 1 < len(lines) else ""))[:300]
    return lines[0][:300] if lines else "no message"


def _refused_globals(path: Path, message: str) -> str:
    """The globals of ``path`` outside the allow-list (zip format: all of them, listed by torch;
    legacy format: the one named in ``message``)."""
    allowed = {
        g[1] if isinstance(g, tuple) else f"{g.__module__}.{g.__qualname__}"
        for g in _allowed_globals()
    }
    try:
        found = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        names = [g for g in found if g not in allowed]
        if names:
            return ", ".join(names)
    except Exception:  # legacy format (pre-1.6 files): not a zip archive
        pass
    match = re.search(r"GLOBAL (\S+) was not an allowed global", message)
    return match.group(1) if match else _cause(message)


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
