"""Atomic writers (augeval.atomic): the TSV writer's bytes, and nothing partial on error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augeval.atomic import write_tsv


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("cannot format this cell")


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"track_id": ["a", "b", "c"], "score": [0.123456789, np.nan, 2.0], "n": [1, 2, 3]},
        index=pd.Index(["x", "y", "z"], name="row"),
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"float_format": "%.3f"},
        {"float_format": "%.6g", "na_rep": "nan"},
        {"float_format": "%.4f", "index": True},
    ],
)
def test_write_tsv_writes_what_to_csv_writes(tmp_path, options):
    df = _frame()
    write_tsv(df, tmp_path / "sub" / "out.tsv", **options)
    expected_options = {"index": False, **options}
    df.to_csv(tmp_path / "expected.tsv", sep="\t", **expected_options)
    assert (tmp_path / "sub" / "out.tsv").read_bytes() == (tmp_path / "expected.tsv").read_bytes()


def test_write_tsv_leaves_no_partial_file_on_error(tmp_path):
    target = tmp_path / "out.tsv"
    bad = pd.DataFrame({"track_id": ["a", "b", "c"], "cell": [1, 2, _Unprintable()]})
    with pytest.raises(RuntimeError, match="cannot format"):
        write_tsv(bad, target)
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary file

    write_tsv(_frame(), target)
    before = target.read_bytes()
    with pytest.raises(RuntimeError, match="cannot format"):
        write_tsv(bad, target)
    assert target.read_bytes() == before  # the old file stays whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]
