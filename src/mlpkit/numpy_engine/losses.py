"""Losses: ``forward(pred, target)`` returns the mean loss, ``backward()`` dLoss/dPred.

Reductions follow PyTorch's ``reduction="mean"``: MSE and the binary losses average over every
element, cross-entropy over samples (weighted by class weight when given). MSE and
cross-entropy also take per-sample weights w: the loss becomes ``sum_i w_i l_i / sum_i w_i``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlpkit.errors import InvalidInputError
from mlpkit.validation import resolve


def row_max(z: np.ndarray) -> np.ndarray:
    """Each row's maximum: the numbers of ``z.max(axis=1)``, but reduced over a transposed copy,
    since NumPy reduces along short rows slowly (31 µs against 3 µs for 800 rows of 4)."""
    return np.ascontiguousarray(z.T).max(axis=0)


def row_sum(z: np.ndarray) -> np.ndarray:
    """Each row's sum, the same fast way as ``row_max`` (the same numbers as ``z.sum(axis=1)``
    to rounding: pairwise sums over a few columns)."""
    return np.ascontiguousarray(z.T).sum(axis=0)


def row_argmax(z: np.ndarray) -> np.ndarray:
    """``z.argmax(axis=1)`` (first maximum of each row), the same fast way as ``row_max``."""
    return np.ascontiguousarray(z.T).argmax(axis=0)


class Loss:
    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, pred: np.ndarray, target: np.ndarray, *args) -> float:
        return self.forward(pred, target, *args)

    def _same_shape_target(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        target = np.asarray(target)
        if target.shape != pred.shape:
            raise InvalidInputError(
                f"{type(self).__name__}: target shape {target.shape} differs from prediction "
                f"shape {pred.shape}."
            )
        return target.astype(pred.dtype, copy=False)

    def _cached(self, value):
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value


class MSELoss(Loss):
    """mean((pred - target)^2); gradient 2 (pred - target) / N. ``half``: half of it,
    scikit-learn's ``squared_error`` (gradient (pred - target) / N)."""

    _diff: np.ndarray | None = None

    def __init__(self, half: bool = False) -> None:
        self.factor = 0.5 if half else 1.0

    def forward(self, pred: np.ndarray, target: np.ndarray,
                sample_weight: np.ndarray | None = None) -> float:
        self._diff = pred - self._same_shape_target(pred, target)
        if sample_weight is None:
            self._scale = 2.0 * self.factor / self._diff.size
            return self.factor * float(np.mean(np.square(self._diff)))
        # per sample: mean over outputs; then the weighted mean over samples
        w = np.asarray(sample_weight, dtype=pred.dtype)
        per_sample = np.square(self._diff).mean(axis=1)
        self._scale = (2.0 * self.factor / pred.shape[1]) * (w / w.sum())[:, None]
        return self.factor * float(np.dot(w, per_sample) / w.sum())

    def backward(self) -> np.ndarray:
        return self._cached(self._diff) * self._scale


class PoissonLoss(Loss):
    """Half the Poisson deviance of the log-link prediction mu = exp(z), as scikit-learn's:
    mean(y log(y / mu) - y + mu); gradient (exp(z) - y) / N (the log link makes it simple)."""

    _residual: np.ndarray | None = None

    def forward(self, z: np.ndarray, target: np.ndarray,
                sample_weight: np.ndarray | None = None) -> float:
        y = self._same_shape_target(z, target)
        with np.errstate(over="ignore"):
            mu = np.exp(z)
        y_log_y = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0)    # 0 log 0 = 0
        deviance = y_log_y - y * z - y + mu               # y log(y / mu) - y + mu
        self._residual = mu - y
        if sample_weight is None:
            self._scale = 1.0 / deviance.size
            return float(np.mean(deviance))
        w = np.asarray(sample_weight, dtype=z.dtype)   # per sample, then weighted: as MSELoss
        self._scale = (1.0 / z.shape[1]) * (w / w.sum())[:, None]
        return float(np.dot(w, deviance.mean(axis=1)) / w.sum())

    def backward(self) -> np.ndarray:
        return self._cached(self._residual) * self._scale


class CrossEntropyLoss(Loss):
    """Softmax + negative log-likelihood on logits, fused.

    ``target`` holds class indices (shape (n,)). The fused gradient is simply
    ``(softmax(logits) - onehot(target)) / n``, cheaper and more stable than chaining a Softmax
    layer's Jacobian. With ``weight`` (one per class) the mean is weighted as in PyTorch:
    ``sum_i w[y_i] l_i / sum_i w[y_i]``. ``smoothing`` e: the target is (1 - e) one-hot + e/K
    over K classes, so l_i = (1 - e) nll_i + e/K sum_c -log p_c and the gradient is p - that
    target (as PyTorch's ``label_smoothing`` with per-sample weights).
    """

    def __init__(self, weight: np.ndarray | None = None, smoothing: float = 0.0) -> None:
        self.weight = None if weight is None else np.asarray(weight, dtype=np.float64)
        self.smoothing = smoothing
        self._probs: np.ndarray | None = None
        self._rows = np.arange(0)           # 0..n-1, kept while batches have n rows

    def _check_target(self, logits: np.ndarray, target: np.ndarray) -> np.ndarray:
        target = np.asarray(target)
        if logits.ndim != 2:
            raise InvalidInputError(
                f"CrossEntropyLoss expects logits of shape (n, n_classes), got {logits.shape}."
            )
        if target.shape != (logits.shape[0],) or target.dtype.kind not in "iu":
            raise InvalidInputError(
                f"CrossEntropyLoss expects integer class indices of shape ({logits.shape[0]},), "
                f"got {target.dtype} of shape {target.shape}; pass labels, not one-hot rows."
            )
        n_classes = logits.shape[1]
        if target.size and (target.min() < 0 or target.max() >= n_classes):
            raise InvalidInputError(
                f"CrossEntropyLoss: class indices must lie in [0, {n_classes - 1}], "
                f"got values from {target.min()} to {target.max()}."
            )
        if self.weight is not None and self.weight.shape != (n_classes,):
            raise InvalidInputError(
                f"CrossEntropyLoss: weight has shape {self.weight.shape}, "
                f"expected one per class ({n_classes},)."
            )
        return target

    def forward(self, logits: np.ndarray, target: np.ndarray,
                sample_weight: np.ndarray | None = None) -> float:
        target = self._check_target(logits, target)
        shifted = logits - row_max(logits)[:, None]                # exp never overflows
        probs = np.exp(shifted)
        norm = row_sum(probs)                                      # sum_j e^{z_j}
        probs /= norm[:, None]                                     # softmax(z)
        rows = self._rows if len(self._rows) == len(target) else np.arange(len(target))
        nll = np.log(norm) - shifted[rows, target]                 # -log softmax(z)_y
        if self.smoothing:       # + e (mean_c -log p_c - nll): mean_c -log p_c = log norm - mean z
            uniform = np.log(norm) - row_sum(shifted) / shifted.shape[1]
            nll = (1.0 - self.smoothing) * nll + self.smoothing * uniform
        self._probs, self._target, self._rows = probs, target, rows
        w = None if self.weight is None else self.weight[target]
        if sample_weight is not None:
            w = sample_weight if w is None else w * sample_weight
        if w is None:
            self._sample_scale = 1.0 / len(target)
            return float(nll.sum()) / len(target)
        self._sample_scale = (w / w.sum())[:, None].astype(logits.dtype)
        return float(np.dot(w, nll) / w.sum())

    def backward(self) -> np.ndarray:
        grad = self._cached(self._probs).copy()
        if self.smoothing:                                         # softmax - smoothed
            grad -= self.smoothing / grad.shape[1]
        grad[self._rows, self._target] -= 1.0 - self.smoothing     # softmax - onehot
        grad *= self._sample_scale
        return grad


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits z: max(z, 0) - z y + log(1 + e^-|z|); gradient s(z) - y."""

    _z: np.ndarray | None = None

    def forward(self, logits: np.ndarray, target: np.ndarray) -> float:
        y = self._same_shape_target(logits, target)
        self._z, self._y = logits, y
        loss = np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
        return float(loss.mean())

    def backward(self) -> np.ndarray:
        z = self._cached(self._z)
        sigmoid = 0.5 * (1.0 + np.tanh(0.5 * z))
        return (sigmoid - self._y) / z.size


class MultiLabelLogLoss(Loss):
    """Multi-label log loss on logits: per sample, the sum over labels of the binary
    cross-entropy (scikit-learn's multi-label loss), then the (weighted) mean over samples.
    Gradient per element: (sigmoid(z) - y) times the sample's share of the mean."""

    _z: np.ndarray | None = None

    def forward(self, logits: np.ndarray, target: np.ndarray,
                sample_weight: np.ndarray | None = None) -> float:
        y = self._same_shape_target(logits, target)
        self._z, self._y = logits, y
        per_sample = (np.maximum(logits, 0) - logits * y +
                      np.log1p(np.exp(-np.abs(logits)))).sum(axis=1)
        if sample_weight is None:
            self._scale = 1.0 / len(y)
            return float(per_sample.mean())
        w = np.asarray(sample_weight, dtype=np.float64)
        self._scale = (w / w.sum())[:, None].astype(logits.dtype)
        return float(np.dot(w, per_sample) / w.sum())

    def backward(self) -> np.ndarray:
        z = self._cached(self._z)
        sigmoid = 0.5 * (1.0 + np.tanh(0.5 * z))
        return (sigmoid - self._y) * self._scale


class BCELoss(Loss):
    """Binary cross-entropy on probabilities; logs clamped at -100 as in PyTorch.

    Prefer ``BCEWithLogitsLoss`` on the raw output: a sigmoid followed by this loss loses
    precision once the sigmoid saturates.
    """

    _p: np.ndarray | None = None

    def forward(self, probs: np.ndarray, target: np.ndarray) -> float:
        y = self._same_shape_target(probs, target)
        if probs.size and (probs.min() < 0 or probs.max() > 1):
            raise InvalidInputError(
                "BCELoss expects probabilities in [0, 1]; pass logits to BCEWithLogitsLoss."
            )
        self._p, self._y = probs, y
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(probs), -100.0)
            log_1mp = np.maximum(np.log1p(-probs), -100.0)
        return float(np.mean(-(y * log_p + (1 - y) * log_1mp)))

    def backward(self) -> np.ndarray:
        p = self._cached(self._p)
        # d/dp of -(y log p + (1-y) log(1-p)) = (p - y) / (p (1 - p))
        return (p - self._y) / np.maximum(p * (1 - p), 1e-12) / p.size


class SoftmaxMSELoss(Loss):
    """Mean squared error between softmax probabilities and one-hot targets (class indices in),
    the classic walk-through's classification loss. Composed of Softmax and MSELoss: the
    gradient goes back through the softmax's Jacobian. Cross-entropy learns faster; this is
    here to reproduce that walk-through."""

    def __init__(self) -> None:
        from mlpkit.numpy_engine.activations import Softmax

        self._softmax, self._mse = Softmax(), MSELoss()

    def forward(self, logits: np.ndarray, target: np.ndarray,
                sample_weight: np.ndarray | None = None) -> float:
        probs = self._softmax.forward(logits)
        onehot = np.zeros_like(probs)
        onehot[np.arange(len(target)), target] = 1.0
        return self._mse.forward(probs, onehot, sample_weight)

    def backward(self) -> np.ndarray:
        return self._softmax.backward(self._mse.backward())


LOSSES: dict[str, Callable[[], Loss]] = {
    "mse": MSELoss,
    "squared_error": lambda: MSELoss(half=True),
    "poisson": PoissonLoss,
    "cross_entropy": CrossEntropyLoss,
    "bce_with_logits": BCEWithLogitsLoss,
    "multilabel_log_loss": MultiLabelLogLoss,
    "bce": BCELoss,
    "softmax_mse": SoftmaxMSELoss,
}


def get_loss(name: str) -> Loss:
    """A new loss by name ("cross_entropy", "mse", "poisson", "bce_with_logits", ...)."""
    return resolve("loss", name, LOSSES)()
