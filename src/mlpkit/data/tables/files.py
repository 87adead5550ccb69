"""A CSV file's header and separator, checked before pandas reads anything: what pandas would
fail on obscurely (missing path, folder, empty, binary, huge or duplicated header) is said in
words here, for the in-memory and the streamed reader alike."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from mlpkit.errors import InvalidInputError

MAX_CSV_BYTES = 1 << 30   # CSVs are loaded whole; a larger file is refused before reading
MAX_COLUMNS = 10_000      # a header wider than this is a mistake or a bomb
MAX_HEADER_BYTES = 1 << 20


def header_of(path: str | Path) -> tuple[list[str], str, int]:
    """(column names, separator, byte offset of the first data row) of a CSV file, after
    checking that it exists, is text, and has a sane, unique header."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InvalidInputError(f"CSV file '{path}' does not exist; check the path.")
    if path.is_dir():
        raise InvalidInputError(
            f"'{path}' is a folder, not a CSV file; pass the path of a .csv file.")
    with path.open("rb") as f:
        head = f.read(65536)
        f.seek(0)
        first_line = f.readline(MAX_HEADER_BYTES + 1)
    if not head.removeprefix(b"\xef\xbb\xbf").strip():       # nothing, or a byte-order mark
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
    if len(first_line) > MAX_HEADER_BYTES:
        raise InvalidInputError(
            f"CSV file '{path}' has a header line longer than {MAX_HEADER_BYTES >> 20} MiB; "
            f"mlpkit reads tables of at most {MAX_COLUMNS} columns. Keep the columns you need.")
    line = first_line.decode("utf-8", errors="replace").rstrip("\r\n")
    separator = _separator(line)
    try:
        header = next(csv.reader(io.StringIO(line), delimiter=separator), [])
    except csv.Error as exc:          # e.g. a lone carriage return inside the header
        raise InvalidInputError(f"CSV file '{path}' has a malformed header line ({exc}); fix "
                                "the first line: the column names.") from None
    if not any(name.strip() for name in header):
        raise InvalidInputError(f"CSV file '{path}' has an empty first line; the first line "
                                "must be the header naming the columns.")
    if len(header) > MAX_COLUMNS:
        raise InvalidInputError(
            f"CSV file '{path}' has {len(header)} columns; mlpkit reads at most {MAX_COLUMNS}. "
            "Keep the columns you need (or check the separator).")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InvalidInputError(
            f"CSV file '{path}' has duplicated column names: {', '.join(map(repr, duplicated))}; "
            "make every header unique."
        )
    return header, separator, len(first_line)


def first_long_row(path: Path, n_columns: int, separator: str) -> str:
    with path.open(newline="", encoding="utf-8") as f:
        for number, row in enumerate(csv.reader(f, delimiter=separator), start=1):
            if len(row) > n_columns:
                return f"line {number}: {len(row)} fields, {n_columns} columns"
    return "a row"


def _separator(header: str) -> str:
    """Comma, unless the header has none and semicolons or tabs instead (the files a
    spreadsheet in a comma-decimal locale writes, or a TSV)."""
    if "," in header:
        return ","
    for candidate in (";", "\t"):
        if candidate in header:
            return candidate
    return ","
