"""Scaling, splitting and one-hot helpers: fitted on training data only.

The scaler is a small dataclass rather than scikit-learn's StandardScaler because its two
arrays must travel inside a model's JSON file, never through pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlpkit.errors import InvalidInputError

CLIP = 3.0     # the smooth clip's knee: x / sqrt(1 + (x / CLIP)^2) stays within +-CLIP


@dataclass
class Standardizer:
    """z = (x - mean) / scale, with mean and scale learned from the training set; ``clip``:
    then z / sqrt(1 + (z/3)^2), a smooth clip to (-3, 3) (the robust scaler's, ``fit_robust``)."""

    mean: np.ndarray
    scale: np.ndarray
    clip: bool = False

    @classmethod
    def fit(cls, X: np.ndarray, rows: np.ndarray | None = None, chunk: int = 2048,
            weights: np.ndarray | None = None) -> Standardizer:
        """Mean and standard deviation in float64 over ``rows`` of X (default: all), a chunk
        of rows at a time: no copy of X is made (a float64 copy of all of MNIST would cost
        376 MB; a chunk costs 13 MB). ``weights`` (one per row of X) count a row as that many
        rows, so a weight of 2 and a repeated row give the same scaling."""
        rows = np.arange(len(X)) if rows is None else rows
        parts = [rows[i:i + chunk] for i in range(0, len(rows), chunk)]

        def weighted(part: np.ndarray, values: np.ndarray) -> np.ndarray:
            return values if weights is None else values * weights[part][:, None]

        total = len(rows) if weights is None else float(np.sum(weights[rows]))
        mean = sum(weighted(p, X[p]).sum(axis=0, dtype=np.float64) for p in parts) / total
        squares = np.zeros(X.shape[1])
        for part in parts:
            centred = X[part] - mean                           # (chunk, d) in float64
            squares += np.einsum("ij,ij->j", weighted(part, centred), centred)
        std = np.sqrt(squares / total)
        scale = np.where(std > 0, std, 1.0)   # a constant column is centred, not divided by 0
        return cls(mean.astype(np.float32), scale.astype(np.float32))

    @classmethod
    def fit_robust(cls, X: np.ndarray, rows: np.ndarray | None = None,
                   weights: np.ndarray | None = None, block: int = 64) -> Standardizer:
        """Median-centred, divided by the interquartile range (half the range where the IQR is
        0, as a rare 0/1 column's; 1 for a constant column), then smoothly clipped: outliers
        and heavy tails no longer dominate a feature (RealMLP's preprocessing). A block of
        columns at a time, so a copy of X is never made. Quantiles as scikit-learn's
        RobustScaler (linear interpolation); with ``weights``, a row counts as that many rows
        (the inverted CDF of the weighted rows)."""
        rows = np.arange(len(X)) if rows is None else rows
        w = None if weights is None else np.asarray(weights, np.float64)[rows]
        median, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
        for start in range(0, X.shape[1], block):
            cols = np.arange(start, min(start + block, X.shape[1]))
            values = np.asarray(X[np.ix_(rows, cols)], np.float64)
            q25, q50, q75 = (np.quantile(values, q, axis=0, method="inverted_cdf", weights=w)
                             if w is not None else np.quantile(values, q, axis=0)
                             for q in (0.25, 0.5, 0.75))
            spread = values.max(axis=0) - values.min(axis=0)
            median[cols] = q50
            scale[cols] = np.where(q75 > q25, q75 - q25, np.where(spread > 0, spread / 2, 1.0))
        return cls(median.astype(np.float32), scale.astype(np.float32), clip=True)

    def transform(self, X: np.ndarray, copy: bool = True,
                  dtype: np.dtype | type = np.float32) -> np.ndarray:
        """Scaled features in ``dtype``; ``copy=False`` scales an X of that dtype in place
        (no second copy)."""
        if X.shape[1] != self.mean.shape[0]:
            raise InvalidInputError(
                f"X has {X.shape[1]} features, but the scaler was fitted with "
                f"{self.mean.shape[0]}."
            )
        if copy or X.dtype != dtype:
            out = np.subtract(X, self.mean, dtype=dtype)   # one new array, then in place
        else:
            out = np.subtract(X, self.mean, out=X)
        out /= self.scale
        if self.clip:
            out /= np.sqrt(1.0 + np.square(out / CLIP))
        return out

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Scaled features back in the data's own units (not through a clip: only the target
        scaler, which never clips, is inverted)."""
        return X * self.scale + self.mean

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"mean": self.mean.tolist(), "scale": self.scale.tolist()}
        if self.clip:       # (files without it read the same)
            data["clip"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Standardizer:
        clip = data.get("clip", False)
        if not isinstance(clip, bool):
            raise ValueError("the scaler's clip must be true or false")
        return cls(np.asarray(data["mean"], np.float32), np.asarray(data["scale"], np.float32),
                   clip)


def stratified_split(X: np.ndarray, y: np.ndarray, test_size: float, random_state: int | None,
                     stratify: bool = True) -> tuple[np.ndarray, ...]:
    """A seeded train/test split that keeps class proportions (scikit-learn's), checked first."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise InvalidInputError(f"test_size must lie strictly between 0 and 1, got {test_size}.")
    n_test = int(np.ceil(test_size * len(y)))
    if n_test < 1 or len(y) - n_test < 1:
        raise InvalidInputError(
            f"{len(y)} rows cannot be split with test_size={test_size}: both parts need a row."
        )
    if stratify:
        classes, counts = np.unique(y, return_counts=True)
        if counts.min() < 2:
            rare = classes[counts.argmin()]
            raise InvalidInputError(
                f"Class {str(rare)!r} has only {counts.min()} row; a stratified split needs at "
                "least 2 per class. Add rows or supply a separate test set."
            )
        if n_test < len(classes) or len(y) - n_test < len(classes):
            raise InvalidInputError(
                f"{len(y)} rows split with test_size={test_size} leave fewer rows than the "
                f"{len(classes)} classes in one part; add rows or change test_size."
            )
    return train_test_split(X, y, test_size=test_size, random_state=random_state,
                            stratify=y if stratify else None)


def one_hot(y: np.ndarray, n_classes: int, dtype: type = np.float32) -> np.ndarray:
    """Class indices (n,) -> rows of the identity (n, n_classes)."""
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise InvalidInputError(
            f"Class indices must lie in [0, {n_classes - 1}], got {y.min()} to {y.max()}."
        )
    return np.eye(n_classes, dtype=dtype)[y]
