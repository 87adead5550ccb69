"""Piecewise-linear encoding of the numeric inputs, with its backpropagation written out.

A table's target often jumps where a number crosses a threshold, which trees find at once and a
smooth network learns slowly. Each numeric input x_f is therefore replaced by B values, one per
bin between its training quantiles e[f,0] <= ... <= e[f,B] (Gorishniy et al. 2022, "PLE-Q"),
each then scaled as the robust scaler scales a number (centre m and spread s of that bin's
values over the training rows, and the smooth clip):

    t[n,f,b]   = (x[n,f] - e[f,b]) / (e[f,b+1] - e[f,b])      (0 where the bin is empty)
    p[n,f,b]   = clip(t, 0, 1)                                 1 for the bins below x, 0 above
    z          = (p - m[f,b]) / s[f,b]
    out        = [z / sqrt(1 + (z/3)^2) flattened over (f, b), the inputs not encoded]

A threshold anywhere is then one weight on one column away. The layer learns nothing: its bins
(edges, centres, spreads) are fitted once on the training rows (``fit_bins``, after scaling)
and stored in the model's spec. Its only gradient is the input's, needed when a learned scale
comes first:

    dL/dx[n,f] = sum_b dL/dout[n,f,b] (1 + (z/3)^2)^(-3/2) / (s[f,b] (e[f,b+1] - e[f,b]))
                 over the bins with 0 < t < 1
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlpkit.data.preprocessing import CLIP, Standardizer
from mlpkit.errors import InvalidParameterError
from mlpkit.numpy_engine.module import Module


def fit_bins(X: np.ndarray, columns: Sequence[int], bins: int,
             weights: np.ndarray | None = None) -> tuple[tuple[float, ...], ...]:
    """Per column of X (its training rows, scaled): its ``bins + 1`` quantiles, then the
    median and spread of each bin's values (``Standardizer.fit_robust``'s); with ``weights``
    a row counts as that many rows. Repeated quantiles leave empty bins (always 0)."""
    q = np.linspace(0.0, 1.0, bins + 1)
    values = np.asarray(X[:, list(columns)], np.float64)
    w = None if weights is None else np.asarray(weights, np.float64)
    edges = (np.quantile(values, q, axis=0, method="inverted_cdf", weights=w) if w is not None
             else np.quantile(values, q, axis=0)).T                          # (F, B + 1)
    lower, inverse = _bin_edges(edges)
    encoded = np.clip((values[:, :, None] - lower) * inverse, 0.0, 1.0).round(6)  # (a row on
    robust = Standardizer.fit_robust(encoded.reshape(len(values), -1), weights=w)  # an edge: 1)
    shape = (len(edges), bins)
    table = np.concatenate([edges, robust.mean.reshape(shape), robust.scale.reshape(shape)], 1)
    return tuple(tuple(float(v) for v in row) for row in table)


def _bin_edges(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    width = np.diff(edges, axis=1)
    return edges[:, :-1], np.divide(1.0, width, out=np.zeros_like(width), where=width > 0)


def bin_arrays(bins: Sequence[Sequence[float]], dtype: type | np.dtype = np.float32
               ) -> tuple[np.ndarray, ...]:
    """(lower edges, 1 / widths (0 for an empty bin), centres, spreads), each (F, B): the
    layer's arrays, the same in both engines and in an exported file."""
    table = np.asarray(bins, np.float64)
    count = (table.shape[1] - 1) // 3
    lower, inverse = _bin_edges(table[:, :count + 1])
    return tuple(a.astype(dtype) for a in (lower, inverse, table[:, count + 1:2 * count + 1],
                                           table[:, 2 * count + 1:]))


class PiecewiseLinear(Module):
    """Encodes inputs ``columns`` into their ``bins`` (``fit_bins``' rows); the other inputs
    follow unchanged."""

    def __init__(self, width: int, columns: tuple[int, ...], bins: Sequence[Sequence[float]],
                 dtype: type | np.dtype = np.float32) -> None:
        if bins is None:
            raise InvalidParameterError("a piecewise encoding's bins are fitted on the training "
                                        "rows: prepare the data before building the network.")
        self.columns = np.asarray(columns, dtype=np.intp)
        self.rest = np.setdiff1d(np.arange(width), self.columns)
        self.lower, self.inverse, self.centre, self.spread = bin_arrays(bins, dtype)
        self._cache: tuple[np.ndarray, np.ndarray, int] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        t = (x[:, self.columns, None] - self.lower) * self.inverse             # (n, F, B)
        z = (np.clip(t, 0.0, 1.0) - self.centre) / self.spread
        root = np.sqrt(1.0 + np.square(z / CLIP))
        self._cache = (t, root, x.shape[1])
        return np.concatenate([(z / root).reshape(len(x), -1), x[:, self.rest]], axis=1)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._cache is None:
            raise RuntimeError("PiecewiseLinear.backward called before forward")
        if not need_input_grad:
            return None
        t, root, width = self._cache
        n, features, bins = t.shape
        g = grad_output[:, :features * bins].reshape(n, features, bins) / root ** 3
        inside = (t > 0.0) & (t < 1.0)
        grad = np.zeros((n, width), dtype=grad_output.dtype)
        grad[:, self.columns] = np.sum(g * inside * (self.inverse / self.spread), axis=2)
        grad[:, self.rest] = grad_output[:, features * bins:]
        return grad

    def __repr__(self) -> str:
        return f"PiecewiseLinear(columns={len(self.columns)}, bins={self.lower.shape[1]})"
