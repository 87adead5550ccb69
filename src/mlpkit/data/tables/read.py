"""Reading a table whole: a CSV file (pandas, after the checks pandas would fail on obscurely)
or a Parquet file or folder."""

from __future__ import annotations

from pathlib import Path

from mlpkit.data.tables.chunks import ChunkedTable, is_parquet
from mlpkit.data.tables.files import MAX_CSV_BYTES, first_long_row, header_of
from mlpkit.errors import InvalidInputError


def read_csv(path: str | Path):
    """A whole table in memory: a CSV (pandas, after the checks pandas would fail on
    obscurely) or a Parquet file or folder (pyarrow)."""
    import pandas as pd

    path = Path(path).expanduser()
    if path.exists() and is_parquet(path):
        table = ChunkedTable(path)        # checks the files and their columns
        frame = pd.concat([table.read(chunk) for chunk in table.chunks], ignore_index=True)
        return frame
    size = path.stat().st_size if path.is_file() else 0
    if size > MAX_CSV_BYTES:
        raise InvalidInputError(
            f"CSV file '{path}' is {size / 2**30:.1f} GiB; mlpkit loads a CSV into memory and "
            f"refuses files over {MAX_CSV_BYTES / 2**30:.0f} GiB. Train on it with --stream, or "
            "sample it first.")
    header, separator, _ = header_of(path)
    try:
        frame = pd.read_csv(path, encoding="utf-8", sep=separator)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0]
        raise InvalidInputError(f"CSV file '{path}' is malformed: {reason}.") from None
    if frame.empty:
        raise InvalidInputError(f"CSV file '{path}' has a header but no data rows.")
    if not frame.index.equals(pd.RangeIndex(len(frame))):   # extra fields became an index
        raise InvalidInputError(
            f"CSV file '{path}' has a row with more fields than its header names columns "
            f"({first_long_row(path, len(header), separator)}); fix that row or the header.")
    return frame
