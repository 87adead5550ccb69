"""train / evaluate / predict as the command line runs them, on run folders.

A run folder holds config.toml (enough to run it again), model.safetensors + model.json,
history.csv, metrics.json and plots/. Every input is checked before the folder is created;
an unexpected failure removes the folder; an interrupted run keeps its last checkpoint.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.config import MLPSpec, RunConfig
from mlpkit.data import Dataset, Standardizer, load_dataset
from mlpkit.engines import default_engine, make_stepper, thread_limit
from mlpkit.errors import InvalidInputError
from mlpkit.io import atomic
from mlpkit.io.checkpoint import CHECKPOINT, load_training_checkpoint, save_training_checkpoint
from mlpkit.io.runs import create_run_folder, write_config
from mlpkit.model import TrainedModel
from mlpkit.training.callbacks import (
    Checkpoint,
    EarlyStopping,
    LearningRateSchedule,
    ProgressBar,
    TrainingState,
)
from mlpkit.training.history import History
from mlpkit.training.interrupt import stop_after_batch_on_signals
from mlpkit.training.loop import check_batch_size, fit, holdout
from mlpkit.training.metrics import classification_metrics, regression_metrics
from mlpkit.validation import check_positive


@dataclass
class TrainOutcome:
    folder: Path
    state: TrainingState
    metrics: dict[str, Any] | None      # None when interrupted


@dataclass
class Splits:
    """The arrays of one run: train (after the validation holdout), validation and test."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    X_test: np.ndarray
    y_test: np.ndarray


def prepare(run: RunConfig) -> tuple[Dataset, Standardizer | None, Splits]:
    """Load, scale (training statistics only) and hold out validation rows, as the run did.

    Each step replaces the arrays of the one before, so at most two copies of the training
    features exist at any moment (the returned Dataset refers to the final arrays)."""
    data = load_dataset(run.dataset, **run.dataset_options)
    scaler = None
    if run.scale:
        scaler = Standardizer.fit(data.X_train)
        data = replace(data, X_train=scaler.transform(data.X_train, copy=False),   # ours to change
                       X_test=scaler.transform(data.X_test, copy=False))
    X_val = y_val = None
    if run.train.val_fraction > 0:
        train_rows, val_rows, _ = holdout(data.X_train, data.y_train, run.train.val_fraction,
                                          run.train.seed, data.task == "classification")
        X_val, y_val = data.X_train[val_rows], data.y_train[val_rows]
        data = replace(data, X_train=data.X_train[train_rows], y_train=data.y_train[train_rows])
    return data, scaler, Splits(data.X_train, data.y_train, X_val, y_val, data.X_test,
                                data.y_test)


def _metrics(model: TrainedModel, stepper, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    output = stepper.predict_output(X)
    if model.task == "classification":
        return classification_metrics(y, output, model.class_names)
    return regression_metrics(y, output)


def train(run: RunConfig, out: str | Path | None = None, root: str | Path = "runs",
          progress: bool | None = None) -> TrainOutcome:
    """A new run: check everything, create the folder, train, write metrics and plots."""
    data, scaler, splits = prepare(run)
    run = replace(run, engine=run.engine or default_engine(run.device))
    spec, stepper = _build(run, data, splits)      # every check before any folder exists
    folder = create_run_folder(out, root, data.name)
    try:
        write_config(folder, run.to_toml_dict())
        return _execute(run, folder, data, scaler, splits, spec, stepper, progress, None)
    except BaseException:
        if not (folder / CHECKPOINT).exists():   # nothing worth keeping yet
            shutil.rmtree(folder, ignore_errors=True)
        raise


def resume(folder: str | Path, epochs: int | None = None,
           progress: bool | None = None) -> TrainOutcome:
    """Continue an interrupted run from its last checkpoint, exactly as if it had not stopped;
    ``epochs`` extends a finished run."""
    from mlpkit.io.runs import read_config

    folder = Path(folder)
    saved = load_training_checkpoint(folder)
    run = RunConfig.from_toml_dict(read_config(folder))
    if epochs is not None:
        run = replace(run, train=replace(run.train, epochs=epochs))
    done = saved[1]["epoch"]
    if done >= run.train.epochs:
        raise InvalidInputError(
            f"Run '{folder}' has already trained {done} of its {run.train.epochs} epochs; pass "
            f"--epochs N with N > {done} to train it further.")
    data, scaler, splits = prepare(run)
    spec, stepper = _build(run, data, splits)
    write_config(folder, run.to_toml_dict())
    return _execute(run, folder, data, scaler, splits, spec, stepper, progress, saved)


def _build(run: RunConfig, data: Dataset, splits: Splits):
    """The spec and the engine's stepper, with the checks that need the data's shape."""
    spec = MLPSpec(data.n_features, data.n_classes or 1, run.hidden, run.activation, run.init,
                   run.dropout)
    check_batch_size(run.train.batch_size, len(splits.y_train))
    if run.animate and (data.n_features != 2 or data.task != "classification"):
        raise InvalidInputError(
            f"--animate draws the decision boundary of 2-D classification data; {data.name!r} "
            f"has {data.n_features} features ({data.task}). Drop --animate or use a 2-D set "
            "such as moons, circles, blobs, xor or spirals.")
    if run.threads is not None:
        check_positive(run.threads, "threads", integer=True)
    return spec, make_stepper(run.engine, spec, data.task, run.train, run.device,
                              run.data_loader)


def _execute(run: RunConfig, folder: Path, data: Dataset, scaler: Standardizer | None,
             splits: Splits, spec: MLPSpec, stepper, progress: bool | None,
             resume_from) -> TrainOutcome:
    model = TrainedModel(spec, {}, data.task, data.class_names, data.feature_names, scaler,
                         data.encoder, run.engine)
    state = TrainingState(stepper=stepper, history=History(), epochs=run.train.epochs)

    def save_checkpoint(state: TrainingState) -> None:
        save_training_checkpoint(folder, *state.snapshot())   # one file: the resume point
        model.state_dict = stepper.state_dict()
        model.save(folder)
        atomic.write_text(folder / "history.csv", state.history.to_csv_text())

    callbacks = []
    if run.train.schedule:
        callbacks.append(LearningRateSchedule(run.train.schedule, run.train.lr))
    if run.train.patience:
        callbacks.append(EarlyStopping(run.train.patience))
    animation = None
    if run.animate:
        from mlpkit.viz.animate import DecisionBoundaryAnimation

        animation = DecisionBoundaryAnimation(splits.X_test, splits.y_test, run.train.epochs)
        callbacks.append(animation)
    callbacks += [Checkpoint(save_checkpoint, run.checkpoint_every),
                  ProgressBar(disable=None if progress is None else not progress)]
    validation = None if splits.X_val is None else (splits.X_val, splits.y_val)
    started = time.perf_counter()
    with stop_after_batch_on_signals(state), thread_limit(run.engine, run.threads):
        fit(stepper, splits.X_train, splits.y_train, run.train, n_classes=data.n_classes,
            validation=validation, callbacks=callbacks, state=state, resume_from=resume_from)
    seconds = time.perf_counter() - started
    if state.interrupted:
        return TrainOutcome(folder, state, None)
    save_checkpoint(state)     # final weights (the best ones, after early stopping)
    metrics = {"train": _metrics(model, stepper, splits.X_train, splits.y_train)}
    if splits.X_val is not None:
        metrics["val"] = _metrics(model, stepper, splits.X_val, splits.y_val)
    metrics["test"] = _metrics(model, stepper, splits.X_test, splits.y_test)
    metrics["data"] = _data_summary(data, splits)
    metrics["run"] = {"epochs": len(state.history), "best_epoch": state.best_epoch,
                      "stop_reason": state.stop_reason, "seconds": seconds,
                      "engine": run.engine, "device": str(getattr(stepper, "device", "cpu")),
                      "threads": run.threads, "parameters": spec.n_parameters()}
    atomic.write_text(folder / "metrics.json", json.dumps(_finite(metrics), indent=2))
    _figures_and_report(folder, state.history, model, stepper, data, splits, metrics, animation)
    return TrainOutcome(folder, state, metrics)


def _data_summary(data: Dataset, splits: Splits) -> dict[str, Any]:
    summary: dict[str, Any] = {"name": data.name, "description": data.description,
                               "n_features": data.n_features}
    if data.task == "classification":
        parts = {"train": splits.y_train, "val": splits.y_val, "test": splits.y_test}
        summary["class_counts"] = {name: np.bincount(y, minlength=data.n_classes).tolist()
                                   for name, y in parts.items() if y is not None}
    return summary


def _finite(value):
    """JSON has no NaN: non-finite numbers become null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _figures_and_report(folder: Path, history: History, model: TrainedModel, stepper,
                        data: Dataset, splits: Splits, metrics: dict[str, Any],
                        animation) -> None:
    """plots/*.png (and the animation), then report.html; skipped without matplotlib."""
    try:
        from mlpkit.viz import plots
        from mlpkit.viz.report import build_report
    except ImportError:           # matplotlib is optional at run time
        return
    figures = folder / "plots"
    figures.mkdir(exist_ok=True)
    plots.plot_history(history, figures / "curves.png")
    if model.task == "classification":
        plots.plot_confusion_matrix(metrics["test"]["confusion_matrix"], model.class_names,
                                    figures / "confusion_matrix.png")
        if data.n_features == 2:
            plots.plot_dataset(splits.X_train, splits.y_train, splits.X_test, splits.y_test,
                               model.class_names, figures / "dataset.png")
            plots.plot_decision_regions(lambda grid: stepper.predict_output(grid).argmax(axis=1),
                                        splits.X_test, splits.y_test, model.class_names,
                                        figures / "decision_regions.png")
    if animation is not None:
        animation.save(figures / "animation.gif")
    build_report(folder)


def evaluate(folder: str | Path, dataset: str | None = None,
             dataset_options: dict[str, Any] | None = None, engine: str | None = None,
             device: str = "auto") -> dict[str, Any]:
    """Metrics of a saved model: on its run's test split, or on another dataset / CSV file."""
    from mlpkit.io.runs import read_config

    model = TrainedModel.load(folder)
    if dataset is None:
        run = RunConfig.from_toml_dict(read_config(folder))
        data = load_dataset(run.dataset, **run.dataset_options)
    else:
        data = load_dataset(dataset, **(dataset_options or {}))
    if data.n_features != model.spec.n_inputs:
        raise InvalidInputError(
            f"Dataset {data.name!r} has {data.n_features} features, but the model expects "
            f"{model.spec.n_inputs}.")
    y = data.y_test
    if model.task == "classification":
        if data.class_names != model.class_names:
            raise InvalidInputError(
                f"Dataset {data.name!r} has classes {data.class_names[:10]}, but the model was "
                f"trained on {model.class_names[:10]}.")
        return classification_metrics(y, model.predict_output(data.X_test, engine, device),
                                      model.class_names)
    return regression_metrics(y, model.predict_output(data.X_test, engine, device))


def predict(folder: str | Path, input_csv: str | Path, output_csv: str | Path,
            engine: str | None = None, device: str = "auto", overwrite: bool = False) -> int:
    """Write one row per input row: the prediction, then class probabilities. Returns rows."""
    import pandas as pd

    from mlpkit.data.tabular import read_csv

    model = TrainedModel.load(folder)
    output_csv = Path(output_csv)
    if output_csv.exists() and not overwrite:
        raise InvalidInputError(
            f"Output file '{output_csv}' already exists; choose another -o or pass --overwrite.")
    frame = read_csv(input_csv)
    X = model.features_from_frame(frame, str(input_csv))
    output = model.predict_output(X, engine, device)
    result = pd.DataFrame({"prediction": model.predict_labels(output)})
    if model.task == "classification":
        for k, name in enumerate(model.class_names):
            result[f"p_{name}"] = output[:, k]
    atomic.write_text(output_csv, result.to_csv(index=False))
    return len(result)


def progression(dataset: str = "blobs", dataset_options: dict[str, Any] | None = None,
                hidden: tuple[int, ...] = (2,), activation: str = "sigmoid", lr: float = 0.2,
                epochs: int = 1000, device: str = "auto", seed: int = 0,
                out: str | Path | None = None, root: str | Path = "runs"):
    """The PyTorch refactoring path on a built-in dataset: six stages from the same initial
    weights; writes progression.csv and progression.png; returns (folder, results)."""
    from mlpkit.numpy_engine.models import build_mlp
    from mlpkit.torch_engine.device import resolve_device
    from mlpkit.torch_engine.progression import run_progression
    from mlpkit.validation import check_positive

    check_positive(lr, "lr")
    check_positive(epochs, "epochs", integer=True)
    data = load_dataset(dataset, **(dataset_options or {}))
    if data.task != "classification":
        raise InvalidInputError(f"progression trains a classifier; {data.name!r} is a "
                                "regression set.")
    scaler = Standardizer.fit(data.X_train)
    spec = MLPSpec(data.n_features, data.n_classes, hidden, activation)
    weights = build_mlp(spec, np.random.default_rng(seed)).state_dict()
    init = [(weights[f"{i}.weight"], weights[f"{i}.bias"])
            for i, (kind, *_) in enumerate(spec.layers()) if kind == "linear"]
    torch_device = resolve_device(device)
    folder = create_run_folder(out, root, f"progression-{data.name}")
    results = run_progression(scaler.transform(data.X_train), data.y_train,
                              scaler.transform(data.X_test), data.y_test, init, lr, epochs,
                              activation, torch_device)
    import csv
    import io

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["epoch", *(r.name for r in results)])
    writer.writerows([e + 1, *(f"{r.losses[e]:.9g}" for r in results)] for e in range(epochs))
    atomic.write_text(folder / "progression.csv", text.getvalue())
    try:
        from mlpkit.viz.plots import plot_series

        plot_series({r.name: r.losses for r in results}, folder / "progression.png",
                    "training loss", title="six refactorings, one loss curve", log=True)
    except ImportError:
        pass
    return folder, results
