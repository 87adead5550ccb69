"""What one fit trains on (``Split``): the training rows after the validation rows are held
out, scaled as the network sees them, with their per-sample weights; and the rules for each."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlpkit.data.batching import ArrayRows
from mlpkit.data.preprocessing import stratified_split
from mlpkit.data.tables.stream_rows import StreamRows
from mlpkit.errors import InvalidInputError


@dataclass
class Split:
    """The arrays one fit trains on, scaled: training rows, their weights, validation rows."""

    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray | None
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    stream: StreamRows | None = None      # a streamed table's training rows (X, y: None)

    @property
    def validation(self) -> tuple[np.ndarray, np.ndarray] | None:
        return None if self.X_val is None else (self.X_val, self.y_val)

    def rows(self) -> ArrayRows | StreamRows:
        """The training rows as the loop reads them."""
        return self.stream or ArrayRows(self.X, self.y, self.weights)


def holdout(y: np.ndarray, fraction: float, seed: int, stratify: bool,
            ) -> tuple[np.ndarray, np.ndarray]:
    """Sorted row indices (train, validation) of a seeded, stratified split."""
    rows = np.arange(len(y))
    train_rows, val_rows, _, _ = stratified_split(rows, y, fraction, seed, stratify=stratify)
    return np.sort(train_rows), np.sort(val_rows)


def class_weights(counts: np.ndarray, class_weight) -> np.ndarray:
    """A weight per class from the class counts and ``class_weight`` ('balanced': n / (k *
    count_c), as in scikit-learn; or a dict class -> weight)."""
    n_classes = len(counts)
    if class_weight == "balanced":
        counts = counts.astype(np.float64)
        return np.where(counts > 0, counts.sum() / (n_classes * np.maximum(counts, 1)), 0.0)
    per_class = np.ones(n_classes)
    for cls, weight in class_weight.items():
        if not 0 <= int(cls) < n_classes:
            raise InvalidInputError(
                f"class_weight names class {cls!r}, but there are {n_classes} classes "
                f"(0 to {n_classes - 1}).")
        per_class[int(cls)] = weight
    return per_class


def sample_weights(y: np.ndarray, sample_weight: np.ndarray | None, class_weight,
                   n_classes: int) -> np.ndarray | None:
    """Per-sample weights from ``sample_weight`` times ``class_weight`` (None: unweighted)."""
    weights = None if sample_weight is None else np.asarray(sample_weight, np.float64)
    if class_weight is None:
        return weights
    by_class = class_weights(np.bincount(y, minlength=n_classes), class_weight)[y]
    return by_class if weights is None else by_class * weights


def target_columns(y: np.ndarray) -> np.ndarray:
    """Targets as a matrix, one column per target."""
    y = np.asarray(y)
    return y.reshape(len(y), -1)


def check_batch_size(batch_size: int | None, n_samples: int) -> None:
    if batch_size is not None and batch_size > n_samples:
        raise InvalidInputError(
            f"batch_size {batch_size} is larger than the {n_samples} training samples; use a "
            "smaller size, or 'full' (--batch-size full) for full-batch gradient descent.")
