"""Logging set-up shared by the workflow scripts: records go to the rule's log file and stderr."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

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
