"""Callbacks: objects with no-op hooks that the loop calls at fixed points.

Lifecycle, per fit: ``reset()`` (forget the previous fit; skipped when a checkpoint was just
restored), ``on_train_begin``, ``on_batch_end`` after every optimizer step (only callbacks that
define it are called: the loop pays nothing otherwise), ``on_epoch_end`` after every epoch,
``on_train_end``. So one
callback object can serve several fits and behaves the same in each. A callback that wants
training to end sets ``state.stop_training`` (and says why in ``state.stop_reason``); nothing
raises, so the loop always finishes its bookkeeping. In a checkpoint a callback's state is
keyed by ``key`` (its class name unless set; the loop numbers repeats).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from mlpkit.training.state import TrainingState

if TYPE_CHECKING:
    from mlpkit.config import TrainConfig


class Callback:
    key: str | None = None

    def reset(self) -> None:
        """Forget everything learned in a previous fit."""

    def on_train_begin(self, state: TrainingState) -> None:
        pass

    def state_dict(self) -> tuple[dict[str, np.ndarray], dict]:
        """(arrays, plain values) to carry across an interrupted run; empty when stateless."""
        return {}, {}

    def load_state_dict(self, arrays: dict[str, np.ndarray], values: dict) -> None:
        pass

    def on_batch_end(self, state: TrainingState) -> None:
        """After each optimizer step (minibatch training; L-BFGS has no batches)."""

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        pass

    def on_train_end(self, state: TrainingState) -> None:
        pass


def _monitored(record: dict) -> float:
    """Validation loss when there is a validation set, else training loss."""
    value = record.get("val_loss")
    return record["train_loss"] if value is None else value


class EarlyStopping(Callback):
    """Stop when the monitored loss has not improved by ``min_delta`` for ``patience`` epochs.

    It watches the validation loss when there is validation data, and then restores the best
    weights; otherwise the training loss (convergence, as scikit-learn's MLP), keeping the last
    weights. ``restore_best=False`` never restores. ``adaptive`` (scikit-learn's adaptive
    schedule): divide the learning rate by 5 instead of stopping, until it falls to 1e-6.
    ``score``: watch this score of each epoch's record instead (higher is better, as
    scikit-learn's early stopping watches the validation accuracy or R²). ``scikit_learn``:
    its MLP's counting, for the estimators: the best moves on any improvement (only one by
    ``min_delta`` resets the count), and it stops when the count exceeds ``patience``.
    ``min_epochs``: no stop (nor adaptive step) before that epoch, however long the wait."""

    def __init__(self, patience: int, min_delta: float = 0.0, restore_best: bool = True,
                 adaptive: bool = False, score: Callable[[dict], float] | None = None,
                 scikit_learn: bool = False, min_epochs: int = 0) -> None:
        self.patience, self.min_delta, self.restore_best = patience, min_delta, restore_best
        self.min_epochs = min_epochs
        self.adaptive, self.score, self.scikit_learn = adaptive, score, scikit_learn
        self.reset()

    def reset(self) -> None:
        self.best, self.best_state, self.wait = math.inf, None, 0

    def state_dict(self) -> tuple[dict[str, np.ndarray], dict]:
        return dict(self.best_state or {}), {"best": self.best, "wait": self.wait}

    def load_state_dict(self, arrays: dict[str, np.ndarray], values: dict) -> None:
        self.best, self.wait = values["best"], values["wait"]
        self.best_state = arrays or None

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        value = _monitored(record) if self.score is None else -self.score(record)
        improved = value < self.best - self.min_delta
        if improved or self.scikit_learn and value < self.best:
            self.best = value
            if self.restore_best and record.get("val_loss") is not None:
                self.best_state = state.stepper.state_dict()
            state.best_epoch = record["epoch"]
        self.wait = 0 if improved else self.wait + 1
        exhausted = self.wait > self.patience if self.scikit_learn else \
            self.wait >= self.patience
        if exhausted and record["epoch"] >= self.min_epochs:
            if self.adaptive and state.stepper.lr > 1e-6:
                state.stepper.lr, self.wait = state.stepper.lr / 5.0, 0
            else:
                state.stop_training = True
                state.stop_reason = (f"early stopping: no improvement for {self.patience} epochs; "
                                     f"best epoch {state.best_epoch}")

    def on_train_end(self, state: TrainingState) -> None:
        if self.restore_best and self.best_state is not None:
            state.stepper.load_state_dict(self.best_state)


class NanGuard(Callback):
    """Stop as soon as the loss or the weights stop being finite; keep the last good weights."""

    def on_train_begin(self, state: TrainingState) -> None:
        self.good_state = state.stepper.state_dict()

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        weights = state.stepper.state_dict()
        losses = [record["train_loss"], record.get("val_loss")]
        finite = all(v is None or math.isfinite(v) for v in losses) and \
            all(np.isfinite(w).all() for w in weights.values())
        if finite:
            self.good_state = weights
            return
        state.stepper.load_state_dict(self.good_state)
        state.stop_training = True
        lower = "the learning rate" if record["lr"] is None else \
            f"the learning rate (it was {record['lr']:g})"
        state.stop_reason = (
            f"training diverged in epoch {record['epoch']} (the loss or weights became NaN or "
            f"infinite); kept the weights of epoch {record['epoch'] - 1}. Lower {lower} or "
            "scale the features.")


def coslog4(t: float) -> float:
    """RealMLP's schedule at t in [0, 1] of the run: 4 cosine cycles, evenly spaced in
    log2(1 + 15 t), each rising from 0 to 1 and back to 0 (a warm-up, then shorter cycles)."""
    return 0.5 - 0.5 * math.cos(2.0 * math.pi * math.log2(1.0 + 15.0 * t))


class LearningRateSchedule(Callback):
    """step: x0.1 every third of the run; cosine: to 0 over the run (its planned length,
    ``state.epochs``; a ``partial_fit`` sequence plans over ``max_iter`` calls); coslog4:
    ``coslog4`` at the middle of each epoch of the planned run; plateau: x0.1
    after 3 epochs without improvement of the monitored loss; invscaling (scikit-learn's):
    lr / (t + 1)^power_t after each epoch, t the rows trained on so far."""

    def __init__(self, kind: str, base_lr: float, power_t: float = 0.5) -> None:
        self.kind, self.base_lr, self.power_t = kind, base_lr, power_t
        self.reset()

    def reset(self) -> None:
        self.best, self.wait = math.inf, 0

    def state_dict(self) -> tuple[dict[str, np.ndarray], dict]:
        return {}, {"best": self.best, "wait": self.wait}

    def load_state_dict(self, arrays: dict[str, np.ndarray], values: dict) -> None:
        self.best, self.wait = values["best"], values["wait"]

    def on_train_begin(self, state: TrainingState) -> None:
        if self.kind == "coslog4":      # the first epoch's rate (later ones: on_epoch_end)
            self._coslog4(state, len(state.history))

    def _coslog4(self, state: TrainingState, done: int) -> None:
        total = state.epochs
        state.stepper.lr = self.base_lr * coslog4(min(done + 0.5, total) / total)

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        total = state.epochs
        done = min(record["epoch"], total)
        stepper = state.stepper
        if self.kind == "coslog4":
            self._coslog4(state, done)
        elif self.kind == "step":
            stepper.lr = self.base_lr * 0.1 ** (done // max(1, total // 3))
        elif self.kind == "cosine":
            stepper.lr = self.base_lr * 0.5 * (1.0 + math.cos(math.pi * done / total))
        elif self.kind == "invscaling":
            stepper.lr = self.base_lr / (stepper.samples_seen + 1) ** self.power_t
        else:
            value = _monitored(record)
            if value < self.best:
                self.best, self.wait = value, 0
            else:
                self.wait += 1
                if self.wait >= 3:
                    stepper.lr, self.wait = stepper.lr * 0.1, 0


def flat_cos(t: float) -> float:
    """RealMLP's regularisation schedule at t in [0, 1] of the run: 1 for the first half,
    then half a cosine down to 0 at the end."""
    return 1.0 if t <= 0.5 else 0.5 + 0.5 * math.cos(math.pi * (2.0 * t - 1.0))


class RegularizationSchedule(Callback):
    """flat_cos: dropout and weight decay at ``flat_cos`` of their set values, taken at the
    middle of each epoch, as coslog4 takes the rate, over ``span`` epochs (None: the planned
    run, ``state.epochs``); none after them."""

    def __init__(self, span: int | None = None) -> None:
        self.span = span

    def on_train_begin(self, state: TrainingState) -> None:
        self._regularize(state, len(state.history))

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        self._regularize(state, record["epoch"])

    def _regularize(self, state: TrainingState, done: int) -> None:
        total = self.span or state.epochs
        state.stepper.regularize(flat_cos(min(done + 0.5, total) / total))


def option_callbacks(train: TrainConfig, scikit_learn_stopping: bool) -> list[Callback]:
    """What the training options ask for: the schedules, then early stopping."""
    chain: list[Callback] = []
    if train.schedule and train.schedule != "adaptive":
        chain.append(LearningRateSchedule(train.schedule, train.lr, train.power_t))
    if train.regularization_schedule:     # early stopping: over the epochs sure to be trained
        chain.append(RegularizationSchedule(train.min_epochs if train.stopping_patience and
                                            train.min_epochs else None))
    if train.stopping_patience:
        chain.append(EarlyStopping(
            train.stopping_patience, min_delta=train.tol, min_epochs=train.min_epochs,
            adaptive=train.schedule == "adaptive", scikit_learn=scikit_learn_stopping))
    return chain


class Checkpoint(Callback):
    """Call ``save(state)`` after the first epoch and then at most every ``min_interval``
    seconds (each save fsyncs; thousands of tiny epochs must not become thousands of writes).
    ``state.checkpoint_epoch`` records the epoch last saved."""

    def __init__(self, save: Callable[[TrainingState], None], min_interval: float = 2.0) -> None:
        self.save, self.min_interval = save, min_interval
        self.reset()

    def reset(self) -> None:
        self.last = -math.inf

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        now = time.monotonic()
        if now - self.last >= self.min_interval:
            self.save(state)
            self.last = now
            state.checkpoint_epoch = record["epoch"]


class ProgressBar(Callback):
    """A tqdm bar over epochs with the latest metrics; silent when stderr is not a terminal."""

    def __init__(self, disable: bool | None = None) -> None:
        self.disable = disable

    def on_train_begin(self, state: TrainingState) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=state.epochs, initial=len(state.history), unit="epoch",
                        file=sys.stderr, disable=self.disable, dynamic_ncols=True)

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        if self.bar.disable:         # not a terminal: nothing to format (µs per tiny epoch)
            return
        shown = {k: f"{record[k]:.4g}" for k in ("train_loss", "val_loss", "val_accuracy")
                 if record.get(k) is not None}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)

    def on_train_end(self, state: TrainingState) -> None:
        self.bar.close()


class PrintIterations(Callback):
    """scikit-learn's ``verbose=True``: one line per iteration on stdout."""

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        print(f"Iteration {record['epoch']}, loss = {record['train_loss']:.8f}")
        if record.get("val_accuracy") is not None:
            print(f"Validation score: {record['val_accuracy']:f}")
        elif record.get("val_loss") is not None:
            print(f"Validation loss: {record['val_loss']:f}")

    def on_train_end(self, state: TrainingState) -> None:
        if state.stop_reason:
            print(state.stop_reason[0].upper() + state.stop_reason[1:] + ".")
