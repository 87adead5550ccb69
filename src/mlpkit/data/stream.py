"""``--stream``: a table of any size, learned from a chunk at a time in bounded memory.

``open_stream`` makes the first pass: every column's role from the first chunk (as
``data/columns.py`` decides it for a table in memory), then every row once, in file order, to
check it (a bad cell is refused with its file and line), to collect the category sets, the
classes and the fill values (the mean exactly; the median from a seeded sample of
``SAMPLE_ROWS`` rows) and to count rows. ``StreamedTable.statistics`` makes the second pass
once the training options are known: the feature and target scalers (mean and variance merged
chunk by chunk with Chan's parallel formulas, in float64), the class counts and the validation
rows, which are kept in memory (at most ``VALIDATION_BYTES``).

Which rows are test, validation or training rows is a seeded hash of the row's number, not a
shuffle: it needs no memory, it is the same in every pass and every epoch, and a validation row
never enters training.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.data.columns import (
    MAX_CATEGORIES,
    MAX_NAMED_CATEGORIES,
    category_note,
    date_note,
    numeric_note,
)
from mlpkit.data.csv_dataset import (
    check_options,
    choose_columns,
    encode_target,
    infer_task,
    label_values,
)
from mlpkit.data.encoding import MISSING, TabularEncoder, file_lines
from mlpkit.data.preprocessing import Standardizer
from mlpkit.data.schema import Schema
from mlpkit.data.table_chunks import CHUNK_BYTES, ChunkedTable
from mlpkit.errors import InvalidInputError

SAMPLE_ROWS = 20_000            # the seeded sample medians are taken from
VALIDATION_BYTES = 16 << 20     # validation rows kept in memory, at most (features, float32)
TEST_SALT, VALIDATION_SALT = 0x7E57, 0x5A1   # two independent hashes of a row's number


def row_draws(rows: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """A uniform number in [0, 1) per row number, the same for the same (row, seed, salt):
    SplitMix64's finaliser over the row number and the seed."""
    with np.errstate(over="ignore"):
        z = rows.astype(np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15 + salt) % 2**64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(2**53)


class Moments:
    """Count, mean and summed squared deviations of a stream of row blocks (Chan et al.'s
    merge: exact and stable, whatever the order and size of the blocks)."""

    def __init__(self, width: int) -> None:
        self.n, self.mean, self.m2 = 0, np.zeros(width), np.zeros(width)

    def add(self, block: np.ndarray) -> None:
        if not len(block):
            return
        block = np.asarray(block, np.float64)
        n, mean = len(block), block.mean(axis=0)
        m2 = np.square(block - mean).sum(axis=0)
        total = self.n + n
        delta = mean - self.mean
        self.mean = self.mean + delta * (n / total)
        self.m2 = self.m2 + m2 + np.square(delta) * (self.n * n / total)
        self.n = total

    def standardizer(self) -> Standardizer:
        std = np.sqrt(self.m2 / max(self.n, 1))
        return Standardizer(self.mean.astype(np.float32),
                            np.where(std > 0, std, 1.0).astype(np.float32))


@dataclass
class Statistics:
    """The second pass's results: what training needs besides the chunks themselves."""

    scaler: Standardizer
    target_scaler: Standardizer | None
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    train_rows: list[int]            # training rows per chunk (every rank can plan its steps)
    class_counts: np.ndarray | None
    validation_share: float          # of the non-test rows (lower than asked on huge tables)


@dataclass
class StreamedTable:
    """A table to stream: its chunks, its encoding and classes (the first pass), and the
    options that say which rows are test rows."""

    table: ChunkedTable
    test_table: ChunkedTable | None
    target: str
    task: str
    encoder: TabularEncoder
    class_names: list[str]
    class_values: list | None
    test_size: float
    seed: int
    impute: str
    dtypes: dict[str, Any]
    description: str
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"csv:{self.table.path.name}"

    @property
    def feature_names(self) -> list[str]:
        return self.encoder.feature_names

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def schema(self) -> Schema:
        return Schema(self.task, list(self.feature_names), list(self.class_names),
                      self.class_values, [c.name for c in self.encoder.columns], self.encoder,
                      self.target)

    # ---- rows of a chunk
    def usable(self, frame):
        """The rows with a target (and, with impute='drop', every feature)."""
        needed = [self.target] + ([c.name for c in self.encoder.used]
                                  if self.impute == "drop" else [])
        return frame.dropna(subset=needed)

    def test_mask(self, rows: np.ndarray) -> np.ndarray:
        if self.test_table is not None:
            return np.zeros(len(rows), bool)
        return row_draws(rows, self.seed, TEST_SALT) < self.test_size

    def encode(self, frame, where: str) -> tuple[np.ndarray, np.ndarray]:
        """(features, targets) of usable rows, unscaled: float32 and class indices or values."""
        X = self.encoder.transform(frame, where)
        y = encode_target(frame[self.target], self.task, self.class_names, where, self.target)
        return X, y

    def split_chunk(self, chunk, frame, validation_share: float, seed: int
                    ) -> tuple[Any, Any]:
        """(training rows, validation rows) of one chunk's usable frame."""
        rows = self.table.row_numbers(chunk, frame)
        keep = ~self.test_mask(rows)
        validation = row_draws(rows, seed, VALIDATION_SALT) < validation_share
        return frame[keep & ~validation], frame[keep & validation]

    def test_frames(self) -> Iterator[tuple[Any, str]]:
        """The test rows, a chunk at a time: the test file's, or the hashed share."""
        source = self.test_table or self.table
        for chunk in source.chunks:
            frame = self.usable(source.read(chunk, self.dtypes))
            if self.test_table is None:
                frame = frame[self.test_mask(source.row_numbers(chunk, frame))]
            yield frame, source.where(chunk)

    # ---- the second pass
    def statistics(self, val_fraction: float, seed: int, scale: bool) -> Statistics:
        """Scalers, class counts and validation rows for training options (the second pass)."""
        width = self.n_features
        non_test = sum(c.n_rows for c in self.table.chunks) * (
            1.0 if self.test_table is not None else 1.0 - self.test_size)
        cap = max(1000, VALIDATION_BYTES // (4 * max(width, 1)))
        share = min(val_fraction, cap / max(non_test, 1.0)) if val_fraction > 0 else 0.0
        features, targets = Moments(width), Moments(1)
        counts = np.zeros(self.n_classes, np.int64) if self.task == "classification" else None
        train_rows, kept_X, kept_y = [], [], []
        for chunk in self.table.chunks:
            where = self.table.where(chunk)
            frame = self.usable(self.table.read(chunk, self.dtypes))
            train, validation = self.split_chunk(chunk, frame, share, seed)
            X, y = self.encode(train, where)
            train_rows.append(len(X))
            if scale:
                features.add(X)
                if counts is None:
                    targets.add(y[:, None])
            if counts is not None:
                counts += np.bincount(y, minlength=self.n_classes)
            if len(validation):
                X_val, y_val = self.encode(validation, where)
                kept_X.append(X_val)
                kept_y.append(y_val)
        if not sum(train_rows):
            raise InvalidInputError(f"'{self.table.path}' has no training rows left after the "
                                    "test and validation rows; add rows or lower test_size.")
        X_val = np.concatenate(kept_X) if kept_X else None
        y_val = np.concatenate(kept_y) if kept_y else None
        if share > 0 and X_val is None:
            raise InvalidInputError(f"'{self.table.path}' has too few rows for a validation "
                                    "share; pass --val-fraction 0.")
        target_scaler = targets.standardizer() if scale and counts is None else None
        return Statistics(features.standardizer() if scale else None, target_scaler, X_val,
                          y_val, train_rows, counts, share)


def open_stream(path: str | Path, target: str | None = None,
                test_path: str | Path | None = None, test_size: float = 0.2,
                features: list[str] | None = None, drop: list[str] | None = None,
                impute: str | None = "median", task: str | None = None,
                encode_categorical: bool = True, random_state: int | None = 0,
                chunk_bytes: int | None = None) -> StreamedTable:
    """The first pass over a table too large for memory; see the module doc."""
    impute = check_options(impute, task)
    if not 0.0 < test_size < 1.0:
        raise InvalidInputError(f"test_size must lie strictly between 0 and 1, got {test_size}.")
    table = ChunkedTable(path, chunk_bytes or CHUNK_BYTES)
    target, chosen = choose_columns(table.columns, target, features, drop, table.path)
    test_table = None if test_path is None else ChunkedTable(test_path, chunk_bytes or CHUNK_BYTES)
    if test_table is not None and set(test_table.columns) != set(table.columns):
        raise InvalidInputError(
            f"Test file '{test_table.path}' has other columns than '{table.path}'.")
    first = table.read(table.chunks[0]).dropna(subset=[target])
    if first.empty:
        raise InvalidInputError(f"The first chunk of '{table.path}' has no row with a target "
                                "value; mlpkit infers the columns from it.")
    inferred, reason = infer_task(first[target])
    task = task or inferred
    encoder = TabularEncoder.fit(first, chosen, impute, table.path, named=features is not None,
                                 encode_categorical=encode_categorical)
    text = {c.name: str for c in encoder.used if c.role in ("category", "date")}
    if task == "classification" and not _numeric(first[target]):
        text[target] = str
    stream = StreamedTable(table, test_table, target, task, encoder, [], None, test_size,
                           0 if random_state is None else int(random_state), impute, text,
                           f"'{table.path.name}', target {target!r}: {task} ({reason}), "
                           "streamed")
    _first_pass(stream, named=features is not None)
    return stream


def _numeric(series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _first_pass(stream: StreamedTable, named: bool) -> None:
    """Check every row, collect categories, classes and fill values, count rows."""
    import warnings

    import pandas as pd

    from mlpkit.errors import DataWarning

    encoder, table, target = stream.encoder, stream.table, stream.target
    categories = {c.name: set() for c in encoder.used if c.role == "category"}
    gaps = {c.name: 0 for c in encoder.used}
    sums = {c.name: [0.0, 0] for c in encoder.used if c.role == "numeric"}
    limit = MAX_NAMED_CATEGORIES if named else MAX_CATEGORIES
    labels: set = set()
    sample, dropped, n_dropped = [], [], 0
    for chunk, frame in table.frames(stream.dtypes):
        where = table.where(chunk)
        usable = stream.usable(frame)
        if len(usable) < len(frame):
            n_dropped += len(frame) - len(usable)
            dropped += list(frame.index[~frame.index.isin(usable.index)][:5])
        train = usable[~stream.test_mask(table.row_numbers(chunk, usable))]
        for col in encoder.used:
            gaps[col.name] += int(train[col.name].isna().sum())
        for name, seen in categories.items():
            seen.update(train[name].dropna().astype(str).unique())
            if len(seen) > limit:
                raise InvalidInputError(
                    f"Column {name!r} in '{where}' has more than {limit} distinct values by "
                    f"{file_lines(train.index[-1:])}, too many to one-hot encode; leave it out "
                    f"with --drop {name}.")
        for col in encoder.used:
            if col.role == "category":
                col.categories = sorted(categories[col.name])
        for name, (total, count) in sums.items():
            values = pd.to_numeric(train[name], errors="coerce")
            sums[name] = [total + float(values.sum()), count + int(values.notna().sum())]
        with warnings.catch_warnings():     # test rows' new categories are said when scored
            warnings.simplefilter("ignore", DataWarning)
            encoder.transform(usable, where)          # refuses what cannot be read, by line
        if stream.task == "regression":
            encode_target(usable[target], "regression", [], where, target)
        else:
            labels.update(label_values(train[target]))
        draws = row_draws(table.row_numbers(chunk, train), stream.seed, 0)
        sample.append(train.assign(_draw=draws).nsmallest(SAMPLE_ROWS, "_draw"))
        if len(sample) > 8:
            sample = [pd.concat(sample).nsmallest(SAMPLE_ROWS, "_draw")]
    _settle_encoder(encoder, pd.concat(sample).nsmallest(SAMPLE_ROWS, "_draw"), gaps, sums,
                    stream.impute)
    if stream.task == "classification":
        values = sorted(labels)
        if len(values) < 2:
            raise InvalidInputError(f"Target column {target!r} in '{table.path}' has a single "
                                    "class in its training rows; classification needs two.")
        stream.class_values, stream.class_names = values, [str(v) for v in values]
    if dropped:
        stream.notes.append(
            f"{n_dropped} row(s) of '{table.path.name}' dropped: no target value"
            f"{' or a missing value' if stream.impute == 'drop' else ''} ({file_lines(dropped)})")
    encoder.notes = stream.notes
    if stream.test_table is not None:         # checked now, not after training
        for frame, where in stream.test_frames():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                stream.encode(frame, where)


def _settle_encoder(encoder: TabularEncoder, sample, gaps: dict[str, int],
                    sums: dict[str, list], impute: str) -> None:
    """Fill values and missing indicators from the whole table (medians from the sample)."""
    from mlpkit.data import dates

    fill = impute in ("mean", "median")
    for col in encoder.used:
        missing = gaps[col.name]
        if col.role == "category":
            col.categories += [MISSING] if fill and missing else []
            col.note = category_note(len(col.categories), missing, impute)
            continue
        if not fill:
            continue
        present = sample[col.name].dropna()
        if col.role == "numeric":
            total, count = sums[col.name]
            col.fill = (total / count if impute == "mean" else
                        float(np.median(pd_numbers(present)))) if count else 0.0
            col.note = numeric_note(missing, impute, col.fill)
        elif col.role == "date":
            times = dates.parse(present, col.date_format).dropna().sort_values()
            if len(times):
                col.fill = str(times.iloc[len(times) // 2].isoformat())
            col.note = date_note(col.date_format, col.date_parts, missing, col.fill)
        col.indicator = missing > 0


def pd_numbers(series) -> np.ndarray:
    import pandas as pd

    return pd.to_numeric(series, errors="coerce").dropna().to_numpy(np.float64)
