"""fit(): the one training loop, for both engines.

Epochs, seeded reshuffled minibatches, the validation split, sample and class weights,
history and callbacks live here; the engine's stepper does only the maths of a step.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from mlpkit.config import TrainConfig
from mlpkit.data.batching import minibatch_indices
from mlpkit.data.preprocessing import stratified_split
from mlpkit.errors import InvalidInputError
from mlpkit.training.callbacks import Callback, NanGuard, TrainingState
from mlpkit.training.history import History
from mlpkit.training.stepper import Stepper


def sample_weights(y: np.ndarray, sample_weight: np.ndarray | None, class_weight,
                   n_classes: int) -> np.ndarray | None:
    """Per-sample weights from ``sample_weight`` times ``class_weight`` (None: unweighted)."""
    weights = None if sample_weight is None else np.asarray(sample_weight, np.float64)
    if class_weight is None:
        return weights
    if class_weight == "balanced":   # n / (k * count_c), as in scikit-learn
        counts = np.bincount(y, minlength=n_classes).astype(np.float64)
        per_class = np.where(counts > 0, len(y) / (n_classes * np.maximum(counts, 1)), 0.0)
    else:
        per_class = np.ones(n_classes)
        for cls, weight in class_weight.items():
            if not 0 <= int(cls) < n_classes:
                raise InvalidInputError(
                    f"class_weight names class {cls!r}, but there are {n_classes} classes "
                    f"(0 to {n_classes - 1}).")
            per_class[int(cls)] = weight
    by_class = per_class[y]
    return by_class if weights is None else by_class * weights


def check_batch_size(batch_size: int | None, n_samples: int) -> None:
    if batch_size is not None and batch_size > n_samples:
        raise InvalidInputError(
            f"batch_size {batch_size} is larger than the {n_samples} training samples; use a "
            "smaller size, or 'full' (--batch-size full) for full-batch gradient descent.")


def holdout(X: np.ndarray, y: np.ndarray, fraction: float, seed: int, stratify: bool,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices (train, validation) of a seeded (stratified) split, and nothing copied yet."""
    rows = np.arange(len(y))
    train_rows, val_rows, _, _ = stratified_split(rows, y, fraction, seed, stratify=stratify)
    return np.sort(train_rows), np.sort(val_rows), rows


def snapshot(stepper: Stepper, rng: np.random.Generator, callbacks: Sequence[Callback],
             state: TrainingState) -> tuple[dict[str, np.ndarray], dict]:
    """Everything at an epoch boundary that the rest of the run depends on: weights, optimizer
    buffers, random generators, callback states, history. Restored, the run continues exactly."""
    arrays, stepper_meta = stepper.training_state()
    arrays = {f"stepper/{k}": v for k, v in arrays.items()}
    meta = {"epoch": len(state.history), "history": list(state.history),
            "best_epoch": state.best_epoch, "batch_rng": rng.bit_generator.state,
            "stepper": stepper_meta, "callbacks": {}}
    for callback in callbacks:
        cb_arrays, values = callback.state_dict()
        name = type(callback).__name__
        if cb_arrays or values:
            meta["callbacks"][name] = values
            arrays.update({f"callback/{name}/{k}": v for k, v in cb_arrays.items()})
    return arrays, meta


def restore(saved: tuple[dict[str, np.ndarray], dict], stepper: Stepper,
            rng: np.random.Generator, callbacks: Sequence[Callback], state: TrainingState) -> None:
    """The inverse of ``snapshot``."""
    arrays, meta = saved
    stepper.load_training_state({k[8:]: v for k, v in arrays.items() if k.startswith("stepper/")},
                                meta["stepper"])
    rng.bit_generator.state = meta["batch_rng"]
    state.history[:] = meta["history"]
    state.best_epoch = meta["best_epoch"]
    for callback in callbacks:
        name = type(callback).__name__
        if name in meta["callbacks"]:
            prefix = f"callback/{name}/"
            callback.load_state_dict({k[len(prefix):]: v for k, v in arrays.items()
                                      if k.startswith(prefix)}, meta["callbacks"][name])


def fit(stepper: Stepper, X: np.ndarray, y: np.ndarray, config: TrainConfig, *,
        n_classes: int = 0, validation: tuple[np.ndarray, np.ndarray] | None = None,
        sample_weight: np.ndarray | None = None, callbacks: Sequence[Callback] = (),
        state: TrainingState | None = None,
        resume_from: tuple[dict[str, np.ndarray], dict] | None = None) -> TrainingState:
    """Train ``stepper`` on (X, y); returns the final state (history, why it stopped).

    ``resume_from`` is a ``snapshot`` of an earlier, interrupted fit with the same data and
    config: training continues from its epoch as if it had never stopped."""
    classification = n_classes > 0
    if validation is None and config.val_fraction > 0:
        train_rows, val_rows, _ = holdout(X, y, config.val_fraction, config.seed, classification)
        validation = (X[val_rows], y[val_rows])
        X, y = X[train_rows], y[train_rows]
        sample_weight = None if sample_weight is None else np.asarray(sample_weight)[train_rows]
    check_batch_size(config.batch_size, len(y))
    weights = sample_weights(y, sample_weight, config.class_weight if classification else None,
                             n_classes)
    stepper.bind(X, y, weights)

    rng = np.random.default_rng(config.seed)
    state = state or TrainingState(stepper=stepper, history=History(), epochs=config.epochs)
    callbacks = [NanGuard(), *callbacks]
    if resume_from is not None:
        restore(resume_from, stepper, rng, callbacks, state)
    state.snapshot = lambda: snapshot(stepper, rng, callbacks, state)
    for callback in callbacks:
        callback.on_train_begin(state)
    for epoch in range(len(state.history) + 1, config.epochs + 1):
        started = time.perf_counter()
        lr = stepper.lr
        batches = list(minibatch_indices(len(y), config.batch_size, rng))
        result = stepper.train_epoch(batches, should_stop=lambda: state.interrupt_requested)
        if not result.completed:
            state.interrupted = True
            break
        record = {"epoch": epoch, "train_loss": result.loss, "train_accuracy": result.accuracy,
                  "val_loss": None, "val_accuracy": None, "lr": lr}
        if validation is not None:
            record["val_loss"], record["val_accuracy"] = stepper.evaluate(*validation)
        record["seconds"] = time.perf_counter() - started
        state.history.append(record)
        for callback in callbacks:
            callback.on_epoch_end(state, record)
        if state.stop_training:
            break
    for callback in callbacks:
        callback.on_train_end(state)
    return state
