"""Reading a CSV file: pandas, after the checks pandas would fail on obscurely."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from mlpkit.errors import InvalidInputError

MAX_CSV_BYTES = 1 << 30   # CSVs are loaded whole; a larger file is refused before reading


def read_csv(path: str | Path):
    """Read a CSV with pandas after the checks pandas would fail on obscurely."""
    import pandas as pd

    path = Path(path).expanduser()
    if not path.exists():
        raise InvalidInputError(f"CSV file '{path}' does not exist; check the path.")
    if path.is_dir():
        raise InvalidInputError(
            f"'{path}' is a folder, not a CSV file; pass the path of a .csv file.")
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise InvalidInputError(
            f"CSV file '{path}' is {size / 2**30:.1f} GiB; mlpkit loads a CSV into memory and "
            f"refuses files over {MAX_CSV_BYTES / 2**30:.0f} GiB. Sample or split it first.")
    with path.open("rb") as f:
        head = f.read(65536)
    if not head.strip():
        raise InvalidInputError(
            f"CSV file '{path}' is empty; it needs a header row and at least one data row.")
    try:
        text = head.decode("utf-8", errors="strict" if len(head) < 65536 else "ignore")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:
        raise InvalidInputError(
            f"'{path}' is not a text CSV file (it holds binary or non-UTF-8 bytes); "
            "save the table as UTF-8 CSV.")
    header = next(csv.reader(io.StringIO(text.splitlines()[0])), [])
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InvalidInputError(
            f"CSV file '{path}' has duplicated column names: {', '.join(map(repr, duplicated))}; "
            "make every header unique."
        )
    try:
        frame = pd.read_csv(path, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0]
        raise InvalidInputError(f"CSV file '{path}' is malformed: {reason}.") from None
    if frame.empty:
        raise InvalidInputError(f"CSV file '{path}' has a header but no data rows.")
    if not frame.index.equals(pd.RangeIndex(len(frame))):   # extra fields became an index
        raise InvalidInputError(
            f"CSV file '{path}' has a row with more fields than its header names columns "
            f"({_first_long_row(path, len(header))}); fix that row or the header.")
    return frame


def _first_long_row(path: Path, n_columns: int) -> str:
    with path.open(newline="", encoding="utf-8") as f:
        for number, row in enumerate(csv.reader(f), start=1):
            if len(row) > n_columns:
                return f"line {number}: {len(row)} fields, {n_columns} columns"
    return "a row"
