"""The NumPy engine's side of the shared training loop, and its forward-only network."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from mlpkit.config import MLPSpec, TrainConfig, loss_for
from mlpkit.numpy_engine.activations import Softmax
from mlpkit.numpy_engine.layers import Dropout
from mlpkit.numpy_engine.losses import get_loss
from mlpkit.numpy_engine.models import build_mlp
from mlpkit.numpy_engine.optim import get_optimizer
from mlpkit.training.stepper import EpochResult, StepperBase, chunks


class NumpyNetwork:
    """Forward passes only: no optimizer, no loss. Built with zero weights unless ``rng`` is
    given, so loading a model draws no random numbers."""

    def __init__(self, spec: MLPSpec, task: str,
                 rng: np.random.Generator | None = None) -> None:
        self.classification = task == "classification"
        self.model = build_mlp(spec if rng is not None else replace(spec, init="zeros"),
                               rng if rng is not None else 0)

    @np.errstate(over="ignore", invalid="ignore")
    def _outputs(self, X: np.ndarray) -> np.ndarray:
        self.model.eval()
        return np.concatenate([self.model(chunk) for chunk in chunks(X)])

    def predict_output(self, X: np.ndarray) -> np.ndarray:
        out = self._outputs(X)
        return Softmax().forward(out) if self.classification else out[:, 0]

    def state_dict(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.model.load_state_dict({k: np.asarray(v, np.float32) for k, v in state.items()})


class NumpyStepper(StepperBase, NumpyNetwork):
    def __init__(self, spec: MLPSpec, task: str, config: TrainConfig) -> None:
        super().__init__(spec, task, np.random.default_rng(config.seed))
        loss = loss_for(task, config.loss)          # MSE for a classifier: softmax vs one-hot
        self.loss = get_loss("softmax_mse" if self.classification and loss == "mse" else loss)
        self.optimizer = get_optimizer(config.optimizer, self.model.parameters(),
                                       **config.optimizer_kwargs())

    def bind(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> None:
        self._X, self._y = X, self._target_array(y)
        self._w = None if sample_weight is None else sample_weight.astype(np.float32)

    @np.errstate(over="ignore", invalid="ignore")   # divergence is the NanGuard's to report
    def train_epoch(self, batches: Sequence[np.ndarray],
                    should_stop: Callable[[], bool]) -> EpochResult:
        model, loss_fn, optimizer = self.model.train(), self.loss, self.optimizer
        X, y, w = self._X, self._y, self._w
        total, correct, seen = 0.0, 0, 0
        for index in batches:
            target = y[index]
            optimizer.zero_grad()
            out = model(X[index])
            total += loss_fn(out, target, None if w is None else w[index]) * len(index)
            model.backward(loss_fn.backward())
            optimizer.step()
            if self.classification:
                correct += int(np.count_nonzero(out.argmax(axis=1) == target))
            seen += len(index)
            if should_stop():
                break
        accuracy = correct / seen if self.classification else None
        return EpochResult(total / seen, accuracy, seen == len(X))

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        out = self._outputs(X)
        value = self.loss(out, self._target_array(y))
        accuracy = float(np.mean(out.argmax(axis=1) == y)) if self.classification else None
        return value, accuracy

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Weights, optimizer buffers and dropout generators: what an exact resume needs."""
        optimizer_state = {i: {k: v for k, v in state.items() if k != "scratch"}
                           for i, state in enumerate(self.optimizer.state)}
        arrays, scalars = self.pack(self.state_dict(), optimizer_state)
        generators = [layer.rng.bit_generator.state for layer in self.model.layers
                      if isinstance(layer, Dropout)]
        return arrays, {"lr": self.lr, "scalars": scalars, "dropout_rngs": generators}

    def load_training_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        weights, optimizer_state = self.unpack(arrays, meta["scalars"])
        self.load_state_dict(weights)
        self.optimizer.state = [optimizer_state.get(i, {})
                                for i in range(len(self.optimizer.params))]
        dropouts = [layer for layer in self.model.layers if isinstance(layer, Dropout)]
        for layer, state in zip(dropouts, meta["dropout_rngs"]):
            layer.rng.bit_generator.state = state
        self.lr = meta["lr"]
