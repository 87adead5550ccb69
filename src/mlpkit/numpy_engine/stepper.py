"""The NumPy engine's side of the shared training loop: the network of ``inference.py``, trained."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.engines.contract import EpochResult, StepperBase
from mlpkit.numpy_engine.embedding import PeriodicEmbedding
from mlpkit.numpy_engine.ensemble import Average, Members
from mlpkit.numpy_engine.inference import NumpyNetwork
from mlpkit.numpy_engine.layers import Dropout, Linear, Scaling
from mlpkit.numpy_engine.losses import CrossEntropyLoss, get_loss, row_argmax
from mlpkit.numpy_engine.optim import get_optimizer
from mlpkit.numpy_engine.piecewise import PiecewiseLinear


class NumpyStepper(StepperBase, NumpyNetwork):
    def __init__(self, spec: MLPSpec, task: str, config: TrainConfig,
                 dtype: np.dtype | type = np.float32) -> None:
        super().__init__(spec, task, config.seed, dtype)      # (a seed: see build_mlp)
        self._set_up_training(config, self.model.named_parameters(),
                              get_optimizer)
        self.measure = get_loss(self.criterion)      # what evaluate reports
        self.loss = CrossEntropyLoss(smoothing=self.label_smoothing) \
            if self.label_smoothing else self.measure     # what training minimises

    def bind(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> None:
        self._X, self._y = X, self._target_array(y)
        self._w = None if sample_weight is None else sample_weight.astype(self.dtype)

    def _backward(self, rows: np.ndarray | slice) -> tuple[float, np.ndarray, np.ndarray]:
        """Gradients of the loss on ``rows`` (plus the alpha and l1 penalties) into ``.grad``;
        returns (loss, outputs, targets). An ensemble's outputs are each member's, as rows
        of their own: the loss is the members' mean and each member's gradient its own."""
        w = None if self._w is None else self._w[rows]
        y = self._y[rows]
        self.model.zero_grad()
        out = self.model(self._X[rows])
        y, w = self._each_member(y, w)
        loss = self.loss(out, y, w)
        self.model.backward(self.loss.backward() * self.members if self.members > 1
                            else self.loss.backward())
        if self.alpha or self.l1:       # + (alpha/2 ||W||^2 + l1 ||W||_1) / (rows' weight)
            total = len(out) if w is None else float(w.sum())
            ridge, lasso = self.alpha / total, self.l1 / total
            for p in self.penalised:
                if self.alpha:
                    p.grad += (ridge * self.members) * p.data
                    loss += 0.5 * ridge * float(np.vdot(p.data, p.data))
                if self.l1:
                    p.grad += (lasso * self.members) * np.sign(p.data)
                    loss += lasso * float(np.abs(p.data).sum())
        return loss, out, y

    def _correct(self, out: np.ndarray, target: np.ndarray) -> int:
        if self.classification:
            return int(np.count_nonzero(row_argmax(out) == target))
        return int(np.count_nonzero(((out > 0) == (target > 0.5)).all(axis=1)))   # multi-label

    @np.errstate(over="ignore", invalid="ignore")   # divergence is the NanGuard's to report
    def train_epoch(self, batches: Sequence[np.ndarray],
                    should_stop: Callable[[], bool], local: bool = False) -> EpochResult:
        self.model.train()
        total, correct, seen = 0.0, 0, 0
        completed = True
        for k, index in enumerate(batches):     # index arrays, or ALL_ROWS: views, no copy
            loss, out, target = self._backward(index)
            self.optimizer.step()
            total += loss * len(out)
            if self.task != "regression":
                correct += self._correct(out, target)
            seen += len(out)
            if should_stop():
                completed = k == len(batches) - 1
                break
        accuracy = correct / max(seen, 1) if self.task != "regression" else None
        return EpochResult(total / max(seen, 1), accuracy, completed, seen // self.members)

    @np.errstate(over="ignore", invalid="ignore")
    def full_batch_gradients(self) -> tuple[float, dict[str, np.ndarray]]:
        self.model.train()
        loss, _, _ = self._backward(slice(None))     # (an ensemble: its members' summed loss)
        return loss * self.members, {name: p.grad for name, p in self.model.named_parameters()}

    @np.errstate(over="ignore", invalid="ignore")
    def probe(self, X: np.ndarray, y: np.ndarray) -> tuple[dict[str, np.ndarray], list]:
        """(loss gradient per parameter, each hidden activation's outputs) on rows X, in
        evaluation mode: what diagnostics measure; no random draw, no training state moves."""
        self.model.eval()
        activations, out = [], X
        for layer in self.model.layers:
            out = layer(out)
            if not isinstance(layer, Linear | Dropout | PeriodicEmbedding | PiecewiseLinear |
                              Members | Average | Scaling):
                activations.append(out)
        self.model.zero_grad()
        self.measure(out, self._target_array(y))
        self.model.backward(self.measure.backward())
        return {name: p.grad.copy() for name, p in self.model.named_parameters()}, activations

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        out = self._outputs(X)
        target = self._target_array(y)
        value = self.measure(out, target)
        accuracy = self._correct(out, target) / len(out) if self.task != "regression" else None
        return value, accuracy

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Weights, optimizer buffers and dropout generators: what an exact resume needs."""
        optimizer = self.optimizer
        optimizer_state = {} if optimizer is None else optimizer.state_dict()
        arrays, scalars = self.pack(self.state_dict(), optimizer_state)
        generators = [layer.rng.bit_generator.state for layer in self.dropouts()]
        return arrays, {"lr": self.lr, "scalars": scalars, "dropout_rngs": generators}

    def load_training_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        weights, optimizer_state = self.unpack(arrays, meta["scalars"])
        self.load_state_dict(weights)
        if self.optimizer is not None:
            self.optimizer.load_state_dict(optimizer_state)
            self.lr = meta["lr"]
        for layer, state in zip(self.dropouts(), meta["dropout_rngs"]):
            layer.rng.bit_generator.state = state
