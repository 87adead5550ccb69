"""The engine contract: what the loop and prediction call, and what both engines share.

An engine supplies a ``Network`` (forward passes only: what a loaded model predicts with; no
optimizer, no random state touched) and a ``Stepper`` (a network that also trains: the maths
of an epoch, evaluation, and its exact training state for resume). ``NetworkBase`` and
``StepperBase`` hold what both engines would otherwise repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np

from mlpkit.tasks import criterion_for

EVAL_CHUNK = 8192   # rows per forward pass when predicting: bounds memory on large sets


class EpochResult(NamedTuple):
    loss: float                 # mean training loss over the batches run (weighted if weights)
    accuracy: float | None      # running training accuracy; None for regression
    completed: bool             # False when should_stop() ended the epoch early
    rows: int = 0               # rows trained on (under DDP: on every rank together)


class Network(Protocol):
    """A network that predicts: what ``TrainedModel`` needs from an engine."""

    def predict_output(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (n, n_classes), label probabilities (multi-label, (n, k)), or
        predicted values ((n,), or (n, k) for k targets), for scaled X."""

    def state_dict(self) -> dict[str, np.ndarray]: ...

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None: ...


class Stepper(Network, Protocol):
    """A network that trains: everything the loop, L-BFGS and the diagnostics call."""

    task: str                   # classification, multilabel or regression
    criterion: str              # tasks.criterion_for: the loss the outputs train against
    samples_seen: int           # rows trained on, over every fit (scikit-learn's t_)
    lr: float | None            # None for L-BFGS, which chooses its own steps

    def bind(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> None:
        """Receive the training arrays once (the torch stepper moves them to its device)."""

    def train_epoch(self, batches: Sequence[np.ndarray | slice],
                    should_stop: Callable[[], bool], local: bool = False) -> EpochResult:
        """One optimizer step per index array (or ``ALL_ROWS``: every row, in place); the loss
        is read back once, at the end. ``local`` (DDP): the batches are this rank's own rows,
        not global batches to slice."""

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        """(loss, accuracy) in evaluation mode; accuracy None for regression."""

    def probe(self, X: np.ndarray, y: np.ndarray) -> tuple[dict[str, np.ndarray], list]:
        """(loss gradient per state-dict entry, each hidden activation layer's outputs) on rows
        X in evaluation mode, changing nothing: what ``diagnostics/statistics.py`` measures."""

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """(arrays, plain values): weights, optimizer buffers, random generators."""

    def load_training_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        """The inverse of ``training_state``: continue exactly where it was taken."""

    def full_batch_gradients(self) -> tuple[float, dict[str, np.ndarray]]:
        """(loss, gradient per state-dict entry) over all the bound rows: what L-BFGS needs."""

    def release(self) -> None:
        """Drop the training arrays ``bind`` received."""

    def agree(self, flag: bool) -> bool:
        """``flag`` if it holds on any process of a distributed run (one process: itself)."""

    def sum_over_ranks(self, values: list[float]) -> list[float]:
        """Element-wise sums over the processes of a distributed run (one process: values)."""

    def parameter_vector(self) -> np.ndarray:
        """Every parameter in one float64 vector (L-BFGS)."""

    def load_parameter_vector(self, vector: np.ndarray) -> None:
        """The inverse of ``parameter_vector``."""

    def objective(self, vector: np.ndarray) -> tuple[float, np.ndarray]:
        """(loss, gradient) at ``vector`` over all the bound rows (L-BFGS)."""


def chunks(X: np.ndarray) -> Iterator[np.ndarray]:
    """Rows of X, EVAL_CHUNK at a time."""
    for start in range(0, len(X), EVAL_CHUNK):
        yield X[start:start + EVAL_CHUNK]


def lr_groups(named_parameters: list[tuple[str, Any]], lr: float,
              bias_factor: float) -> list[Any] | list[dict]:
    """The parameters as the optimizer takes them: all alike, or with a factor on the biases'
    learning rate, as ``torch.optim`` parameter groups (the weights first: the group whose lr
    is the run's). A bias moves a unit's whole output at once; RealMLP steps it 10 times as
    slowly."""
    if bias_factor == 1.0:
        return [p for _, p in named_parameters]
    biases = [p for name, p in named_parameters if name.endswith("bias")]
    rest = [p for name, p in named_parameters if not name.endswith("bias")]
    return [{"params": rest, "lr_factor": 1.0},
            {"params": biases, "lr": lr * bias_factor, "lr_factor": bias_factor}]


class StepperBase:
    """The learning rate, targets, the parameters as one vector (for L-BFGS) and the packing
    of training state, once.

    An engine's optimizer keeps ``param_groups`` as ``torch.optim`` does (ours imitates it);
    L-BFGS has none (``optimizer`` is None): SciPy drives the parameter vector instead."""

    task: str
    dtype: np.dtype
    optimizer: Any
    samples_seen: int = 0      # rows trained on, over every fit (scikit-learn's t_)

    def _set_up_training(self, config, named_parameters: Iterable[tuple[str, Any]],
                         make_optimizer: Callable[..., Any]) -> None:
        """What both engines derive from the config alike: the criterion, the L2 penalty on
        the weights (not the biases), and the optimizer (none for L-BFGS: SciPy steps)."""
        self.criterion = criterion_for(self.task, config.loss)
        self.label_smoothing = config.label_smoothing if self.criterion == "cross_entropy" \
            else 0.0        # (the other losses have no one-hot target to smooth)
        self.alpha, self.l1 = config.alpha, config.l1
        self.weight_decay = config.weight_decay       # (as set: a schedule scales it)
        named = list(named_parameters)
        self.penalised = [p for name, p in named if name.endswith("weight")]
        self.optimizer = None if config.full_batch_solver else \
            make_optimizer(config.optimizer, lr_groups(named, config.lr, config.bias_lr_factor),
                           **config.optimizer_kwargs())

    @property
    def classification(self) -> bool:
        return self.task == "classification"

    @property
    def lr(self) -> float | None:
        return None if self.optimizer is None else self.optimizer.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.optimizer.param_groups:        # (the biases' at their factor)
            group["lr"] = value * group.get("lr_factor", 1.0)

    def regularize(self, factor: float) -> None:
        """Dropout and weight decay at ``factor`` times their set values (a schedule's)."""
        for group in self.optimizer.param_groups:
            group["weight_decay"] = self.weight_decay * factor
        for layer in self.dropouts():          # (each engine's network lists its own)
            layer.p = self.spec.dropout * factor

    @property
    def members(self) -> int:
        """An ensemble's members (1: one network)."""
        return self.spec.ensemble

    def _each_member(self, y: Any, w: Any) -> tuple[Any, Any]:
        """Targets and weights repeated for each member's rows, as ``Average`` lays them out
        (row i K + k: row i, member k); NumPy arrays or tensors; as they are for one network."""
        k = self.members
        if k == 1:
            return y, w
        if isinstance(y, np.ndarray):
            return np.repeat(y, k, axis=0), None if w is None else np.repeat(w, k)
        return y.repeat_interleave(k, 0), None if w is None else w.repeat_interleave(k)

    def _target_array(self, y: np.ndarray) -> np.ndarray:
        """Class indices as they are; values (regression) and 0/1 indicators (multi-label) as
        a float matrix with one column per output."""
        return y if self.classification else np.asarray(y, self.dtype).reshape(len(y), -1)

    def release(self) -> None:
        self._X = self._y = self._w = None

    def agree(self, flag: bool) -> bool:
        return flag

    def sum_over_ranks(self, values: list[float]) -> list[float]:
        return values

    # ---- the parameters as one float64 vector, for SciPy's L-BFGS
    def parameter_vector(self) -> np.ndarray:
        return np.concatenate([v.ravel() for v in self.state_dict().values()]).astype(np.float64)

    def load_parameter_vector(self, vector: np.ndarray) -> None:
        state, start = {}, 0
        for name, value in self.state_dict().items():
            state[name] = vector[start:start + value.size].reshape(value.shape)
            start += value.size
        self.load_state_dict(state)

    def objective(self, vector: np.ndarray) -> tuple[float, np.ndarray]:
        """(loss, gradient) at ``vector`` over all the bound rows, as SciPy's minimize wants."""
        self.load_parameter_vector(vector)
        loss, grads = self.full_batch_gradients()
        return loss, np.concatenate([g.ravel() for g in grads.values()]).astype(np.float64)

    @staticmethod
    def pack(weights: dict[str, np.ndarray], optimizer_state: dict[int, dict[str, Any]],
             ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Weights and per-parameter optimizer state -> (named arrays, scalars by parameter)."""
        arrays = {f"model/{k}": v for k, v in weights.items()}
        scalars: dict[str, dict[str, Any]] = {}
        for index, entries in optimizer_state.items():
            for key, value in entries.items():
                if isinstance(value, np.ndarray) and value.ndim > 0:
                    arrays[f"optim/{index}/{key}"] = value.copy()
                else:
                    scalars.setdefault(str(index), {})[key] = \
                        value.item() if isinstance(value, np.ndarray | np.generic) else value
        return arrays, scalars

    @staticmethod
    def unpack(arrays: dict[str, np.ndarray], scalars: dict[str, dict[str, Any]],
               ) -> tuple[dict[str, np.ndarray], dict[int, dict[str, Any]]]:
        """The inverse of ``pack``."""
        weights = {k[6:]: v for k, v in arrays.items() if k.startswith("model/")}
        state: dict[int, dict[str, Any]] = {}
        for name, value in arrays.items():
            if name.startswith("optim/"):
                _, index, key = name.split("/")
                state.setdefault(int(index), {})[key] = value.copy()
        for index, values in scalars.items():
            state.setdefault(int(index), {}).update(values)
        return weights, state
