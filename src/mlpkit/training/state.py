"""TrainingState: what the loop and its callbacks share while a run trains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlpkit.training.history import History


@dataclass
class TrainingState:
    stepper: Any
    history: History
    epochs: int
    stop_training: bool = False
    stop_reason: str | None = None
    interrupt_requested: bool = False    # set from a signal handler: stop after this batch
    interrupted: bool = False
    best_epoch: int | None = None
    restored: bool = False               # this fit continues from a checkpoint
    snapshot: Callable[[], tuple[dict, dict]] | None = None   # everything an exact resume needs
    extra: dict = field(default_factory=dict)
