"""Loss and accuracy curves, and decision regions for 2-D data, written as PNG files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")          # headless: no window, same bytes on every machine
    import matplotlib.pyplot as plt

    return plt


def plot_history(history, path: str | Path) -> None:
    """Train and validation loss (left) and accuracy (right, classification) per epoch."""
    plt = _pyplot()
    epochs = history.column("epoch")
    has_accuracy = any(v is not None for v in history.column("train_accuracy"))
    fig, axes = plt.subplots(1, 2 if has_accuracy else 1, figsize=(10 if has_accuracy else 5, 4))
    axes = np.atleast_1d(axes)
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for split, style in (("train", "-"), ("val", "--")):
            values = [np.nan if v is None else v for v in history.column(f"{split}_{metric}")]
            if not np.all(np.isnan(values)):
                ax.plot(epochs, values, style, label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:      # nothing finite to draw after a divergence
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_decision_regions(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                          y: np.ndarray, class_names: list[str], path: str | Path,
                          resolution: int = 200) -> None:
    """Colour the plane by predicted class; points (e.g. the test set) on top."""
    plt = _pyplot()
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-6
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)
    regions = predict(grid).reshape(xx.shape)
    n_classes = len(class_names)
    cmap = plt.get_cmap("tab10", max(n_classes, 2))
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.contourf(xx, yy, regions, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.3)
    for k, name in enumerate(class_names):
        mask = y == k
        ax.scatter(X[mask, 0], X[mask, 1], s=12, color=cmap(k), edgecolor="k", linewidth=0.3,
                   label=name)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
