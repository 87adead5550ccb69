"""Pictures of data and training, written as PNG files (matplotlib, headless).

Every function draws one figure and saves it; the output is deterministic (no timestamps or
version strings in the file), so the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.io import atomic

_PNG_METADATA = {"Software": None}   # keep files byte-identical across runs


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")          # headless: no window
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> None:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata=_PNG_METADATA)
    atomic.write_bytes(path, buffer.getvalue())       # a picture is whole or absent
    _pyplot().close(fig)


def _colors(n: int):
    """The first n colours of tab10 (the animation's palette too), not a resampled map."""
    from matplotlib.colors import ListedColormap

    base = _pyplot().get_cmap("tab10").colors
    return ListedColormap([base[k % len(base)] for k in range(max(n, 2))])


def plot_dataset(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                 y_test: np.ndarray, class_names: Sequence[str], path: str | Path) -> None:
    """2-D points by class: training as dots, test as crosses."""
    plt = _pyplot()
    cmap = _colors(len(class_names))
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for k, name in enumerate(class_names):
        ax.scatter(*X_train[y_train == k].T, s=10, color=cmap(k), alpha=0.6, label=f"{name}")
        ax.scatter(*X_test[y_test == k].T, s=18, color=cmap(k), marker="x")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title("data (dots: train, crosses: test)")
    ax.legend(fontsize=8)
    _save(fig, path)


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
    _save(fig, path)


def region_grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid covering X with a 10 % margin: (xx, yy, points (resolution^2, 2) float32)."""
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-6
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)


@dataclass
class DrawnRegions:
    """What ``plot_decision_regions`` drew: the predicted class of each grid point, and where a
    data point lands in the PNG (pixel column, row), so a picture can be checked."""

    xx: np.ndarray
    yy: np.ndarray
    regions: np.ndarray
    to_pixels: Callable[[np.ndarray], np.ndarray]


def plot_decision_regions(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                          y: np.ndarray, class_names: Sequence[str], path: str | Path,
                          resolution: int = 200, title: str | None = None) -> DrawnRegions:
    """Colour the plane by predicted class index (class k in tab10's k-th colour, 30 %
    opaque); points (e.g. the test set) on top.

    ``predict`` maps (n, 2) points to class indices: any fitted classifier works, e.g.
    ``lambda P: model.predict(P)`` for a Perceptron with 0/1 labels, or an MLP's argmax.
    """
    plt = _pyplot()
    xx, yy, grid = region_grid(X, resolution)
    regions = np.asarray(predict(grid)).reshape(xx.shape)
    n = len(class_names)
    cmap = _colors(n)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.contourf(xx, yy, regions, levels=np.arange(n + 1) - 0.5, cmap=cmap, alpha=0.3)
    for k, name in enumerate(class_names):
        ax.scatter(*X[y == k].T, s=12, color=cmap(k), edgecolor="k", linewidth=0.3, label=name)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    transform, height = ax.transData.frozen(), fig.bbox.height

    def to_pixels(points: np.ndarray) -> np.ndarray:
        display = transform.transform(points)             # origin at the bottom left
        return np.column_stack([display[:, 0], height - display[:, 1]])

    _save(fig, path)
    return DrawnRegions(xx, yy, regions, to_pixels)


def plot_confusion_matrix(matrix: Sequence[Sequence[int]], class_names: Sequence[str],
                          path: str | Path) -> None:
    """Counts of (true class, predicted class), numbers in the cells."""
    plt = _pyplot()
    matrix = np.asarray(matrix)
    n = len(class_names)
    size = min(10.0, 2.5 + 0.5 * n)
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), class_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 20:
        threshold = matrix.max() / 2 if matrix.size else 0
        for i in range(n):
            for j in range(n):
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if matrix[i, j] > threshold else "black")
    _save(fig, path)


def plot_series(series: Mapping[str, Sequence[float]], path: str | Path, ylabel: str,
                title: str = "", log: bool = False) -> None:
    """One line per named series against the epoch: Perceptron errors, Adaline losses, or a
    learning-rate comparison ({"lr 0.01": losses, "lr 0.0001": losses})."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, values in series.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend()
    _save(fig, path)


def plot_gradient_descent(f: Callable[[np.ndarray], np.ndarray],
                          grad: Callable[[float], float], x0: float, lr: float, steps: int,
                          path: str | Path) -> list[float]:
    """f on a line, its tangent at x0, and the path of x <- x - lr f'(x); returns the path."""
    plt = _pyplot()
    path_x = [float(x0)]
    for _ in range(steps):
        path_x.append(path_x[-1] - lr * grad(path_x[-1]))
    span = max(abs(v) for v in path_x) * 1.2 + 1e-9
    xs = np.linspace(-span, span, 200)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(xs, f(xs), label="f(x)")
    slope = grad(x0)
    ax.plot(xs, f(np.asarray(x0)) + slope * (xs - x0), "--", alpha=0.6,
            label=f"tangent at {x0:g} (slope {slope:g})")
    ax.plot(path_x, f(np.asarray(path_x)), "o-", color="C3", markersize=4,
            label=f"gradient descent, lr {lr:g}")
    ax.set_ylim(min(f(xs).min(), 0) - 0.1, f(xs).max())
    ax.set_xlabel("x")
    ax.legend(fontsize=8)
    _save(fig, path)
    return path_x


def plot_history_overlay(histories: Mapping[str, object], path: str | Path) -> None:
    """Several runs' loss and accuracy curves on shared axes (validation dashed)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for k, (name, history) in enumerate(histories.items()):
        epochs = history.column("epoch")
        for ax, metric in zip(axes, ("loss", "accuracy")):
            for split, style in (("train", "-"), ("val", "--")):
                values = [np.nan if v is None else v for v in history.column(f"{split}_{metric}")]
                if not np.all(np.isnan(values)):
                    ax.plot(epochs, values, style, color=f"C{k % 10}",
                            label=f"{name} {split}")
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    _save(fig, path)


def plot_importances(values: dict[str, float], path: Path) -> None:
    """A sweep's parameter importances as bars, the largest on top."""
    plt = _pyplot()
    names = list(values)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(names) + 1.2))
    ax.barh(names, [values[n] for n in names], color="#4c72b0")
    ax.set_xlabel("importance (share of the score's variation)")
    _save(fig, path)


def plot_scores(rows: list[dict[str, Any]], score: str, params: list[str], path: Path) -> None:
    """A sweep's score of every finished trial against each parameter (categories by
    position; the best trial, listed first, circled)."""
    plt = _pyplot()
    columns = min(3, len(params))
    lines = math.ceil(len(params) / columns)
    fig, axes = plt.subplots(lines, columns, figsize=(4.2 * columns, 3.2 * lines), squeeze=False)
    done = [r for r in rows if r["state"] == "complete" and r.get(score) is not None]
    best = done[0]["trial"] if done else None
    for ax, name in zip(axes.ravel(), params):
        pairs = [(r[name], r[score], r["trial"] == best) for r in done if name in r]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      for v, _, _ in pairs)
        if numeric:
            x = [v for v, _, _ in pairs]
            if x and min(x) > 0 and max(x) / min(x) > 50:
                ax.set_xscale("log")
        else:
            labels = sorted({str(v) for v, _, _ in pairs})
            x = [labels.index(str(v)) for v, _, _ in pairs]
            ax.set_xticks(range(len(labels)), labels, rotation=20)
        ax.scatter(x, [s for _, s, _ in pairs], s=18, alpha=0.7)
        marked = [(xi, s) for xi, (_, s, is_best) in zip(x, pairs) if is_best]
        if marked:
            ax.scatter(*zip(*marked), s=80, facecolors="none", edgecolors="red", label="best")
        ax.set_xlabel(name)
        ax.set_ylabel(score.replace("_", " "))
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(params):]:
        ax.axis("off")
    _save(fig, path)
