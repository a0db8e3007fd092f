"""Figures. Plots read prediction/manifest tables, never checkpoints."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from augeval.atomic import atomic_path  # noqa: E402


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


def plot_confusion(
    counts: np.ndarray, classes: list[str], out: str | os.PathLike, title: str = ""
) -> None:
    """Row-normalised confusion matrix with class names on both axes, written atomically."""
    norm = row_normalise(counts)
    n = len(classes)
    size = max(4.0, 0.45 * n + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(n), [c.replace("_", " ") for c in classes], rotation=60, ha="right")
    ax.set_yticks(range(n), [c.replace("_", " ") for c in classes])
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
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
