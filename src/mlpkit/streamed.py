"""What a saved model does with a table streamed a chunk at a time: score it, predict it row
for row into a file, and ``mlpkit convert`` (CSV -> Parquet). Memory stays at one chunk.

Every chunk goes through the model's own encoding (``TrainedModel.features``), exactly as a
table in memory does, so a streamed prediction equals the in-memory one row for row.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.data.table_chunks import CHUNK_BYTES, ChunkedTable, is_parquet
from mlpkit.errors import DataWarning, InvalidInputError
from mlpkit.io import atomic
from mlpkit.model import TrainedModel
from mlpkit.training.metrics import MetricsAccumulator

PARQUET_ROW_GROUP = 65_536      # rows per row group that convert writes: a streaming chunk


def scored(model: TrainedModel, frames: Iterator[tuple[Any, str]], target: str,
           engine: str | None = None, device: str = "auto") -> dict[str, Any]:
    """Metrics over (frame, where) chunks of labelled rows."""
    classification = model.task == "classification"
    metrics = MetricsAccumulator(model.schema.class_names if classification else None)
    for frame, where in frames:
        if not len(frame):
            continue
        X = model.features(frame, where)
        y = model.class_indices(frame[target], where) if classification else \
            numeric_target(frame[target], target, where)
        metrics.add(y, model.predict_output(X, engine, device))     # in the target's units
    if not metrics.n:
        raise InvalidInputError("No row with a target value to score.")
    return metrics.result()


def numeric_target(series, target: str, where: str) -> np.ndarray:
    """A regression target to score against, in the file's own precision."""
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce")
    if values.isna().any():
        raise InvalidInputError(f"Target column {target!r} in '{where}' must be numeric, with "
                                "no missing values, to evaluate a regression model.")
    return values.to_numpy(np.float64)


def evaluate_file(model: TrainedModel, path: str | Path, target: str | None,
                  engine: str | None = None, device: str = "auto",
                  chunk_bytes: int = CHUNK_BYTES) -> dict[str, Any]:
    """Metrics over every labelled row of a CSV or Parquet file, streamed."""
    table = ChunkedTable(path, chunk_bytes)
    target = target or model.schema.target
    if target is None or target not in table.columns:
        raise InvalidInputError(f"'{path}' has no target column {target!r}; name it with "
                                "--target.")
    dropped = [0]

    def labelled() -> Iterator[tuple[Any, str]]:
        for chunk, frame in table.frames():
            rows = frame.dropna(subset=[target])
            dropped[0] += len(frame) - len(rows)
            yield rows, table.where(chunk)

    metrics = scored(model, labelled(), target, engine, device)
    if dropped[0]:
        metrics["rows_without_target"] = dropped[0]
    return metrics


def predict_file(model: TrainedModel, source: str | Path, output: Path,
                 engine: str | None = None, device: str = "auto",
                 chunk_bytes: int = CHUNK_BYTES) -> int:
    """One output row per input row, a chunk at a time, into ``output`` (renamed into place
    at the end: an error mid-stream leaves no half-written file). Returns the rows."""
    table = ChunkedTable(source, chunk_bytes)
    unused = [c for c in table.columns if c not in model.input_columns]
    if unused:
        warnings.warn(f"'{source}' has column(s) {unused[:10]} that the model does not use; "
                      "they are ignored.", DataWarning, stacklevel=2)
    rows = 0
    with atomic.writing(output) as temp, temp.open("w", encoding="utf-8", newline="") as out:
        for chunk, frame in table.frames():
            result = prediction_frame(model, model.predict_output(
                model.features(frame, table.where(chunk)), engine, device))
            result.to_csv(out, index=False, header=rows == 0)
            rows += len(result)
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


def convert(source: str | Path, destination: str | Path, overwrite: bool = False,
            chunk_bytes: int = CHUNK_BYTES) -> tuple[int, int]:
    """A CSV file as a Parquet file, streamed: each column's type is fixed by the first chunk
    (numbers as float64, so that a later chunk's gaps fit; text as text) and checked on every
    later chunk. Returns (rows, row groups)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, destination = Path(source), Path(destination)
    if is_parquet(source):
        raise InvalidInputError(f"'{source}' is Parquet already; convert reads a CSV file.")
    if destination.suffix.lower() != ".parquet":
        raise InvalidInputError(f"Write to a .parquet file, not '{destination}'.")
    if destination.exists() and not overwrite:
        raise InvalidInputError(f"'{destination}' already exists; choose another name or pass "
                                "--overwrite.")
    table = ChunkedTable(source, chunk_bytes)
    first = table.read(table.chunks[0])
    kinds = {c: "number" if pd.api.types.is_numeric_dtype(first[c]) else "text"
             for c in table.columns}
    dtypes = {c: str for c, kind in kinds.items() if kind == "text"}
    schema = pa.schema([(c, pa.string() if kinds[c] == "text" else pa.float64())
                        for c in table.columns])
    destination.parent.mkdir(parents=True, exist_ok=True)
    rows = groups = 0
    with atomic.writing(destination) as temp:
        with pq.ParquetWriter(temp, schema) as writer:
            for chunk, frame in table.frames(dtypes):
                for name, kind in kinds.items():
                    if kind == "number":
                        frame[name] = _checked_numbers(frame[name], name, table.where(chunk))
                for start in range(0, len(frame), PARQUET_ROW_GROUP):
                    part = frame.iloc[start:start + PARQUET_ROW_GROUP]
                    writer.write_table(pa.Table.from_pandas(part, schema, preserve_index=False))
                    groups += 1
                rows += len(frame)
    return rows, groups


def _checked_numbers(series, name: str, where: str):
    """A column that was numbers in the first chunk, as float64; text in it is refused by line."""
    import pandas as pd

    from mlpkit.data.encoding import file_lines

    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        raise InvalidInputError(
            f"Column {name!r} in '{where}' is numeric in the first rows but holds "
            f"{series[bad].iloc[0]!r} ({file_lines(series.index[bad.to_numpy()])}); fix the "
            "cell, or convert a copy where the column is text from the start.")
    return values.astype(np.float64)
