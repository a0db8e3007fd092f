"""Preemption-safe training: tell a training loop when to save its resumable state.

A cluster ends jobs early. SLURM sends SIGTERM when it preempts or cancels a job or when the time
limit is reached, then SIGKILL after ``KillWait`` (30 s by default); with ``--signal=USR1@120`` it
also sends SIGUSR1 120 s before the time limit. A training loop uses :class:`Preemption` like this::

    with Preemption(minutes=cfg.get("checkpoint_minutes")) as preempt:
        for step in ...:
            ...one optimiser step...
            if preempt.save_due():
                save the resumable state (``train_state.pt``, see :mod:`augeval.train_state`)
                preempt.saved(where="epoch 3 batch 17")   # raises Preempted after a signal

The handler only sets a flag, so a signal never interrupts a half-written state. On a signal the
loop saves at the next step boundary and :class:`Preempted` ends the job with exit status
``128 + signal`` (non-zero: Snakemake's ``retries`` or SLURM's requeue run it again, and the
restarted job resumes from the saved state). Without a signal, :meth:`Preemption.save_due` turns
true every ``minutes`` minutes, so a SIGKILL (node failure, out of memory) loses at most that much.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

from augeval.errors import AugevalError

log = logging.getLogger("augeval.preempt")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)
DEFAULT_MINUTES = 30.0


class Preempted(AugevalError):
    """Training stopped on a signal after saving its state; re-running the job resumes it."""

    def __init__(self, signum: int, where: str, what: str = "the training state"):
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(
            f"stopped by {signal.Signals(signum).name} after saving {what} at {where}; "
            "re-run the job to resume"
        )


class Preemption:
    """Signal flag + save timer for one training loop (a context manager that installs the
    handlers for ``signals`` in the main thread and restores the previous ones on exit).

    ``minutes``: save every that many minutes of training (``None`` or 0: only on a signal).
    """

    def __init__(
        self,
        minutes: float | None = DEFAULT_MINUTES,
        signals: tuple[int, ...] = STOP_SIGNALS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.seconds = float(minutes) * 60 if minutes else None
        self.signals = signals
        self.clock = clock
        self.signum: int | None = None
        self._last_save = clock()
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Preemption:
        if threading.current_thread() is threading.main_thread():
            for signum in self.signals:
                self._previous[signum] = signal.signal(signum, self._handle)
        self._last_save = self.clock()
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame) -> None:
        if self.signum is None:
            self.signum = signum
            log.warning("received %s: saving the training state at the next step", signum)

    @property
    def stop_requested(self) -> bool:
        return self.signum is not None

    def save_due(self) -> bool:
        """True after a signal, or when ``minutes`` have passed since the last save."""
        if self.stop_requested:
            return True
        return self.seconds is not None and self.clock() - self._last_save >= self.seconds

    def saved(self, where: str, what: str = "the training state") -> None:
        """Record a save of the state at ``where`` (restarts the timer); after a signal, raise
        :class:`Preempted`. Any save counts, including a loop's regular per-epoch one. An
        inference job calls it after each finished work unit (:mod:`augeval.work_units`), with
        ``what`` saying what was kept."""
        timed = self.seconds is not None and self.clock() - self._last_save >= self.seconds
        self._last_save = self.clock()
        if self.signum is not None:
            raise Preempted(self.signum, where, what)
        if timed:
            log.info("training state saved at %s (every %.0f min)", where, self.seconds / 60)
