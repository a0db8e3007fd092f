"""A pytest plugin: a test that launches snakemake must be marked ``workflow`` or ``slurm``.

So that ``pytest -m "not workflow and not slurm"`` stays a fast unit subset. A Python audit hook
sees every process the test session starts (``subprocess``, ``os.system``, ``os.exec*``,
``os.posix_spawn``); one that runs snakemake (``python -m snakemake``, a ``snakemake`` executable,
or a shell command line with either) while an unmarked test is being set up, run or torn down is
refused with :class:`UnmarkedSnakemakeError`, and the test fails even if it caught that error.
Loaded by ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import re
import shlex
import sys

import pytest

MARKERS = ("workflow", "slurm")
SHELLS = {"sh", "bash", "dash", "zsh"}
_SHELL_SNAKEMAKE = re.compile(r"(?:^|[\s;&|(/])snakemake(?:\s|$)|-m\s+snakemake(?:\s|$)")

_items: list = []  # the test being run (a stack: pytester runs sessions within a session)
_violations = pytest.StashKey[list]()
_reported = pytest.StashKey[bool]()
_installed = False


class UnmarkedSnakemakeError(RuntimeError):
    """A test launched snakemake without the ``workflow`` or ``slurm`` marker."""


def launches_snakemake(argv) -> bool:
    """Whether the command line ``argv`` (a list, or one string: a shell line) runs snakemake."""
    if isinstance(argv, (str, bytes, os.PathLike)):
        argv = [argv]
    argv = [os.fsdecode(a) for a in argv]
    if not argv:
        return False
    if len(argv) == 1 and " " in argv[0]:  # one shell command line
        return bool(_SHELL_SNAKEMAKE.search(argv[0]))
    if os.path.basename(argv[0]) == "snakemake":
        return True
    if any(a == "-m" and b == "snakemake" for a, b in zip(argv, argv[1:], strict=False)):
        return True
    if os.path.basename(argv[0]) in SHELLS and "-c" in argv[1:-1]:
        return bool(_SHELL_SNAKEMAKE.search(argv[argv.index("-c") + 1]))
    return False


# audit events that start a program -> where its command line is in the event's arguments
EVENTS = {
    "subprocess.Popen": 1,  # (executable, args, cwd, env)
    "os.system": 0,  # (command,)
    "os.exec": 1,  # (path, args, env)
    "os.posix_spawn": 1,  # (path, argv, env)
}


def _audit(event: str, args: tuple) -> None:
    if event not in EVENTS or not _items:
        return
    item = _items[-1]
    argv = args[EVENTS[event]]
    if not launches_snakemake(argv) or marked(item):
        return
    shown = argv if isinstance(argv, (str, bytes)) else shlex.join(map(os.fsdecode, argv))
    message = (
        f"{item.nodeid} launches snakemake ({shown[:200]}) but is not marked "
        f"@pytest.mark.workflow (or slurm): mark it, so that "
        f'`pytest -m "not workflow and not slurm"` stays the fast unit subset'
    )
    item.stash.setdefault(_violations, []).append(message)
    raise UnmarkedSnakemakeError(message)


def marked(item) -> bool:
    return any(item.get_closest_marker(name) for name in MARKERS)


def install() -> None:
    """Add the audit hook (once per interpreter: audit hooks cannot be removed)."""
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True


def pytest_configure(config):
    install()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _items.append(item)
    try:
        return (yield)
    finally:
        _items.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    violations = item.stash.get(_violations, [])
    if violations and not item.stash.get(_reported, False):
        item.stash[_reported] = True
        if report.passed:  # the test caught the error: fail it all the same
            report.outcome = "failed"
            report.longrepr = "\n".join(violations)
    return report
