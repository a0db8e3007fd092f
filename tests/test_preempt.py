"""Preemption: a real training process signalled mid-training saves, exits non-zero, and resumes.

SLURM sends SIGTERM on preemption, cancellation or the time limit, and SIGUSR1 when asked with
``--signal=USR1@120``. Each training loop (classifier, SampleRNN, DDSP) must then save its state at
the next step, exit with status 128 + signal and leave no final checkpoint; the re-run must say
where it resumed and end with the same weights as a run that was never interrupted.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import preempt_driver
import pytest
import torch

from augeval.checkpoints import load_checkpoint
from augeval.preempt import Preempted, Preemption

DRIVER = Path(__file__).resolve().parent / "preempt_driver.py"


def start(model, root, log):
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.Popen(
        [sys.executable, str(DRIVER), model, str(root), str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def run_to_end(model, root, log):
    proc = start(model, root, log)
    steps = [int(line.split()[1]) for line in proc.stdout if line.startswith("step ")]
    assert proc.wait(timeout=600) == 0, Path(log).read_text()[-3000:]
    return steps


@pytest.mark.parametrize(
    "model, signum",
    [("classifier", signal.SIGTERM), ("samplernn", signal.SIGUSR1), ("ddsp", signal.SIGTERM)],
)
def test_signal_saves_stops_and_the_rerun_resumes(tmp_path, model, signum):
    full_steps = []  # the uninterrupted reference run, in this process
    preempt_driver.main(model, tmp_path / "full", on_step=full_steps.append)
    cut = tmp_path / "cut"
    proc = start(model, cut, tmp_path / "first.log")
    for line in proc.stdout:  # signal it a third of the way in
        if line.startswith("step ") and int(line.split()[1]) == len(full_steps) // 3:
            proc.send_signal(signum)
            break
    proc.stdout.read()
    assert proc.wait(timeout=120) == 128 + signum
    first = (tmp_path / "first.log").read_text()
    assert f"stopped by {signal.Signals(signum).name} after saving the training state" in first
    assert (cut / "run/train_state.pt").exists()
    assert not (cut / "run/checkpoint.pt").exists()  # nothing that looks complete

    resumed_steps = run_to_end(model, cut, tmp_path / "second.log")
    second = (tmp_path / "second.log").read_text()
    assert "resuming from" in second and "train_state.pt at " in second, second[-2000:]
    assert 0 < len(resumed_steps) < len(full_steps)  # it did not start over
    assert not (cut / "run/train_state.pt").exists()
    full = load_checkpoint(tmp_path / "full/run/checkpoint.pt")
    resumed = load_checkpoint(cut / "run/checkpoint.pt")

    def untimed(history):
        return [{k: v for k, v in h.items() if k != "seconds"} for h in history]

    assert untimed(resumed["history"]) == untimed(full["history"])
    for key, value in full["model"].items():
        torch.testing.assert_close(resumed["model"][key], value, rtol=0, atol=0)


def test_timer_asks_for_a_save_every_n_minutes():
    now = [0.0]
    with Preemption(minutes=2, clock=lambda: now[0]) as p:
        assert not p.save_due()
        now[0] = 119.0
        assert not p.save_due()
        now[0] = 120.0
        assert p.save_due()
        p.saved("step 7")
        assert not p.save_due()
    assert not Preemption(minutes=None).save_due()


def test_handlers_are_installed_only_inside_and_restored():
    before = signal.getsignal(signal.SIGUSR1)
    with Preemption(minutes=None) as p:
        os.kill(os.getpid(), signal.SIGUSR1)  # handled: sets the flag, does not kill pytest
        assert p.stop_requested and p.save_due()
        with pytest.raises(Preempted) as info:
            p.saved("epoch 2 batch 3")
        assert info.value.exit_code == 128 + signal.SIGUSR1
        assert "epoch 2 batch 3" in str(info.value)
    assert signal.getsignal(signal.SIGUSR1) is before
