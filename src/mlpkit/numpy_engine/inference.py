"""The NumPy engine's forward-only network: what a loaded model predicts with (no optimizer,
no random numbers drawn). ``NumpyStepper`` trains it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mlpkit.config import MLPSpec
from mlpkit.engines.contract import chunks
from mlpkit.numpy_engine.activations import Softmax
from mlpkit.numpy_engine.layers import Dropout
from mlpkit.numpy_engine.models import build_mlp


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))      # no overflow for large |z|


class NumpyNetwork:
    """Forward passes only: no optimizer, no loss. Built with zero weights unless ``rng`` is
    given, so loading a model draws no random numbers. Parameters are ``dtype`` (float32, or
    float64 for float64 data)."""

    def __init__(self, spec: MLPSpec, task: str, rng: np.random.Generator | int | None = None,
                 dtype: np.dtype | type = np.float32) -> None:
        self.task, self.dtype, self.link = task, np.dtype(dtype), spec.link
        self.spec = spec
        self.model = build_mlp(spec if rng is not None else replace(spec, init="zeros"),
                               rng if rng is not None else 0, dtype=self.dtype)

    @np.errstate(over="ignore", invalid="ignore")
    def _outputs(self, X: np.ndarray) -> np.ndarray:
        self.model.eval()
        return np.concatenate([self.model(chunk) for chunk in chunks(X)])

    def predict_output(self, X: np.ndarray) -> np.ndarray:
        out = self._outputs(X)
        if self.task == "classification":
            return Softmax().forward(out)
        if self.task == "multilabel":
            return _sigmoid(out)
        if self.link == "log":                          # the Poisson loss's mean: exp(out)
            with np.errstate(over="ignore"):
                out = np.exp(out)
        return out[:, 0] if out.shape[1] == 1 else out

    def state_dict(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()

    def dropouts(self) -> list[Dropout]:
        return [layer for layer in self.model.layers if isinstance(layer, Dropout)]

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.model.load_state_dict({k: np.asarray(v, self.dtype) for k, v in state.items()})
