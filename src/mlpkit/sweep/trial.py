"""One trial of a sweep: draw its options, train it through the one session and loop, score it
on the validation rows (never the test rows), and leave a small run folder behind.

A trial's folder ``DIR/trials/NNNN/`` holds ``config.toml`` (which reruns it), ``history.csv``
and ``metrics.json`` (train and validation only); only the best trial's weights are kept, in
``DIR/best/``, retrained from that config (``sweep/results.py``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.config import RunConfig
from mlpkit.data import Dataset
from mlpkit.io import atomic
from mlpkit.io.atomic import json_safe
from mlpkit.runs import train as run_folder
from mlpkit.runs.folder import write_config
from mlpkit.sweep.space import SearchSpace
from mlpkit.training.callbacks import Callback
from mlpkit.training.state import TrainingState

TRIALS = "trials"


class PruningReport(Callback):
    """Each epoch's validation loss goes to the Optuna trial (its pruner compares it with the
    other trials' at the same epoch); training stops when the pruner calls the trial hopeless
    or the sweep's deadline (a ``time.time()``) has passed."""

    def __init__(self, trial, deadline: float | None) -> None:
        self.trial, self.deadline = trial, deadline
        self.reset()

    def reset(self) -> None:
        self.stopped: str | None = None

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        epoch, loss = record["epoch"], record.get("val_loss")
        if loss is not None and np.isfinite(loss):
            self.trial.report(float(loss), epoch)
            if self.trial.should_prune():
                self.stopped = f"pruned at epoch {epoch} (validation loss {loss:.4g})"
        if self.stopped is None and self.deadline is not None and time.time() >= self.deadline:
            self.stopped = f"stopped by the time limit at epoch {epoch}"
        if self.stopped is not None:
            state.stop_training, state.stop_reason = True, self.stopped


def objective_value(task: str, val: dict[str, Any]) -> float:
    """The number Optuna minimises: the validation error rate, or the validation RMSE."""
    return 1.0 - val["accuracy"] if task == "classification" else val["rmse"]


def training_rows(data: Dataset, run: RunConfig) -> int | None:
    """The rows a trial trains on (its batch sizes must not exceed them); None when streamed."""
    y = getattr(data, "y_train", None)
    return None if y is None else int(len(y) * (1 - run.train.val_fraction))


def run_trial(trial, base: RunConfig, space: SearchSpace, data: Dataset, out: Path,
              deadline: float | None) -> float:
    """Train one trial and return its objective value; raise ``optuna.TrialPruned`` when the
    pruner or the deadline stopped it. The options drawn are in ``trial.params``; the whole
    run's config.toml is kept as the user attribute ``config`` (any machine can rerun it)."""
    import optuna

    run = base.with_options(space.suggest(trial, training_rows(data, base),
                                          base.train.optimizer))
    _, session, split = run_folder.start(run, None, data)
    config = session.config.to_toml_dict()        # the engine resolved, as best/ writes it
    trial.set_user_attr("config", config)
    report = PruningReport(trial, deadline)
    state = session.fit(split, [report], progress=False)
    model = session.model()
    metrics = {} if split.X is None else {      # a streamed table's rows stay on disk
        "train": run_folder.split_metrics(model, split.X, split.y)}
    metrics |= {"val": run_folder.split_metrics(model, split.X_val, split.y_val),
                "run": {"epochs": len(state.history), "best_epoch": state.best_epoch,
                        "stop_reason": state.stop_reason, "seconds": session.seconds}}
    folder = out / TRIALS / f"{trial.number:04d}"
    folder.mkdir(parents=True, exist_ok=True)
    write_config(folder, config)
    atomic.write_text(folder / "history.csv", state.history.to_csv_text())
    atomic.write_text(folder / "metrics.json", json.dumps(json_safe(metrics), indent=2))
    val, task = metrics["val"], session.schema.task
    trial.set_user_attr("val_loss", _finite(val["loss"] if "loss" in val else val["mse"]))
    trial.set_user_attr("val_accuracy" if task == "classification" else "val_r2",
                        _finite(val["accuracy"] if task == "classification" else val["r2"]))
    trial.set_user_attr("epochs", len(state.history))
    trial.set_user_attr("seconds", round(session.seconds, 3))
    if report.stopped is not None:
        trial.set_user_attr("stopped", report.stopped)
        raise optuna.TrialPruned(report.stopped)
    return objective_value(task, val)


def _finite(value: float) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None
