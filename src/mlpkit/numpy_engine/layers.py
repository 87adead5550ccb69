"""The fully connected layer, with its backpropagation written out, and dropout.

For a batch ``x`` of shape (n, in) the layer computes ``y = x W^T + b`` with ``W`` of shape
(out, in), PyTorch's layout. Given dL/dy (shape (n, out)) the chain rule gives::

    dL/dW = (dL/dy)^T x        (out, n) @ (n, in)  -> (out, in)
    dL/db = sum_n dL/dy        (n, out)            -> (out,)
    dL/dx = (dL/dy) W          (n, out) @ (out, in) -> (n, in)

Under the NTK parametrisation the layer computes ``y = c x W^T + b``, c = 1/sqrt(in), with W
drawn 1/c times as large (the same y at first); dL/dW and dL/dx then carry the factor c.
"""

from __future__ import annotations

import numpy as np

from mlpkit.errors import InvalidInputError
from mlpkit.numpy_engine.init import Initializer, bias_bound, get_initializer
from mlpkit.numpy_engine.module import Module, Parameter
from mlpkit.validation import check_positive


class Linear(Module):
    """``y = x W^T + b``; weights drawn by ``init`` from ``rng`` (a Generator or a seed).

    ``init="default"`` is PyTorch's own (weight and bias uniform in ±1/sqrt(in_features)) and
    ``init="sklearn"`` scikit-learn's (both uniform in its Glorot range); any other
    initialiser draws the weight and sets the bias to zero. ``gain``: c (NTK), else 1.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        init: str | Initializer = "default",
        rng: np.random.Generator | np.random.RandomState | int | None = None,
        dtype: type | np.dtype = np.float32,
        gain: float = 1.0,
    ) -> None:
        check_positive(in_features, "in_features", integer=True)
        check_positive(out_features, "out_features", integer=True)
        self.in_features = in_features
        self.out_features = out_features
        rng = rng if isinstance(rng, np.random.RandomState) else np.random.default_rng(rng)
        initializer = get_initializer(init)
        self.gain = gain
        weight = initializer(rng, (out_features, in_features), np.dtype(dtype))
        self.weight = Parameter(weight if gain == 1.0 else (weight / gain).astype(dtype))
        self.bias: Parameter | None = None
        if bias:
            bound = bias_bound(initializer, (out_features, in_features))
            b = np.zeros(out_features, dtype=dtype) if bound is None else \
                rng.uniform(-bound, bound, size=out_features).astype(dtype)
            self.bias = Parameter(b)
        self._input: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise InvalidInputError(
                f"Linear({self.in_features}, {self.out_features}) expects input of shape "
                f"(n, {self.in_features}), got {x.shape}."
            )
        x = x.astype(self.weight.data.dtype, copy=False)
        self._input = x                              # cached: dL/dW needs it
        out = x @ self.weight.data.T                 # (n, in) @ (in, out) -> (n, out)
        if self.gain != 1.0:
            out *= self.gain
        if self.bias is not None:
            out += self.bias.data
        return out

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        x = self._input
        if x is None:
            raise RuntimeError("Linear.backward called before forward")
        w = self.weight
        if self.bias is not None:
            self.bias.accumulate(grad_output.sum(axis=0))
        if self.gain != 1.0:
            grad_output = grad_output * self.gain    # (c: both products carry it)
        w.accumulate(grad_output.T @ x)              # (out, n) @ (n, in) -> (out, in)
        if not need_input_grad:
            return None
        return grad_output @ w.data                  # (n, out) @ (out, in) -> (n, in)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        params = [("weight", self.weight)]
        if self.bias is not None:
            params.append(("bias", self.bias))
        return params

    def __repr__(self) -> str:
        gain = "" if self.gain == 1.0 else f", gain={self.gain:.4g}"
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}{gain})")


SCALE_FACTOR = 6.0   # the scaling layer's learning-rate factor (RealMLP's), by parametrisation


class Scaling(Module):
    """A learned scale per input feature (RealMLP's scaling layer): ``y = x * (F s)`` with s
    stored, F = SCALE_FACTOR and F s = 1 at first. Under Adam, whose steps do not depend on
    a gradient's size, the effective scale F s then learns F times as fast as a weight
    (under SGD, F^2 times)::

        dL/ds = F sum_n dL/dy * x        dL/dx = dL/dy * F s
    """

    def __init__(self, features: int, dtype: type | np.dtype = np.float32) -> None:
        self.scale = Parameter(np.full(features, 1.0 / SCALE_FACTOR, dtype=dtype))
        self._input: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._input = x = x.astype(self.scale.data.dtype, copy=False)
        return x * (SCALE_FACTOR * self.scale.data)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._input is None:
            raise RuntimeError("Scaling.backward called before forward")
        self.scale.accumulate(SCALE_FACTOR * (grad_output * self._input).sum(axis=0))
        return grad_output * (SCALE_FACTOR * self.scale.data) if need_input_grad else None

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("scale", self.scale)]

    def __repr__(self) -> str:
        return f"Scaling(features={len(self.scale.data)})"


class Dropout(Module):
    """Inverted dropout: in training, zero each value with probability p and scale the rest by
    1 / (1 - p), so evaluation (identity) needs no rescaling. Backward applies the same mask.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        if not 0.0 <= p < 1.0:
            raise InvalidInputError(f"Dropout probability must lie in [0, 1), got {p!r}.")
        self.p = p
        self.rng = np.random.default_rng(rng)
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0.0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.p
        self._mask = keep.astype(x.dtype) / (1.0 - self.p)
        return x * self._mask

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        return grad_output if self._mask is None else grad_output * self._mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
