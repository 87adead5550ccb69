"""TrainingState: what the loop and its callbacks share while a run trains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlpkit.training.history import History


@dataclass
class TrainingState:
    stepper: Any
    history: History
    epochs: int                          # the planned length: schedules, the progress bar
    stop_training: bool = False
    stop_reason: str | None = None
    interrupt_requested: bool = False    # set from a signal handler: stop after this batch
    interrupted: bool = False
    best_epoch: int | None = None
    restored: bool = False               # this fit continues from a checkpoint
    snapshot: Callable[[], tuple[dict, dict]] | None = None   # everything an exact resume needs
    signal: int | None = None            # the signal that interrupted the run
    checkpoint_epoch: int | None = None  # the epoch the last checkpoint holds
    converged: bool | None = None        # L-BFGS: whether SciPy reported convergence
    solver_message: str | None = None    # ... and its words
