"""Element-wise activations and softmax, each forward beside its backward.

Each forward caches its output, from which the local derivative is cheapest to compute:
sigmoid' = s(1 - s), tanh' = 1 - t^2, relu' = [out > 0]. One array is allocated per call (the
output, which the caller keeps); the arithmetic runs in place on it.
"""

from __future__ import annotations

import numpy as np

from mlpkit.numpy_engine.module import Module, Parameter
from mlpkit.validation import resolve


class _Elementwise(Module):
    """Shared bookkeeping: forward stores ``self._output`` for backward."""

    _output: np.ndarray | None = None

    def _cached_output(self) -> np.ndarray:
        if self._output is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._output


class Sigmoid(_Elementwise):
    """s(z) = 1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2, which never overflows."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.multiply(x, 0.5)
        np.tanh(out, out=out)
        out += 1.0
        out *= 0.5
        self._output = out
        return out

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        s = self._cached_output()
        grad = np.subtract(1.0, s)      # 1 - s
        grad *= s                       # s (1 - s)
        grad *= grad_output             # chain rule
        return grad


class Tanh(_Elementwise):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self._output = np.tanh(x)
        return self._output

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        t = self._cached_output()
        grad = np.square(t)             # t^2
        np.subtract(1.0, grad, out=grad)  # 1 - t^2
        grad *= grad_output
        return grad


class ReLU(_Elementwise):
    """max(0, z); its derivative at exactly 0 is taken as 0, as PyTorch does."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._output = np.maximum(x, 0)
        return self._output

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        # times the mask rather than np.where, which branches on each element: on a mask
        # that is half true at random, 9 times slower (the same numbers, up to zeros' sign)
        return grad_output * (self._cached_output() > 0)


class SELU(_Elementwise):
    """lambda z for z > 0, lambda alpha (e^z - 1) otherwise (self-normalising); its derivative
    is lambda, or a + lambda alpha below 0 (from the output: lambda alpha e^z = a + lambda
    alpha)."""

    ALPHA, SCALE = 1.6732632423543772, 1.0507009873554805     # PyTorch's constants

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.expm1(np.minimum(x, 0))
        out *= self.ALPHA
        np.copyto(out, x, where=x > 0)
        out *= self.SCALE
        self._output = out
        return out

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        a = self._cached_output()
        grad = np.where(a > 0, self.SCALE, a + self.SCALE * self.ALPHA).astype(a.dtype)
        grad *= grad_output
        return grad


class Mish(_Elementwise):
    """z tanh(softplus(z)), smooth and non-monotone; its derivative
    tanh(sp) + z sech^2(sp) sigmoid(z), with sp = softplus(z) (so it keeps z, not a)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._input = x
        self._tanh = np.tanh(np.logaddexp(0, x))        # softplus without overflow
        self._output = x * self._tanh
        return self._output

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        self._cached_output()
        x, t = self._input, self._tanh
        sigmoid = 0.5 * (1.0 + np.tanh(0.5 * x))
        grad = t + x * (1.0 - t * t) * sigmoid
        grad *= grad_output
        return grad


class Identity(_Elementwise):
    """Passes values through: a linear hidden layer (``activation="identity"``)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        return grad_output


class Softmax(_Elementwise):
    """Row-wise softmax over classes (axis 1).

    Feed logits, not softmax outputs, to ``CrossEntropyLoss``: it applies softmax itself, and a
    second one squashes the gradients (the classic walk-throughs' slip). Use this layer to turn
    a trained network's logits into probabilities.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.subtract(x, x.max(axis=1, keepdims=True))  # shift: exp never overflows
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        self._output = out
        return out

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        s = self._cached_output()
        # Jacobian-vector product: ds_i/dz_j = s_i (delta_ij - s_j)  =>  s * (g - <g, s>)
        dot = np.sum(grad_output * s, axis=1, keepdims=True)
        return s * (grad_output - dot)


class Parametric(Module):
    """RealMLP's parametric activation: y = x + a (f(x) - x), a learned per unit from a = 1
    (f itself), so each unit can weaken its nonlinearity (a -> 0: linear) or sharpen it::

        dL/dx = (1 - a) g + f'(x) (a g)        dL/da = sum_n g (f(x) - x)
    """

    def __init__(self, name: str, units: int, dtype: type | np.dtype = np.float32) -> None:
        self.activation = get_activation(name)
        self.alpha = Parameter(np.ones(units, dtype=dtype))
        self._input: np.ndarray | None = None
        self._bent: np.ndarray | None = None        # f(x) - x

    def train(self, mode: bool = True) -> Parametric:
        self.training = mode
        self.activation.train(mode)
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._input = x
        self._bent = self.activation(x) - x
        return x + self.alpha.data * self._bent

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._bent is None:
            raise RuntimeError("Parametric.backward called before forward")
        alpha = self.alpha.data
        self.alpha.accumulate((grad_output * self._bent).sum(axis=0))
        if not need_input_grad:
            return None
        return grad_output * (1.0 - alpha) + self.activation.backward(grad_output * alpha)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("alpha", self.alpha)]

    def __repr__(self) -> str:
        return f"Parametric({self.activation!r}, units={len(self.alpha.data)})"


ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "identity": Identity,
    "selu": SELU,
    "mish": Mish,
    "softmax": Softmax,
}


def get_activation(name: str) -> Module:
    """A new activation layer by name ("sigmoid", "relu", ...)."""
    return resolve("activation", name, ACTIVATIONS)()
