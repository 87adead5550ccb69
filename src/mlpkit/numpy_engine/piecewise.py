"""Piecewise-linear encoding of the numeric inputs, with its backpropagation written out.

A table's target often jumps where a number crosses a threshold, which trees find at once and a
smooth network learns slowly. Each numeric input x_f is therefore replaced by B values, one per
bin between its training quantiles e[f,0] <= ... <= e[f,B] (Gorishniy et al. 2022, "PLE-Q"):

    t[n,f,b]   = (x[n,f] - e[f,b]) / (e[f,b+1] - e[f,b])      (0 where the bin is empty)
    enc[n,f,b] = clip(t, 0, 1)                                 1 for the bins below x, 0 above
    out        = [enc flattened over (f, b), the inputs that are not encoded]

A threshold anywhere is then one weight on one column away. The layer learns nothing: its
edges are fitted once on the training rows (``fit_edges``, after scaling) and stored in the
model's spec. Its only gradient is the input's, needed when a learned scale comes first:

    dL/dx[n,f] = sum_b dL/denc[n,f,b] / (e[f,b+1] - e[f,b])   over the bins with 0 < t < 1
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlpkit.errors import InvalidParameterError
from mlpkit.numpy_engine.module import Module


def fit_edges(X: np.ndarray, columns: Sequence[int], bins: int,
              weights: np.ndarray | None = None) -> tuple[tuple[float, ...], ...]:
    """Each column's ``bins + 1`` quantiles over the rows of X (its training rows, scaled);
    with ``weights`` a row counts as that many rows. Repeated quantiles leave empty bins."""
    q = np.linspace(0.0, 1.0, bins + 1)
    values = np.asarray(X[:, list(columns)], np.float64)
    edges = np.quantile(values, q, axis=0, method="inverted_cdf", weights=np.asarray(
        weights, np.float64)) if weights is not None else np.quantile(values, q, axis=0)
    return tuple(tuple(float(v) for v in column) for column in edges.T)


def bin_arrays(edges: Sequence[Sequence[float]], dtype: type | np.dtype = np.float32
               ) -> tuple[np.ndarray, np.ndarray]:
    """(lower edges, 1 / widths) per column and bin, 0 for an empty bin: the layer's arrays,
    the same in both engines and in an exported file."""
    e = np.asarray(edges, np.float64)
    width = np.diff(e, axis=1)
    inverse = np.divide(1.0, width, out=np.zeros_like(width), where=width > 0)
    return e[:, :-1].astype(dtype), inverse.astype(dtype)


class PiecewiseLinear(Module):
    """Encodes inputs ``columns`` into their bins (``edges``: per column, B + 1 increasing
    values); the other inputs follow unchanged."""

    def __init__(self, width: int, columns: tuple[int, ...], edges: Sequence[Sequence[float]],
                 dtype: type | np.dtype = np.float32) -> None:
        if edges is None:
            raise InvalidParameterError("a piecewise encoding's bins are fitted on the training "
                                        "rows: prepare the data before building the network.")
        self.columns = np.asarray(columns, dtype=np.intp)
        self.rest = np.setdiff1d(np.arange(width), self.columns)
        self.lower, self.inverse = bin_arrays(edges, dtype)
        self._cache: tuple[np.ndarray, int] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        t = (x[:, self.columns, None] - self.lower) * self.inverse             # (n, F, B)
        self._cache = (t, x.shape[1])
        encoded = np.clip(t, 0.0, 1.0, out=t.copy()).reshape(len(x), -1)
        return np.concatenate([encoded, x[:, self.rest]], axis=1)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._cache is None:
            raise RuntimeError("PiecewiseLinear.backward called before forward")
        if not need_input_grad:
            return None
        t, width = self._cache
        n, features, bins = t.shape
        g = grad_output[:, :features * bins].reshape(n, features, bins)
        inside = (t > 0.0) & (t < 1.0)
        grad = np.zeros((n, width), dtype=grad_output.dtype)
        grad[:, self.columns] = np.sum(g * inside * self.inverse, axis=2)
        grad[:, self.rest] = grad_output[:, features * bins:]
        return grad

    def __repr__(self) -> str:
        return f"PiecewiseLinear(columns={len(self.columns)}, bins={self.lower.shape[1]})"
