"""The small interface an engine supplies to the one training loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

import numpy as np


class EpochResult(NamedTuple):
    loss: float                 # mean training loss over the batches run (weighted if weights)
    accuracy: float | None      # running training accuracy; None for regression
    completed: bool             # False when should_stop() ended the epoch early


class Stepper(Protocol):
    """Everything engine-specific: the maths of a step and where the arrays live."""

    lr: float

    def bind(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> None:
        """Receive the training arrays once (the torch stepper moves them to its device)."""

    def train_epoch(self, batches: Sequence[np.ndarray],
                    should_stop: Callable[[], bool]) -> EpochResult:
        """One optimizer step per index array; the loss is read back once, at the end."""

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        """(loss, accuracy) in evaluation mode; accuracy None for regression."""

    def predict_output(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (n, n_classes), or predicted values (n,)."""

    def state_dict(self) -> dict[str, np.ndarray]: ...

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None: ...
