"""``mlpkit convert``: a CSV file as Parquet, a chunk at a time (the format ``--stream`` reads
fastest), each column's type fixed by the first chunk and checked on every later one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlpkit.data.tables.chunks import CHUNK_BYTES, ChunkedTable, is_parquet
from mlpkit.data.tables.lines import file_lines
from mlpkit.errors import InvalidInputError
from mlpkit.io import atomic

PARQUET_ROW_GROUP = 65_536      # rows per row group that convert writes: a streaming chunk


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

    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        raise InvalidInputError(
            f"Column {name!r} in '{where}' is numeric in the first rows but holds "
            f"{series[bad].iloc[0]!r} ({file_lines(series.index[bad.to_numpy()])}); fix the "
            "cell, or convert a copy where the column is text from the start.")
    return values.astype(np.float64)
