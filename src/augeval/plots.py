"""Figures. Plots read prediction/manifest tables, never checkpoints."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from augeval.atomic import atomic_path  # noqa: E402
from augeval.data.manifest import label_matrix  # noqa: E402


def _finish(fig, ax, out: str | os.PathLike, title: str) -> None:
    """Title, layout, atomic save, close."""
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)


def confusion_counts(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """``(n_classes, n_classes)`` counts: row = a true class of a clip, column = its top class.

    A multi-label clip adds one count to the row of each of its true classes.
    """
    y_true = np.asarray(y_true, dtype=bool)
    top = np.argmax(scores, axis=1)
    counts = np.zeros((y_true.shape[1], y_true.shape[1]), dtype=np.int64)
    for row, col in zip(*np.nonzero(y_true), strict=True):
        counts[col, top[row]] += 1
    return counts


def row_normalise(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / np.maximum(totals, 1), 0.0)


def confusion_frame(counts: np.ndarray, classes: list[str] | tuple[str, ...]):
    """The row-normalised matrix as a labelled table (rows true, columns predicted)."""
    frame = pd.DataFrame(row_normalise(counts), index=list(classes), columns=list(classes))
    frame.insert(0, "n", counts.sum(axis=1))
    frame.index.name = "true_class"
    return frame


def plot_confusion(
    counts: np.ndarray, classes: list[str], out: str | os.PathLike, title: str = ""
) -> None:
    """Row-normalised confusion matrix with class names on both axes, written atomically."""
    norm = row_normalise(counts)
    n = len(classes)
    size = min(max(5.0, 0.22 * n + 3.0), 16.0)  # 56 mood classes stay readable
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0)
    fontsize = 9 if n <= 16 else 6
    names = [c.replace("_", " ") for c in classes]
    ax.set_xticks(range(n), names, rotation=60, ha="right", fontsize=fontsize)
    ax.set_yticks(range(n), names, fontsize=fontsize)
    ax.set_xlabel("predicted (top-scoring class)")
    ax.set_ylabel("true class")
    if n <= 16:
        for i in range(n):
            for j in range(n):
                colour = "white" if norm[i, j] > 0.6 else "black"
                ax.text(
                    j, i, f"{norm[i, j]:.2f}", ha="center", va="center", fontsize=7, color=colour
                )
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of row")
    _finish(fig, ax, out, title)


def class_durations(
    manifests: dict[str, pd.DataFrame], classes: list[str] | tuple[str, ...]
) -> pd.DataFrame:
    """Hours per class (rows) and split (columns); a multi-label track counts for each class."""
    table = {}
    for split, df in manifests.items():
        y = label_matrix(df, classes)
        table[split] = (y * df["duration_s"].to_numpy()[:, None]).sum(axis=0) / 3600
    return pd.DataFrame(table, index=list(classes))


def plot_class_durations(
    hours: pd.DataFrame, out: str | os.PathLike, title: str = "", generated=None
) -> None:
    """Fig. 1: grouped horizontal bars of hours per class for each split (and generated data)."""
    frame = hours if generated is None else hours.join(generated)
    n_classes, n_series = frame.shape
    fig, ax = plt.subplots(figsize=(7.0, max(3.0, 0.28 * n_classes * max(1, n_series / 2) + 1.2)))
    height = 0.8 / n_series
    positions = np.arange(n_classes)
    for k, column in enumerate(frame.columns):
        ax.barh(positions + k * height, frame[column].to_numpy(), height, label=column)
    ax.set_yticks(positions + 0.4 - height / 2, [c.replace("_", " ") for c in frame.index])
    ax.invert_yaxis()
    ax.set_xlabel("duration (hours)")
    ax.legend(fontsize=8)
    _finish(fig, ax, out, title)


def plot_ratio_sweep(table: pd.DataFrame, out: str | os.PathLike, title: str = "") -> None:
    """Metric vs augmentation fraction, one line per generator with its CI band; the baseline
    (trained on real data only) is a horizontal line with its band."""
    metric = str(table["metric"].iloc[0])
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    base = table[table["generator"] == "baseline"]
    if len(base):
        row = base.iloc[0]
        ax.axhline(row["mean"], color="black", linestyle="--", linewidth=1, label="baseline")
        ax.axhspan(row["ci_low"], row["ci_high"], color="grey", alpha=0.15)
    for generator, rows in table[table["generator"] != "baseline"].groupby("generator"):
        rows = rows.sort_values("fraction")
        (line,) = ax.plot(rows["fraction"], rows["mean"], marker="o", label=generator)
        ax.fill_between(
            rows["fraction"], rows["ci_low"], rows["ci_high"], color=line.get_color(), alpha=0.15
        )
    ax.set_xlabel("generated duration / real train duration")
    ax.set_ylabel(f"{metric.replace('_', ' ')} (test)")
    ax.legend(fontsize=8)
    _finish(fig, ax, out, title)


def plot_distance_gain(
    table: pd.DataFrame,
    out: str | os.PathLike,
    x: str = "fd",
    y: str = "gain_pr_auc",
    title: str = "",
) -> None:
    """Scatter of a distance (x) against the augmentation gain (y), one colour per generator,
    each point labelled with its class."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for generator, rows in table.groupby("generator", sort=False):
        ax.scatter(rows[x], rows[y], label=generator, s=25)
        for _, r in rows.iterrows():
            ax.annotate(str(r["class"]).replace("_", " "), (r[x], r[y]), fontsize=6, alpha=0.7)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    ax.legend(fontsize=8)
    _finish(fig, ax, out, title)
