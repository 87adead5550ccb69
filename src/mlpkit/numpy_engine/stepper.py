"""The NumPy engine's side of the shared training loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlpkit.config import MLPSpec, TrainConfig, loss_for
from mlpkit.numpy_engine.activations import Softmax
from mlpkit.numpy_engine.layers import Dropout
from mlpkit.numpy_engine.losses import get_loss
from mlpkit.numpy_engine.models import build_mlp
from mlpkit.numpy_engine.optim import get_optimizer
from mlpkit.training.stepper import EpochResult

EVAL_CHUNK = 8192   # rows per forward pass when evaluating: bounds memory on large sets


class NumpyStepper:
    def __init__(self, spec: MLPSpec, task: str, config: TrainConfig) -> None:
        self.classification = task == "classification"
        self.model = build_mlp(spec, np.random.default_rng(config.seed))
        loss = loss_for(task, config.loss)          # MSE for a classifier: softmax vs one-hot
        self.loss = get_loss("softmax_mse" if self.classification and loss == "mse" else loss)
        self.optimizer = get_optimizer(config.optimizer, self.model.parameters(),
                                       **config.optimizer_kwargs())

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.optimizer.lr = value

    def _target(self, y: np.ndarray) -> np.ndarray:
        return y if self.classification else y.reshape(-1, 1).astype(np.float32)

    def bind(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> None:
        self._X, self._y = X, self._target(y)
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

    @np.errstate(over="ignore", invalid="ignore")
    def _outputs(self, X: np.ndarray) -> np.ndarray:
        self.model.eval()
        return np.concatenate([self.model(X[i:i + EVAL_CHUNK])
                               for i in range(0, len(X), EVAL_CHUNK)])

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        out = self._outputs(X)
        value = self.loss(out, self._target(y))
        accuracy = float(np.mean(out.argmax(axis=1) == y)) if self.classification else None
        return value, accuracy

    def predict_output(self, X: np.ndarray) -> np.ndarray:
        out = self._outputs(X)
        return Softmax().forward(out) if self.classification else out[:, 0]

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Weights, optimizer buffers and dropout generators: what an exact resume needs."""
        arrays = {f"model/{k}": v for k, v in self.model.state_dict().items()}
        steps = {}
        for i, state in enumerate(self.optimizer.state):
            for key, value in state.items():
                if isinstance(value, np.ndarray) and key != "scratch":
                    arrays[f"optim/{i}/{key}"] = value.copy()
                elif key == "step":
                    steps[str(i)] = value
        generators = [layer.rng.bit_generator.state for layer in self.model.layers
                      if isinstance(layer, Dropout)]
        return arrays, {"lr": self.lr, "steps": steps, "dropout_rngs": generators}

    def load_training_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("model/")})
        self.optimizer.state = [{} for _ in self.optimizer.params]
        for name, value in arrays.items():
            if name.startswith("optim/"):
                _, index, key = name.split("/")
                self.optimizer.state[int(index)][key] = value.copy()
        for index, step in meta["steps"].items():
            self.optimizer.state[int(index)]["step"] = step
        dropouts = [layer for layer in self.model.layers if isinstance(layer, Dropout)]
        for layer, state in zip(dropouts, meta["dropout_rngs"]):
            layer.rng.bit_generator.state = state
        self.lr = meta["lr"]

    def state_dict(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.model.load_state_dict({k: np.asarray(v, np.float32) for k, v in state.items()})
