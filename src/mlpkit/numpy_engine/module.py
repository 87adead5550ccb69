"""Parameter and Module: the two types every piece of the NumPy engine is built from.

They mirror PyTorch's names (``parameters()``, ``zero_grad()``, ``forward``) so that the two
engines read alike. Gradients behave exactly as in PyTorch: ``zero_grad()`` sets ``grad`` to
None, the next backward pass stores a fresh gradient, and further passes accumulate into it.
"""

from __future__ import annotations

import numpy as np


class Parameter:
    """A learnable array and the gradient accumulated for it (like ``torch.nn.Parameter``)."""

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.grad: np.ndarray | None = None

    def accumulate(self, grad: np.ndarray) -> None:
        """Store ``grad``, or add it to the gradient already held (PyTorch's rule)."""
        if self.grad is None:
            self.grad = grad
        else:
            self.grad += grad

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """A differentiable step: ``forward`` caches what ``backward`` needs.

    ``backward(grad_output)`` receives dLoss/dOutput, adds this module's parameter gradients
    into ``.grad`` and returns dLoss/dInput. ``need_input_grad=False`` lets the first layer of a
    network skip a matrix product whose result nobody reads. ``train()`` / ``eval()`` switch
    the mode that dropout looks at, as in PyTorch.
    """

    training: bool = True

    def train(self, mode: bool = True) -> Module:
        self.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return []

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
