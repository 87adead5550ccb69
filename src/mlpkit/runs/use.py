"""Using a saved model: ``mlpkit evaluate`` and ``mlpkit predict``.

A user's file is a sequence of (frame, where) chunks: read whole, it is one chunk; with
``--stream``, one chunk at a time in bounded memory. Everything after the reading is one path
(the model's own encoding, ``TrainedModel.features``; one metric implementation; one
prediction table), so a streamed prediction equals the in-memory one row for row.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.config import RunConfig
from mlpkit.data import Dataset, load_dataset
from mlpkit.data.tables.chunks import CHUNK_BYTES, ChunkedTable
from mlpkit.data.tables.surprises import Surprises
from mlpkit.errors import DataWarning, InvalidInputError
from mlpkit.io import atomic
from mlpkit.model import TrainedModel
from mlpkit.runs.folder import read_config
from mlpkit.runs.metrics import MetricsAccumulator, metrics_of

Frames = Iterator[tuple[Any, str]]      # (a pandas frame of rows, where they are: for errors)


def file_frames(path: str | Path, stream: bool = False,
                chunk_bytes: int | None = None) -> tuple[list[str], Frames]:
    """(the file's column names, its rows as frames): the whole file as one frame, or with
    ``stream`` a chunk at a time."""
    if stream:
        table = ChunkedTable(path, chunk_bytes or CHUNK_BYTES)
        return table.columns, ((frame, table.where(chunk)) for chunk, frame in table.frames())
    from mlpkit.data.tables.read import read_csv

    frame = read_csv(path)
    return [str(c) for c in frame.columns], iter([(frame, str(path))])


def scored(model: TrainedModel, frames: Frames, target: str, engine: str | None = None,
           device: str = "auto", source: str = "the test rows",
           strict: bool = False) -> dict[str, Any]:
    """Metrics over labelled rows (in the target's units); rows without a target value are
    left out of the scores and counted as ``rows_without_target``."""
    classification = model.task == "classification"
    metrics = MetricsAccumulator(model.schema.class_names if classification else None)
    surprises = Surprises(strict)
    dropped = 0
    for frame, where in frames:
        rows = frame.dropna(subset=[target])
        dropped += len(frame) - len(rows)
        if not len(rows):
            continue
        X = model.features(rows, where, surprises)
        y = model.class_indices(rows[target], where) if classification else \
            numeric_target(rows[target], target, where)
        metrics.add(y, model.predict_output(X, engine, device))
    if not metrics.n:
        raise InvalidInputError(f"No row has a value in the target column {target!r}; there "
                                "is nothing to score.")
    surprises.say(source)
    result = metrics.result()
    if dropped:
        result["rows_without_target"] = dropped
    return result


def numeric_target(series, target: str, where: str) -> np.ndarray:
    """A regression target to score against, in the file's own precision."""
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce")
    if values.isna().any():
        raise InvalidInputError(f"Target column {target!r} in '{where}' must be numeric, with "
                                "no missing values, to evaluate a regression model.")
    return values.to_numpy(np.float64)


def evaluate(folder: str | Path, dataset: str | None = None,
             dataset_options: dict[str, Any] | None = None, engine: str | None = None,
             device: str = "auto", strict: bool = False) -> dict[str, Any]:
    """Metrics of a saved model: on its run's test split, on a built-in dataset's test split,
    or on every row of a CSV or Parquet file (read through the model's own encoding).
    ``strict``: refuse a file's rows with a gap or category that training never had."""
    folder = Path(folder)
    model = TrainedModel.load(folder)
    options = dict(dataset_options or {})
    if dataset == "csv":
        path, target = options.pop("path"), options.pop("target", None)
        stream, chunk_bytes = options.pop("stream", False), options.pop("chunk_bytes", None)
        if options:
            raise InvalidInputError(f"evaluate reads a file through the model's own encoding; "
                                    f"{sorted(options)} do not apply (only --target).")
        columns, frames = file_frames(path, stream, chunk_bytes)
        target = target or model.schema.target
        if target is None or target not in columns:
            raise InvalidInputError(f"'{path}' has no target column {target!r}; name it with "
                                    "--target.")
        return scored(model, frames, target, engine, device, str(path), strict)
    data = _saved_test_split(folder) if dataset is None else load_dataset(dataset, **options)
    if not isinstance(data, Dataset):      # a streamed run: its own hashed test rows
        return scored(model, data.test_frames(), data.target, engine, device)
    if data.n_features != model.spec.n_inputs:
        raise InvalidInputError(
            f"Dataset {data.name!r} has {data.n_features} features, but the model expects "
            f"{model.spec.n_inputs}.")
    if model.task == "classification" and data.class_names != model.schema.class_names:
        raise InvalidInputError(
            f"Dataset {data.name!r} has classes {data.class_names[:10]}, but the model was "
            f"trained on {model.schema.class_names[:10]}.")
    return metrics_of(model, model.predict_output(data.X_test, engine, device), data.y_test)


def _saved_test_split(folder: Path):
    if not (folder / "config.toml").is_file():
        raise InvalidInputError(
            f"'{folder}' has no config.toml (a model saved from Python), so it has no test split "
            "of its own; pass --csv FILE or --dataset NAME to evaluate it.")
    run = RunConfig.from_toml_dict(read_config(folder))
    return load_dataset(run.dataset, **run.dataset_options)


def predict(folder: str | Path, input_csv: str | Path, output_csv: str | Path,
            engine: str | None = None, device: str = "auto", overwrite: bool = False,
            stream: bool = False, chunk_bytes: int | None = None, strict: bool = False) -> int:
    """Write one row per input row: the prediction, then class probabilities. Returns rows.

    The output's folder is created if missing; the file appears whole or not at all (an error
    mid-stream leaves nothing). ``stream``: a chunk at a time (any size). ``strict``: refuse
    rows with a gap or a category that training never had, instead of warning once."""
    model = TrainedModel.load(folder)
    output_csv = Path(output_csv)
    atomic.refuse_existing(output_csv, overwrite)
    if output_csv.is_dir() or (output_csv.parent.exists() and not output_csv.parent.is_dir()):
        raise InvalidInputError(f"Cannot write '{output_csv}': a folder or file is in the way; "
                                "choose another -o.")
    columns, frames = file_frames(input_csv, stream, chunk_bytes)
    unused = [c for c in columns if c not in model.input_columns]
    output_csv.parent.mkdir(parents=True, exist_ok=True)
    rows, surprises = 0, Surprises(strict)
    with atomic.writing(output_csv) as temp, \
            temp.open("w", encoding="utf-8", newline="") as out:
        for frame, where in frames:
            features = model.features(frame, where, surprises)    # missing columns refused
            if unused and rows == 0:
                warnings.warn(f"'{input_csv}' has column(s) {unused[:10]} that the model does "
                              "not use; they are ignored.", DataWarning, stacklevel=2)
            result = prediction_frame(model, model.predict_output(features, engine, device))
            result.to_csv(out, index=False, header=rows == 0)
            rows += len(result)
    surprises.say(str(input_csv))
    return rows


def prediction_frame(model: TrainedModel, output: np.ndarray):
    """The prediction columns: the label (or a value per target), then class probabilities."""
    import pandas as pd

    if model.task == "regression" and output.ndim == 2:      # several targets: a column each
        return pd.DataFrame(output, columns=[f"prediction_{k}" for k in range(output.shape[1])])
    result = pd.DataFrame({"prediction": model.predict_labels(output)})
    if model.task != "regression":
        for k, name in enumerate(model.schema.class_names):
            result[f"p_{name}"] = output[:, k]
    return result
