"""The guard that keeps ``pytest -m "not workflow and not slurm"`` free of snakemake runs."""

import sys
from pathlib import Path

import pytest
from snakemake_guard import launches_snakemake

# A stand-in for snakemake: `python -m snakemake` with this on PYTHONPATH runs no workflow.
FAKE_SNAKEMAKE = "print('fake snakemake')\n"

INNER = """
import os
import subprocess
import sys
from pathlib import Path

import pytest

FAKE = {{**os.environ, "PYTHONPATH": {fake!r}}}


def launch():
    cmd = [sys.executable, "-m", "snakemake", "--version"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, env=FAKE)


@pytest.fixture(scope="module")
def dag():
    return launch()


def test_unmarked():
    launch()


def test_unmarked_swallows_the_error():
    try:
        launch()
    except Exception:
        pass


def test_unmarked_through_a_fixture(dag):
    pass


def test_unmarked_shell_line():
    subprocess.run("{python} -m snakemake --version", shell=True, check=True, env=FAKE)


def test_unmarked_other_programs_are_fine():
    subprocess.run([sys.executable, "-c", "print('snakemake')"], check=True)


@pytest.mark.workflow
def test_marked():
    assert launch().stdout == "fake snakemake\\n"


@pytest.mark.slurm
def test_marked_slurm():
    launch()


@pytest.fixture(scope="module")
def marked_dag():
    return launch()


@pytest.mark.workflow
class TestMarkedClass:
    def test_in_class(self, marked_dag):
        launch()
"""


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, "-m", "snakemake", "-n"],
        ["python3", "-m", "snakemake"],
        ["/usr/local/bin/snakemake", "--cores", "1"],
        "snakemake",
        "cd /tmp && python -m snakemake -n",
        ["/bin/sh", "-c", "snakemake --cores 1 all"],
        [b"python", b"-m", b"snakemake"],
    ],
)
def test_snakemake_command_lines_are_recognised(argv):
    assert launches_snakemake(argv)


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, "-c", "print('snakemake')"],
        [sys.executable, "-m", "pytest", "tests/test_snakemake_guard.py"],
        ["bash", "tests/slurm/cluster.sh", "start"],
        ["sbatch", "--wrap", "srun python train.py"],
        ["snakefmt", "--check", "Snakefile"],
        "echo snakemake-executor-plugin-slurm",
        [],
    ],
)
def test_other_command_lines_are_not(argv):
    assert not launches_snakemake(argv)


def test_unmarked_tests_that_launch_snakemake_fail(pytester):
    fake = pytester.mkdir("fake")
    (fake / "snakemake.py").write_text(FAKE_SNAKEMAKE)
    tests = Path(__file__).resolve().parent  # where the guard plugin is
    pytester.makeini(f"[pytest]\npythonpath = {tests}\nmarkers =\n    workflow: w\n    slurm: s\n")
    pytester.makeconftest('pytest_plugins = ["snakemake_guard"]\n')
    pytester.makepyfile(test_inner=INNER.format(fake=str(fake), python=sys.executable))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=4, failed=3, errors=1)
    for name in ("test_marked", "test_marked_slurm", "test_in_class", "other_programs_are_fine"):
        result.stdout.re_match_lines([rf"PASSED .*{name}\b"])
    for name in ("test_unmarked", "swallows_the_error", "shell_line"):
        result.stdout.re_match_lines([rf"FAILED .*{name}\b"])
    result.stdout.re_match_lines([r"ERROR .*test_unmarked_through_a_fixture\b"])
    result.stdout.fnmatch_lines(["*is not marked @pytest.mark.workflow (or slurm)*"])
