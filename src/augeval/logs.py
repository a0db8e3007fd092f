"""Logging set-up shared by the workflow scripts: records go to the rule's log file and stderr."""

from __future__ import annotations

import logging
import os
import re
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from augeval.preempt import Preempted


def setup_logging(log_file: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send ``augeval`` log records to ``log_file`` (overwritten) and stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    return logging.getLogger("augeval")


def run_logged(log_file: str | None, main: Callable[[], None]) -> None:
    """Run a script's ``main`` with logging set up; a failure is logged with its traceback.

    A training job stopped by SIGTERM/SIGUSR1 (:class:`augeval.preempt.Preempted`) exits with
    status 128 + the signal number after its state is saved, and a re-run resumes it.
    The last line of the log is the job's :func:`resources_line` (also after a failure).
    """
    logger = setup_logging(log_file)
    try:
        main()
    except Preempted as exc:  # the state is saved: exit non-zero so that the job is re-run
        logger.warning("%s", exc)
        raise SystemExit(exc.exit_code) from None
    except Exception:
        logger.exception("job failed")
        raise
    finally:
        logger.info("%s", resources_line())


def _process_wall_seconds() -> float:
    """Seconds since this process started (Linux: /proc; elsewhere NaN)."""
    try:
        fields = Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start, ticks after boot
        return time.clock_gettime(time.CLOCK_BOOTTIME) - started
    except (OSError, ValueError, AttributeError, IndexError):
        return float("nan")


def resources_line() -> str:
    """``resources: wall W s, cpu C s (user U s, sys S s), max_rss R MB``: this process from its
    start (imports included) plus its waited-for children. Exact, where Snakemake's benchmark
    ``cpu_time`` is sampled (every 0.5 s for a job's first 15 s, then every 30 s), so it misses
    up to 30 s of a job's end."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    user, system = me.ru_utime + kids.ru_utime, me.ru_stime + kids.ru_stime
    rss_mb = max(me.ru_maxrss, kids.ru_maxrss) / 1024  # Linux: kB
    return (
        f"resources: wall {_process_wall_seconds():.2f} s, cpu {user + system:.2f} s "
        f"(user {user:.2f} s, sys {system:.2f} s), max_rss {rss_mb:.0f} MB"
    )


_RESOURCES = re.compile(
    r"resources: wall (?P<wall>[\d.]+|nan) s, cpu (?P<cpu>[\d.]+) s \(user (?P<user>[\d.]+) s, "
    r"sys (?P<sys>[\d.]+) s\), max_rss (?P<rss>\d+) MB"
)


def read_resources(log_file: str | Path) -> dict[str, float] | None:
    """The last :func:`resources_line` of a job's log as ``{wall, cpu, user, sys, rss}``
    (seconds, MB), or None where the log is missing or has none (e.g. a job that was killed)."""
    try:
        text = Path(log_file).read_text(errors="replace")
    except OSError:
        return None
    found = list(_RESOURCES.finditer(text))
    return {k: float(v) for k, v in found[-1].groupdict().items()} if found else None
