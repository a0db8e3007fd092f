"""Aggregate per-trial metric tables."""

from __future__ import annotations

import pandas as pd

KEYS = ["metric", "average", "thresholds"]


def summarize_trials(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean, sample standard deviation and count of each metric over trials."""
    if not tables:
        raise ValueError("no trial metrics to summarise")
    allrows = pd.concat([t.assign(trial=i) for i, t in enumerate(tables)], ignore_index=True)
    grouped = allrows.groupby(KEYS, sort=False)["value"]
    out = grouped.agg(mean="mean", std="std", n_trials="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out
