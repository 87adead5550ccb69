"""scikit-learn's validation score, epoch by epoch: what its early stopping watches and what
``validation_scores_`` lists (accuracy for a classifier, R² for a regressor, as ``score()``)."""

from __future__ import annotations

import math
from collections.abc import Callable

from mlpkit.training.callbacks import Callback
from mlpkit.training.state import TrainingState

EpochScore = Callable[[TrainingState, dict], float]


class ValidationScore(Callback):
    """Adds ``val_score`` to each epoch's record; an epoch whose loss diverged has none (NaN),
    as scikit-learn's score of non-finite weights."""

    def __init__(self, score: EpochScore) -> None:
        self.score = score

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        losses = (record["train_loss"], record["val_loss"])
        diverged = not all(value is not None and math.isfinite(value) for value in losses)
        record["val_score"] = math.nan if diverged else float(self.score(state, record))


def watched_score(record: dict) -> float:
    return record["val_score"]
