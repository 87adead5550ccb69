"""Per-layer statistics while training: what ``mlpkit doctor`` reads to say what went wrong.

After an epoch, on a fixed sample of training rows (``PROBE_ROWS``, evaluation mode), the
engine's ``probe`` gives the loss gradient of every parameter and the outputs of every hidden
activation. From them, per layer: the gradient norm, the weight norm, the relative change of the
weights over the epoch (the update-to-weight ratio, per epoch), the share of ReLU units never
active on the sample (dead) and the share of sigmoid / tanh outputs within ``SATURATION_MARGIN``
of their bounds. Once, at the start: the inputs' scale as the network sees them, and the loss
of the best constant guess (the baseline an underfitting network barely beats). The cost is one
forward and backward pass over 512 rows a probed epoch: every one of the first
``DENSE_EPOCHS``, then every k-th (``probe_every``), so that on a small table the probe stays a
small share of the fit, as it is on MNIST (benchmarks/diagnostics_overhead.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mlpkit.io.atomic import json_safe
from mlpkit.tasks import loss_for
from mlpkit.training.callbacks import Callback
from mlpkit.training.state import TrainingState

PROBE_ROWS = 512
SATURATION_MARGIN = 0.01
BOUNDS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}     # saturating activations' limits
DIAGNOSTICS = "diagnostics.json"
DENSE_EPOCHS = 8            # probed one by one: where most runs go wrong
PROBE_SHARE = 0.05          # later, the probe's rows per epoch trained at most this share


def probe_every(probe_rows: int, train_rows: int) -> int:
    """k, the stride of the probed epochs after the first ``DENSE_EPOCHS``: a probe's rows
    (a forward and a backward pass, no update) over k epochs are at most ``PROBE_SHARE`` of
    the rows trained on. Every epoch from 10 240 training rows up; every 4th at 2 850."""
    return max(1, math.ceil(probe_rows / (PROBE_SHARE * max(train_rows, 1))))


def _norm(array: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(array, np.float64)))


def input_scale(X: np.ndarray, feature_names: Sequence[str]) -> dict:
    """Each feature's typical size as the network sees it, the median of |x| (below ~1.2 after
    standardising; a median, because a standardised pixel that is rarely on has a large root
    mean square on a small sample), the largest three named."""
    typical = np.median(np.abs(np.asarray(X, np.float64)), axis=0)
    order = np.argsort(-typical)[:3]
    return {"max_typical": float(typical.max(initial=0.0)),
            "largest": [[str(feature_names[i]), float(typical[i])] for i in order]}


def baseline_loss(task: str, loss: str, y: np.ndarray, weights: np.ndarray | None,
                  n_outputs: int, smoothing: float = 0.0) -> float | None:
    """The training loss of the best constant output: the class (or label) frequencies'
    entropy (under label smoothing: the smoothed frequencies'), the target's variance (mean
    squared error) or the half Poisson deviance of its mean; None where not defined."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    if task == "classification":
        p = np.bincount(y, weights=w, minlength=n_outputs) / w.sum()
        if loss == "mse":               # softmax vs one-hot, averaged over the classes
            return float((1.0 - np.sum(p * p)) / n_outputs)
        p = (1.0 - smoothing) * p + smoothing / n_outputs
        p = p[p > 0]
        return float(-np.sum(p * np.log(p)))
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    mean = np.average(y, axis=0, weights=w)
    if task == "multilabel":
        p = np.clip(mean, 1e-12, 1 - 1e-12)
        return float(-np.sum(p * np.log(p) + (1 - p) * np.log(1 - p)))
    if loss == "poisson":
        safe = np.where(y > 0, y, 1.0)
        deviance = np.where(y > 0, y * np.log(safe / np.maximum(mean, 1e-300)), 0) - y + mean
        return float(np.mean(np.average(deviance, axis=0, weights=w)))
    variance = float(np.mean(np.average(np.square(y - mean), axis=0, weights=w)))
    return variance / 2 if loss == "squared_error" else variance


class LayerStatistics(Callback):
    """Records the statistics above on the probed epochs (``every``: the stride after the
    first ``DENSE_EPOCHS``; 1: each epoch); ``summary()`` is diagnostics.json. The update ratio
    stays an epoch's: the weights are kept at the end of the epoch before a probed one."""

    key = "LayerStatistics"

    def __init__(self, X: np.ndarray, y: np.ndarray, activation: str | Sequence[str],
                 feature_names: Sequence[str], baseline: float | None, seed: int = 0,
                 every: int = 1) -> None:
        self.every = every
        rows = np.sort(np.random.default_rng(seed).permutation(len(X))[:PROBE_ROWS])
        self.X, self.y = X[rows], y[rows]
        self.activation, self.feature_names, self.baseline = activation, feature_names, baseline
        self.per_layer = None if isinstance(activation, str) else list(activation)
        self.reset()

    def reset(self) -> None:
        self.epochs: list[dict] = []
        self.inputs = input_scale(self.X, self.feature_names)

    def state_dict(self) -> tuple[dict[str, np.ndarray], dict]:
        return {}, {"epochs": self.epochs}

    def load_state_dict(self, arrays: dict[str, np.ndarray], values: dict) -> None:
        self.epochs = list(values["epochs"])

    def on_train_begin(self, state: TrainingState) -> None:
        self._previous = state.stepper.state_dict()

    def probed(self, epoch: int) -> bool:
        return epoch <= DENSE_EPOCHS or epoch % self.every == 0

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        if not self.probed(record["epoch"]):
            if self.probed(record["epoch"] + 1):
                self._previous = state.stepper.state_dict()
            return
        weights = state.stepper.state_dict()
        with np.errstate(over="ignore", invalid="ignore"):
            grads, activations = state.stepper.probe(self.X, self.y)
        names = [name[:-len(".weight")] for name in weights if name.endswith(".weight")]
        layers = []
        for number, name in enumerate(names, start=1):
            w = weights[f"{name}.weight"]
            layer = {"layer": number, "grad_norm": _norm(grads[f"{name}.weight"]),
                     "weight_norm": _norm(w),
                     "update_ratio": _norm(w - self._previous[f"{name}.weight"]) /
                     max(_norm(self._previous[f"{name}.weight"]), 1e-12)}
            if number <= len(activations):          # a hidden layer: its activation's health
                layer.update(self._activation_health(activations[number - 1], number - 1))
            layers.append(layer)
        self._previous = weights
        self.epochs.append({"epoch": record["epoch"], "layers": layers})

    def _activation_health(self, out: np.ndarray, layer: int) -> dict:
        activation = self.activation if self.per_layer is None else self.per_layer[layer]
        if activation == "relu":
            return {"dead": float(np.mean(~(out > 0).any(axis=0)))}
        if activation in BOUNDS:
            low, high = BOUNDS[activation]
            near = (out <= low + SATURATION_MARGIN) | (out >= high - SATURATION_MARGIN)
            return {"saturated": float(np.mean(near))}
        return {}

    def summary(self) -> dict:
        """What diagnostics.json holds (non-finite numbers as null)."""
        return json_safe({"probe_rows": len(self.X), "activation": self.activation,
                        "inputs": self.inputs, "baseline_loss": self.baseline,
                        "epochs": self.epochs})


def layer_statistics(session, split, every: int | None = None) -> LayerStatistics | None:
    """The per-layer statistics callback of a ``Session``, probing ``split``'s training rows (a
    streamed table's: its validation rows, the ones in memory); None without rows to probe.
    ``every``: the stride of the later probes (by default ``probe_every``'s)."""
    X, y, weights = (split.X, split.y, split.weights) if split.X is not None else \
        (split.X_val, split.y_val, None)
    if X is None or not len(X):
        return None
    task, config = session.schema.task, session.config
    baseline = baseline_loss(task, loss_for(task, config.train.loss), y, weights,
                             session.schema.n_outputs, session.stepper.label_smoothing)
    spec = session.spec
    activation = spec.activation if spec.activations is None else spec.activations
    if every is None:
        every = probe_every(min(PROBE_ROWS, len(X)), len(split.rows()))
    return LayerStatistics(X, y, activation, session.schema.feature_names,
                           baseline, config.train.seed, every)
