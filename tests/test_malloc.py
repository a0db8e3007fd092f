"""augeval.malloc: the glibc settings every workflow job inherits."""

import os

import pytest
from helpers import REPO, snakemake

from augeval.malloc import MMAP_THRESHOLD, SETTINGS, apply_malloc_defaults


def test_added_together_where_the_environment_has_neither():
    env = {"PATH": "/bin"}
    assert apply_malloc_defaults(env) == SETTINGS
    assert env["MALLOC_MMAP_THRESHOLD_"] == str(32 * 1024 * 1024) == str(MMAP_THRESHOLD)
    assert int(env["MALLOC_TRIM_THRESHOLD_"]) > MMAP_THRESHOLD


def test_an_environment_that_sets_either_keeps_its_choice():
    for key in SETTINGS:
        env = {key: "12345"}
        assert apply_malloc_defaults(env) == {}
        assert env == {key: "12345"}


@pytest.mark.workflow
def test_snakemake_jobs_inherit_them(tmp_path):
    """Applied at parse time, as workflow/rules/common.smk does, they reach a job's process."""
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(
        f"sys.path.insert(0, {str(REPO / 'src')!r})\n"
        "from augeval.malloc import apply_malloc_defaults\n"
        "apply_malloc_defaults()\n"
        "rule env:\n"
        "    output: 'env.txt'\n"
        "    shell: 'env | grep ^MALLOC_ | sort > {output}'\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    snakemake(
        tmp_path, "--cores", "1", "--quiet", snakefile=snakefile, config=None, env=env, timeout=None
    )
    lines = (tmp_path / "env.txt").read_text().split()
    assert lines == sorted(f"{k}={v}" for k, v in SETTINGS.items())
