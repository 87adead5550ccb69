"""fit(): the one training loop, for both engines.

Epochs, seeded reshuffled minibatches, validation, history and callbacks live here; the engine's
stepper does only the maths of a step. What to train on (the holdout, the scaling, the
per-sample weights) has been decided before, once, by the training session.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import numpy as np

from mlpkit.config import TrainConfig
from mlpkit.data.batching import Part
from mlpkit.engines.contract import EpochResult, Stepper
from mlpkit.training.callbacks import Callback, NanGuard
from mlpkit.training.history import History
from mlpkit.training.state import TrainingState


def callback_keys(callbacks: Sequence[Callback]) -> list[str]:
    """A stable checkpoint key per callback: its ``key`` or class name, repeats numbered."""
    keys, seen = [], {}
    for callback in callbacks:
        base = callback.key or type(callback).__name__
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def snapshot(stepper: Stepper, rng: np.random.Generator, callbacks: Sequence[Callback],
             state: TrainingState) -> tuple[dict[str, np.ndarray], dict]:
    """Everything at an epoch boundary that the rest of the run depends on: weights, optimizer
    buffers, random generators, callback states, history. Restored, the run continues exactly."""
    arrays, stepper_meta = stepper.training_state()
    arrays = {f"stepper/{k}": v for k, v in arrays.items()}
    meta = {"epoch": len(state.history), "history": list(state.history),
            "best_epoch": state.best_epoch, "batch_rng": rng.bit_generator.state,
            "samples_seen": stepper.samples_seen,
            "stepper": stepper_meta, "callbacks": {}}
    for key, callback in zip(callback_keys(callbacks), callbacks):
        cb_arrays, values = callback.state_dict()
        if cb_arrays or values:
            meta["callbacks"][key] = values
            arrays.update({f"callback/{key}/{k}": v for k, v in cb_arrays.items()})
    return arrays, meta


def restore(saved: tuple[dict[str, np.ndarray], dict], stepper: Stepper,
            rng: np.random.Generator, callbacks: Sequence[Callback], state: TrainingState) -> None:
    """The inverse of ``snapshot``."""
    arrays, meta = saved
    stepper.load_training_state({k[8:]: v for k, v in arrays.items() if k.startswith("stepper/")},
                                meta["stepper"])
    rng.bit_generator.state = meta["batch_rng"]
    stepper.samples_seen = meta.get("samples_seen", 0)
    state.history[:] = meta["history"]
    state.best_epoch = meta["best_epoch"]
    for key, callback in zip(callback_keys(callbacks), callbacks):
        if key in meta["callbacks"]:
            prefix = f"callback/{key}/"
            callback.load_state_dict({k[len(prefix):]: v for k, v in arrays.items()
                                      if k.startswith(prefix)}, meta["callbacks"][key])
    state.restored = True


def fit(stepper: Stepper, rows, config: TrainConfig, *,
        validation: tuple[np.ndarray, np.ndarray] | None = None,
        callbacks: Sequence[Callback] = (), state: TrainingState | None = None,
        resume_from: tuple[dict[str, np.ndarray], dict] | None = None) -> TrainingState:
    """Train ``stepper`` on ``rows`` for at most ``config.max_epochs``; returns the final state.

    ``rows`` is an ``ArrayRows`` (arrays in memory, with their per-sample loss weights) or a
    ``StreamRows`` (a table streamed a chunk at a time): each epoch is a sequence of parts.
    ``validation`` is evaluated after every epoch. ``resume_from`` is a ``snapshot`` of an
    earlier, interrupted fit with the same data and config: training continues from its epoch
    as if it had never stopped."""
    rng = np.random.default_rng(config.seed)
    state, callbacks = begin(stepper, rows, config, callbacks, state, resume_from, rng)
    batch_size = config.batch_for(len(rows))
    watchers = [c for c in callbacks if type(c).on_batch_end is not Callback.on_batch_end]

    def should_stop() -> bool:
        for callback in watchers:
            callback.on_batch_end(state)
        return stepper.agree(state.interrupt_requested)

    try:
        for epoch in range(len(state.history) + 1, config.max_epochs + 1):
            started = time.perf_counter()
            lr = stepper.lr
            result = run_epoch(stepper, rows.epoch(rng if config.shuffle else None, batch_size),
                               should_stop)
            if not result.completed:
                state.interrupted = True
                break
            stepper.samples_seen += len(rows)
            end_epoch(state, callbacks, validation, started,
                      {"epoch": epoch, "train_loss": result.loss,
                       "train_accuracy": result.accuracy, "lr": lr})
            if state.stop_training:
                break
        finish(state, callbacks)
    finally:
        stepper.release()       # the training arrays (device copies too) are not kept
    return state


def run_epoch(stepper: Stepper, parts: Iterator[Part], should_stop) -> EpochResult:
    """Every part of an epoch in turn; the parts' losses and accuracies combined by rows (over
    every rank when the parts were each rank's own rows: their counts differ by rank)."""
    loss = correct = seen = 0.0
    completed, local = True, False
    for part in parts:
        if part.arrays is not None:
            stepper.bind(*part.arrays)
        result = stepper.train_epoch(part.batches, should_stop, local=part.local)
        loss += result.loss * result.rows
        correct += (result.accuracy or 0.0) * result.rows
        seen += result.rows
        local = local or part.local
        if not result.completed:
            completed = False
            break
    if local:
        loss, correct, seen = stepper.sum_over_ranks([loss, correct, seen])
    accuracy = None if stepper.task == "regression" else correct / max(seen, 1)
    return EpochResult(loss / max(seen, 1), accuracy, completed, int(seen))


def begin(stepper: Stepper, rows, config: TrainConfig, callbacks: Sequence[Callback],
          state: TrainingState | None, resume_from: tuple[dict, dict] | None,
          rng: np.random.Generator) -> tuple[TrainingState, list[Callback]]:
    """Bind the data, restore a snapshot if given, start every callback (a fresh ``reset``
    unless the fit continues from a checkpoint)."""
    rows.bind(stepper)
    state = state or TrainingState(stepper=stepper, history=History(), epochs=config.max_epochs)
    callbacks = [NanGuard(), *callbacks]
    if resume_from is not None:
        restore(resume_from, stepper, rng, callbacks, state)
    state.snapshot = lambda: snapshot(stepper, rng, callbacks, state)
    for callback in callbacks:
        if not state.restored:
            callback.reset()
        callback.on_train_begin(state)
    return state, callbacks


def end_epoch(state: TrainingState, callbacks: Sequence[Callback],
              validation: tuple[np.ndarray, np.ndarray] | None, started: float,
              record: dict) -> None:
    """Score the validation rows, append the epoch's record, run the callbacks."""
    record = {"val_loss": None, "val_accuracy": None, **record}
    if validation is not None:
        record["val_loss"], record["val_accuracy"] = state.stepper.evaluate(*validation)
    record["seconds"] = time.perf_counter() - started
    state.history.append(record)
    for callback in callbacks:
        callback.on_epoch_end(state, record)
    state.stop_training = state.stepper.agree(state.stop_training)    # all ranks, or none


def finish(state: TrainingState, callbacks: Sequence[Callback]) -> None:
    for callback in callbacks:
        callback.on_train_end(state)
