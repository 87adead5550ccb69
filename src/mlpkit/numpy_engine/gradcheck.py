"""Central finite differences, the independent check of every hand-written backward pass.

    df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)     error O(eps^2)

Run it in float64: with float32 the rounding error of f swamps the difference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlpkit.errors import InvalidInputError
from mlpkit.numpy_engine.losses import Loss
from mlpkit.numpy_engine.module import Module


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f() / d x by central differences, perturbing ``x`` in place (restored afterwards)."""
    grad = np.empty_like(x)
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise InvalidInputError("numerical_gradient needs a contiguous array to perturb in place.")
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        f_plus = f()
        flat[i] = original - eps
        f_minus = f()
        flat[i] = original
        grad.flat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |a - n| / max(max |a|, max |n|): scale-free, and robust where single entries are ~0."""
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))
    if scale == 0.0:
        return 0.0
    return float(np.abs(analytic - numeric).max() / scale)


def gradcheck(model: Module, loss: Loss, X: np.ndarray, y: np.ndarray,
              eps: float = 1e-6) -> dict[str, float]:
    """Backprop against finite differences for every parameter: ``{name: relative error}``."""
    params = model.named_parameters()
    for name, param in params:
        if param.data.dtype != np.float64:
            raise InvalidInputError(
                f"gradcheck needs float64 parameters, but {name!r} is {param.data.dtype}; "
                "build the layers with dtype=np.float64."
            )
    X = np.asarray(X, dtype=np.float64)

    def loss_value() -> float:
        return loss.forward(model(X), y)

    model.zero_grad()
    loss_value()
    model.backward(loss.backward())
    analytic = {name: param.grad.copy() for name, param in params}
    return {
        name: relative_error(analytic[name], numerical_gradient(loss_value, param.data, eps))
        for name, param in params
    }
