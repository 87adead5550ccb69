"""Sequential: a network as a list of modules, backpropagated in reverse order.

Parameter names follow ``torch.nn.Sequential.state_dict()``: ``"<index>.weight"`` and
``"<index>.bias"``, where index is the layer's position in the Sequential. A state dict
therefore moves between the NumPy and PyTorch engines unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlpkit.errors import InvalidInputError
from mlpkit.numpy_engine.module import Module, Parameter


class Sequential(Module):
    def __init__(self, *layers: Module) -> None:
        for layer in layers:
            if not isinstance(layer, Module):
                raise InvalidInputError(
                    f"Sequential takes layers (Linear, ReLU, ...), got {type(layer).__name__}."
                )
        self.layers = list(layers)
        self._first_learning = next(       # where a backward pass without dL/dx may stop
            (i for i, layer in enumerate(self.layers) if layer.named_parameters()), 0)

    def train(self, mode: bool = True) -> Sequential:
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = False) -> np.ndarray | None:
        """Chain rule, last layer first. dLoss/dInput is returned only when asked for; without
        it the pass stops at the first layer with parameters (what lies before it, such as
        the bins' encoding, has nothing to learn), which returns no input gradient either."""
        first = 0 if need_input_grad else self._first_learning
        grad: np.ndarray | None = grad_output
        for index in range(len(self.layers) - 1, first - 1, -1):
            grad = self.layers[index].backward(grad, need_input_grad=index > first or
                                               need_input_grad)
        return grad

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [
            (f"{index}.{name}", param)
            for index, layer in enumerate(self.layers)
            for name, param in layer.named_parameters()
        ]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, keyed as PyTorch keys ``nn.Sequential`` parameters."""
        return {name: param.data.copy() for name, param in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, np.ndarray]) -> None:
        """Copy arrays in (keeping their dtype); keys and shapes must match exactly."""
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(params))
        if missing or unexpected:
            raise InvalidInputError(
                f"State dict does not match the network: missing keys {missing}, "
                f"unexpected keys {unexpected}."
            )
        arrays = {name: np.array(state_dict[name], copy=True) for name in params}
        for name, param in params.items():
            if arrays[name].shape != param.data.shape:
                raise InvalidInputError(
                    f"State dict entry {name!r} has shape {arrays[name].shape}, "
                    f"the network expects {param.data.shape}."
                )
        for name, param in params.items():
            param.data = arrays[name]
            param.grad = None

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"
