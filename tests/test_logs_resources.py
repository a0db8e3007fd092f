"""Every workflow script's log ends with the job's exact wall and CPU seconds."""

import subprocess
import sys

import pytest
from helpers import REPO

from augeval.logs import read_resources

BURN = """
import sys, time
sys.path.insert(0, {src!r})
from augeval.logs import run_logged

def main():
    end = time.process_time() + 0.6
    while time.process_time() < end:
        pass
    time.sleep(0.4)
    if {fail}:
        raise ValueError("bad input")

run_logged({log!r}, main)
"""


@pytest.mark.parametrize("fail", [False, True])
def test_the_log_ends_with_the_processs_cpu_and_wall_seconds(tmp_path, fail):
    log = tmp_path / "job.log"
    script = BURN.format(src=str(REPO / "src"), log=str(log), fail=fail)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == (1 if fail else 0), done.stderr
    assert log.read_text().rstrip().splitlines()[-1].split(": ", 1)[1].startswith("resources:")
    got = read_resources(log)
    # 0.6 s of CPU burnt in main, plus the interpreter's start; 0.4 s asleep counts as wall only
    assert 0.6 <= got["cpu"] < 5.0
    assert got["wall"] >= got["cpu"] + 0.35
    assert got["cpu"] == pytest.approx(got["user"] + got["sys"], abs=0.02)
    assert got["rss"] > 5
    if fail:
        assert "bad input" in log.read_text()


def test_a_log_without_the_line_or_no_log_reads_as_none(tmp_path):
    (tmp_path / "killed.log").write_text("2026-12-03 INFO augeval: epoch 1/18\n")
    assert read_resources(tmp_path / "killed.log") is None
    assert read_resources(tmp_path / "absent.log") is None
