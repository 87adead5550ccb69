"""A table on disk as chunks that can be read one at a time, in any order.

A CSV file is cut into byte ranges of about ``chunk_bytes`` that end at line ends (found by
seeking, not by reading the file); a Parquet file, or a folder of them, into its row groups
(pyarrow). Reading a chunk gives a pandas frame whose index is the data row's number in its
file, so every error names the file and the line (a Parquet file's rows count from 1). Only one
chunk is in memory at a time: this is what lets ``--stream`` train on files larger than memory.

CSV rows must not hold line breaks inside quotes (a chunk boundary could fall inside one);
``mlpkit convert`` turns such a file into Parquet.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlpkit.data.tables.files import MAX_COLUMNS, header_of
from mlpkit.errors import InvalidInputError

CHUNK_BYTES = 16 << 20      # a CSV chunk: ~16 MiB of text


@dataclass
class Chunk:
    file: int               # index into ChunkedTable.files
    start: int              # CSV: byte offset; Parquet: row group number
    end: int                # CSV: byte offset after the chunk; Parquet: unused
    first_row: int = -1     # the number of its first data row in the whole table (0-based)
    file_row: int = -1      # ... and in its own file
    n_rows: int = -1        # -1 until counted (a CSV chunk: when first read in order)


def is_parquet(path: str | Path) -> bool:
    """A .parquet file, or a folder holding some (any other folder is refused as a CSV)."""
    path = Path(path)
    if path.is_dir():
        return any(path.glob("*.parquet"))
    return path.suffix.lower() in (".parquet", ".pq")


class ChunkedTable:
    """A CSV file, a Parquet file or a folder of Parquet files, read a chunk at a time."""

    def __init__(self, path: str | Path, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise InvalidInputError(f"Data file '{self.path}' does not exist; check the path.")
        self.parquet = is_parquet(self.path)
        if self.parquet:
            self.files, self.columns, self.chunks = _parquet_layout(self.path)
            self.separator = ","
        else:
            self.files = [self.path]
            self.columns, self.separator, body = header_of(self.path)
            self.chunks = _csv_ranges(self.path, body, max(int(chunk_bytes), 1))

    @property
    def counted(self) -> bool:
        return all(chunk.n_rows >= 0 for chunk in self.chunks)

    @property
    def n_rows(self) -> int:
        return sum(chunk.n_rows for chunk in self.chunks)

    def where(self, chunk: Chunk) -> str:
        """The file a chunk comes from, as errors name it."""
        return str(self.files[chunk.file])

    def fingerprint(self) -> list[list]:
        """(name, size, modification time) of every file: a resumed run checks that its data
        is the data it started on."""
        return [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in self.files]

    def row_numbers(self, chunk: Chunk, frame) -> np.ndarray:
        """The table-wide numbers (0-based) of a chunk's rows, from its frame's index (which
        may have been filtered)."""
        start = chunk.file_row - (1 if self.parquet else 0)
        return frame.index.to_numpy(np.int64) - start + chunk.first_row

    def frames(self, dtypes: dict[str, str] | None = None):
        """Every chunk in file order as (chunk, frame), counting a CSV's rows on the way."""
        for number, chunk in enumerate(self.chunks):
            frame = self.read(chunk, dtypes)
            chunk.n_rows = len(frame)
            if not self.parquet and number + 1 < len(self.chunks):
                following = self.chunks[number + 1]
                following.first_row = following.file_row = chunk.first_row + chunk.n_rows
            yield chunk, frame

    def read(self, chunk: Chunk, dtypes: dict[str, str] | None = None):
        """One chunk as a pandas frame indexed by row number in its file (known after the
        counting pass, or in a first pass in order)."""
        import pandas as pd

        source = self.files[chunk.file]
        try:
            if self.parquet:
                import pyarrow as pa
                import pyarrow.parquet as pq

                try:
                    group = pq.ParquetFile(source).read_row_group(chunk.start)
                    group.validate(full=True)       # bad UTF-8 fails here, not in pandas later
                    frame = group.to_pandas()
                except (pa.ArrowException, KeyError, TypeError) as exc:   # damaged pages, or
                    raise ValueError(str(exc) or type(exc).__name__) from None  # pandas' record
                if dtypes:
                    frame = frame.astype({c: t for c, t in dtypes.items() if c in frame})
                start = chunk.file_row - 1       # so that errors' "line" is the 1-based row
            else:
                with source.open("rb") as f:
                    f.seek(chunk.start)
                    data = f.read(chunk.end - chunk.start)
                frame = pd.read_csv(io.BytesIO(data), header=None, names=self.columns,
                                    sep=self.separator, dtype=dtypes, encoding="utf-8",
                                    index_col=False)
                start = chunk.file_row
        except FileNotFoundError:
            raise InvalidInputError(
                f"Data file '{source}' is gone (it was there when the table was opened); "
                "restore it or start again.") from None
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
            raise InvalidInputError(self._malformed(chunk, exc)) from None
        frame.index = pd.RangeIndex(start, start + len(frame))
        return frame

    def _malformed(self, chunk: Chunk, exc: Exception) -> str:
        """The parser's complaint, with its line counted from the top of the file."""
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = self.where(chunk)
        found = re.search(r"line (\d+)", reason)
        if found and not self.parquet and chunk.file_row >= 0:
            line = chunk.file_row + int(found.group(1)) + 1          # + the header line
            reason = re.sub(r"in line \d+", f"in line {line}", reason)
            return f"Data file '{where}' is malformed at line {line}: {reason}."
        return f"Data file '{where}' is malformed: {reason}."


def _csv_ranges(path: Path, body: int, chunk_bytes: int) -> list[Chunk]:
    """Byte ranges of about ``chunk_bytes`` from ``body`` (after the header), each ending at a
    line end: one seek and one line read per boundary."""
    size = path.stat().st_size
    bounds = [body]
    with path.open("rb") as f:
        while bounds[-1] < size:
            f.seek(bounds[-1] + chunk_bytes)
            f.readline()                    # to the end of the line the seek fell into
            bounds.append(min(f.tell(), size) if f.tell() > bounds[-1] else size)
    ranges = [Chunk(0, a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
    if not ranges:
        raise InvalidInputError(f"CSV file '{path}' has a header but no data rows.")
    ranges[0].first_row = ranges[0].file_row = 0
    return ranges


def _parquet_layout(path: Path) -> tuple[list[Path], list[str], list[Chunk]]:
    """The files (a folder's *.parquet, sorted), their common columns and every row group."""
    import pyarrow.parquet as pq

    files = sorted(p for p in path.glob("*.parquet")) if path.is_dir() else [path]
    if not files:
        raise InvalidInputError(f"Folder '{path}' holds no .parquet files.")
    columns: list[str] | None = None
    chunks: list[Chunk] = []
    first = 0
    for number, file in enumerate(files):
        try:
            meta = pq.ParquetFile(file).metadata
        except Exception as exc:       # pyarrow raises several kinds for a non-Parquet file
            raise InvalidInputError(f"'{file}' is not a readable Parquet file "
                                    f"({str(exc).splitlines()[0]}).") from None
        names = list(meta.schema.to_arrow_schema().names)
        if len(names) > MAX_COLUMNS:
            raise InvalidInputError(f"Parquet file '{file}' has {len(names)} columns; mlpkit "
                                    f"reads at most {MAX_COLUMNS}.")
        if columns is None:
            columns = names
        elif set(names) != set(columns):
            raise InvalidInputError(
                f"Parquet file '{file}' has other columns than '{files[0]}': missing "
                f"{sorted(set(columns) - set(names))[:5]}, extra "
                f"{sorted(set(names) - set(columns))[:5]}.")
        in_file = 0
        for group in range(meta.num_row_groups):
            rows = meta.row_group(group).num_rows
            if rows:
                chunks.append(Chunk(number, group, -1, first, in_file, rows))
            first += rows
            in_file += rows
    if not chunks:
        raise InvalidInputError(f"'{path}' has no data rows.")
    return files, columns, chunks
