"""The pure helpers of bench/rehearsal.py: job-stat and SLURM-submission counting, templates."""

import importlib.util

import numpy as np
from helpers import REPO

spec = importlib.util.spec_from_file_location("rehearsal", REPO / "bench" / "rehearsal.py")
rehearsal = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rehearsal)

# A hand-written excerpt in the shape of Snakemake 9's dry-run listing under the SLURM profile:
# two ungrouped jobs, one group of two jobs, one local rule, then the job-stats table.
LISTING = """\
[Thu Dec  3 07:41:11 2026]
rule check_audio:
    output: results/data/audio_check/test.tsv
Shell command: None
[Thu Dec  3 07:41:11 2026] Group job small (jobs in lexicogr. order):

    [Thu Dec  3 07:41:11 2026]
    rule make_manifest:
        output: results/data/mood/train.tsv

    [Thu Dec  3 07:41:11 2026]
    rule plan_augmentation:
        output: results/augment/copy/mood/main/sources.tsv
[Thu Dec  3 07:41:12 2026]
rule train_generator:
    output: results/generators/samplernn/mood/checkpoint.pt
[Thu Dec  3 07:41:12 2026]
localrule all:
    input: x
Job stats:
job                   count
------------------  -------
all                       1
check_audio               1
make_manifest             1
plan_augmentation         1
train_generator           1
total                     5

Reasons:
    (check individual jobs above for details)
"""


def test_job_stats_table_is_read_with_its_total():
    assert rehearsal.parse_job_stats(LISTING) == {
        "all": 1,
        "check_audio": 1,
        "make_manifest": 1,
        "plan_augmentation": 1,
        "train_generator": 1,
        "total": 5,
    }
    assert rehearsal.parse_job_stats("Nothing to be done.") == {}


def test_submissions_count_groups_once_and_ungrouped_jobs_each():
    # check_audio, train_generator and the local all: 3 top-level; 1 group of 2 members
    assert rehearsal.count_submissions(LISTING) == (1, 3, 2)


def test_templates_are_stable_spread_and_distinct():
    paths = [f"{n % 100:02d}/{n}.mp3" for n in range(2000)]
    picks = [rehearsal.template_index(p, 8) for p in paths]
    assert picks == [rehearsal.template_index(p, 8) for p in paths]
    assert set(picks) == set(range(8))
    assert max(np.bincount(picks)) < 2 * len(paths) / 8  # no template takes a double share
    a, b = rehearsal.template_audio(0, 1.0, 8000), rehearsal.template_audio(1, 1.0, 8000)
    assert a.shape == (8000,) and a.dtype == np.float32 and np.abs(a).max() <= 0.4
    assert not np.allclose(a, b)
