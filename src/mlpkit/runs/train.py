"""``mlpkit train``: a new run, or a resumed one, into its run folder.

A run folder holds config.toml (enough to run it again), model.safetensors + model.json,
history.csv, metrics.json, plots/ and report.html. Training is assembled by
``training.session.Session`` (as for the estimators); this module only decides what goes into
the folder. Every input is checked before the folder is created; an unexpected failure
removes the folder; an interrupted run keeps its last checkpoint.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.config import RunConfig
from mlpkit.data import Dataset, Standardizer, load_dataset
from mlpkit.data.tables.stream import StreamedTable
from mlpkit.diagnostics.doctor import diagnose
from mlpkit.diagnostics.evidence import Finding
from mlpkit.diagnostics.statistics import DIAGNOSTICS, layer_statistics
from mlpkit.errors import InvalidInputError
from mlpkit.io import atomic
from mlpkit.io.atomic import json_safe
from mlpkit.io.checkpoints import CHECKPOINT, load_training_checkpoint, save_training_checkpoint
from mlpkit.io.model_files import n_parameters
from mlpkit.model import TrainedModel
from mlpkit.runs.baselines import score_baselines
from mlpkit.runs.folder import create_run_folder, read_config, write_config
from mlpkit.runs.metrics import metrics_of
from mlpkit.runs.use import scored
from mlpkit.torch_engine.distributed import Group, join, membership
from mlpkit.training.session import Session, Split
from mlpkit.training.state import TrainingState

STREAM_FILES = "stream_files.json"     # a streamed run's data files: names, sizes, times


@dataclass
class TrainOutcome:
    folder: Path
    state: TrainingState
    metrics: dict[str, Any] | None      # None when interrupted (or on a rank that does not write)
    processes: int = 1                  # > 1: a distributed run (torchrun)
    main: bool = True                   # False on the ranks of a distributed run that do not write
    findings: list[Finding] = field(default_factory=list)   # the doctor's, diagnosed once


def start(run: RunConfig, group: Group | None = None, data: Dataset | None = None,
          ) -> tuple[Dataset, Session, Split]:
    """Load the data (unless given: a sweep's trials share it, untouched), build the session
    and prepare the split: every check, no folder yet. Under torchrun every rank does the same
    (same data, split, scaler); a streamed table's passes run on rank 0, shared with all."""
    def load():
        return load_dataset(run.dataset, **run.dataset_options)

    streamed = bool(run.dataset_options.get("stream"))
    shared = data is not None
    if not shared:
        data = group.from_main(load) if streamed and group is not None else load()
    session = Session(run, data.schema(), group=group)
    if run.animate and (data.n_features != 2 or data.task != "classification" or streamed):
        raise InvalidInputError(
            f"--animate draws the decision boundary of 2-D classification data; {data.name!r} "
            f"has {data.n_features} features ({data.task}{', streamed' if streamed else ''}). "
            "Drop --animate or use a 2-D set such as moons, circles, blobs, xor or spirals.")
    if streamed:
        return data, session, session.prepare_stream(data)
    split = session.prepare(data.X_train, data.y_train, copy=shared)   # ours unless shared
    # The split holds the training rows now: let the loaded matrix go (on MNIST, 188 MB),
    # then build the engine (torch's libraries) and check it, still before any folder exists.
    if not shared:
        data = replace(data, X_train=data.X_train[:0].copy(), y_train=data.y_train[:0].copy())
    session.build_engine()
    return data, session, split


def train(run: RunConfig, out: str | Path | None = None, root: str | Path = "runs",
          progress: bool | None = None) -> TrainOutcome:
    """A new run: check everything, create the folder, train, write metrics and plots. Under
    torchrun every rank trains its share and rank 0 alone creates and writes the folder."""
    group = join(run.device)
    with membership(group):
        data, session, split = start(run, group)

        def make_folder() -> Path:
            return create_run_folder(out, root, data.name)

        folder = make_folder() if group is None else group.from_main(make_folder)
        try:
            if session.main:
                write_config(folder, session.config.to_toml_dict())
                if split.stream is not None:       # what --resume checks it streams again
                    atomic.write_text(folder / STREAM_FILES,
                                      json.dumps(data.table.fingerprint(), indent=1))
            return _execute(session, folder, data, split, progress, None)
        except BaseException:
            if session.main and not (folder / CHECKPOINT).exists():   # nothing worth keeping
                shutil.rmtree(folder, ignore_errors=True)
            raise


def resume(folder: str | Path, epochs: int | None = None,
           progress: bool | None = None) -> TrainOutcome:
    """Continue an interrupted run from its last checkpoint, exactly as if it had not stopped;
    ``epochs`` extends a finished run. Under torchrun every rank restores the same checkpoint
    (with any number of processes: the global batch is the same)."""
    folder = Path(folder)
    saved = load_training_checkpoint(folder)
    run = RunConfig.from_toml_dict(read_config(folder))
    if epochs is not None:
        run = run.with_options({"epochs": epochs})
    done = saved[1]["epoch"]
    if done >= run.train.max_epochs:
        raise InvalidInputError(
            f"Run '{folder}' has already trained {done} of its {run.train.max_epochs} epochs; "
            f"pass --epochs N with N > {done} to train it further.")
    group = join(run.device)
    with membership(group):
        data, session, split = start(run, group)
        if split.stream is not None:
            _check_same_files(folder, data)
        if session.main:
            write_config(folder, session.config.to_toml_dict())
        return _execute(session, folder, data, split, progress, saved)


def _check_same_files(folder: Path, data: StreamedTable) -> None:
    """A streamed run resumes only on the files it started on (same names, sizes, times):
    its checkpoint's position in the stream means nothing in other data."""
    recorded = folder / STREAM_FILES
    if recorded.is_file() and json.loads(recorded.read_text()) != data.table.fingerprint():
        raise InvalidInputError(
            f"The data of run '{folder}' changed since it started ('{data.table.path}' has "
            "other files, sizes or times); resume needs the same data, or start a new run.")


def _execute(session: Session, folder: Path, data: Dataset, split: Split,
             progress: bool | None, resume_from) -> TrainOutcome:
    """Train, then (the writing process only) checkpoint, metrics, plots and report."""
    main, processes = session.main, 1 if session.group is None else session.group.world
    statistics = layer_statistics(session, split) if main else None

    def save_checkpoint(state: TrainingState) -> None:
        save_training_checkpoint(folder, *state.snapshot())   # one file: the resume point
        save_model(session, folder, state, statistics)

    animation = None
    if session.config.animate and main:
        from mlpkit.viz.animate import DecisionBoundaryAnimation

        animation = DecisionBoundaryAnimation(data.X_test, data.y_test,
                                              session.config.train.max_epochs,
                                              to_inputs=_scaling(session.scaler))
    state = session.fit(split, [c for c in (animation, statistics) if c is not None],
                        progress=progress if main else False, handle_signals=True,
                        checkpoint=save_checkpoint if main else None, resume_from=resume_from)
    if state.interrupted or not main:
        return TrainOutcome(folder, state, None, processes, main)
    save_training_checkpoint(folder, *state.snapshot())   # final weights (the best ones)
    metrics, findings = write_results(session, folder, data, split, state, statistics,
                                      animation)
    return TrainOutcome(folder, state, metrics, processes, findings=findings)


def save_model(session: Session, folder: Path, state: TrainingState, statistics) -> None:
    """The model files, history.csv and the per-layer statistics, as they stand."""
    session.model().save(folder)
    atomic.write_text(folder / "history.csv", state.history.to_csv_text())
    if statistics is not None:
        atomic.write_text(folder / DIAGNOSTICS, json.dumps(statistics.summary()))


def write_results(session: Session, folder: Path, data: Dataset, split: Split,
                  state: TrainingState, statistics=None, animation=None,
                  ) -> tuple[dict[str, Any], list[Finding]]:
    """What a trained run's folder holds besides its config: the model, history, metrics.json,
    the doctor's findings, plots/ and report.html (a finished run, or the playground's export)."""
    save_model(session, folder, state, statistics)
    model = session.model()
    metrics = {} if split.stream else {"train": split_metrics(model, split.X, split.y)}
    if split.X_val is not None:
        metrics["val"] = split_metrics(model, split.X_val, split.y_val)
    metrics["test"] = scored(model, data.test_frames(), data.target) if split.stream \
        else metrics_of(model, model.predict_output(data.X_test), data.y_test)
    metrics["data"] = _data_summary(data, split, metrics)
    config = session.config
    if config.baselines and data.encoder is not None and not split.stream and \
            model.task != "multilabel" and np.ndim(split.y) == 1:
        metrics["baselines"] = score_baselines(model, split.X, split.y, data.X_test,
                                               data.y_test, config.train.seed, session.seconds)
    metrics["run"] = {"epochs": len(state.history), "best_epoch": state.best_epoch,
                      "stop_reason": state.stop_reason, "seconds": session.seconds,
                      "engine": config.engine,
                      "device": str(getattr(session.stepper, "device", "cpu")),
                      "threads": session.threads(),
                      "processes": 1 if session.group is None else session.group.world,
                      "parameters": n_parameters(session.spec)}
    atomic.write_text(folder / "metrics.json", json.dumps(json_safe(metrics), indent=2))
    findings = diagnose(folder)
    _figures_and_report(folder, state, model, data, split, session.scaler, metrics, animation,
                        findings)
    return metrics, findings


def split_metrics(model: TrainedModel, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """The metrics of rows of a split (scaled as the network sees them), in the data's units,
    through the model every door predicts with (as the test rows are)."""
    return metrics_of(model, model.predict_scaled(X), model.to_target_units(y))


def _scaling(scaler: Standardizer | None):
    return (lambda X: X) if scaler is None else scaler.transform


def _data_summary(data: Dataset | StreamedTable, split: Split,
                  metrics: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"name": data.name, "description": data.description,
                               "n_features": len(data.feature_names)}
    if data.encoder is not None:         # a CSV: every column's role, and what was done
        summary["columns"] = [list(row) for row in data.encoder.describe()]
        summary["notes"] = data.encoder.notes
    if split.stream is not None:
        statistics = split.stream.statistics
        summary["stream"] = {"rows": data.table.n_rows, "chunks": len(data.table.chunks),
                             "train_rows": len(split.stream),
                             "validation_share": statistics.validation_share}
    if data.task == "classification":
        def counts(y: np.ndarray | None) -> list[int] | None:
            return None if y is None else np.bincount(y, minlength=data.n_classes).tolist()

        parts = {"train": counts(split.y), "val": counts(split.y_val),
                 "test": np.sum(metrics["test"]["confusion_matrix"], axis=1).tolist()}
        if split.stream is not None:
            parts["train"] = split.stream.statistics.class_counts.tolist()
        summary["class_counts"] = {name: c for name, c in parts.items() if c is not None}
    return summary


def _figures_and_report(folder: Path, state: TrainingState, model: TrainedModel, data: Dataset,
                        split: Split, scaler: Standardizer | None, metrics: dict[str, Any],
                        animation, findings: list[Finding]) -> None:
    """plots/*.png (and the animation), in the data's own units, then report.html."""
    from mlpkit.viz import plots
    from mlpkit.viz.report import build_report

    figures = folder / "plots"
    figures.mkdir(exist_ok=True)
    plots.plot_history(state.history, figures / "curves.png")
    names = model.schema.class_names
    if model.task == "classification":
        plots.plot_confusion_matrix(metrics["test"]["confusion_matrix"], names,
                                    figures / "confusion_matrix.png")
        if data.n_features == 2 and split.X is not None:
            X_train = split.X if scaler is None else scaler.inverse_transform(split.X)
            plots.plot_dataset(X_train, split.y, data.X_test, data.y_test, names,
                               figures / "dataset.png")
            plots.plot_decision_regions(lambda grid: model.predict_output(grid).argmax(axis=1),
                                        data.X_test, data.y_test, names,
                                        figures / "decision_regions.png")
    if animation is not None:
        animation.save(figures / "animation.gif")
    build_report(folder, findings)
