"""``--stream``: a table of any size, learned from a chunk at a time in bounded memory.

``first_pass.open_stream`` makes the first pass (roles, checks, categories, classes, fill
values, row counts) and returns a ``StreamedTable``. ``StreamedTable.statistics`` makes the
second pass once the training options are known: the feature and target scalers (mean and
variance merged chunk by chunk with Chan's parallel formulas, in float64), the class counts and
the validation rows, which are kept in memory (at most ``VALIDATION_BYTES``).

Which rows are test, validation or training rows is a seeded hash of the row's number, not a
shuffle: it needs no memory, it is the same in every pass and every epoch, and a validation row
never enters training.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlpkit.data.preprocessing import Standardizer
from mlpkit.data.schema import Schema
from mlpkit.data.tables.chunks import ChunkedTable
from mlpkit.data.tables.encoding import TabularEncoder
from mlpkit.data.tables.target import encode_target
from mlpkit.errors import InvalidInputError

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
    target_min: float | None = None  # regression: the least target value (a Poisson check)


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
        lowest = np.inf
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
            elif len(y):
                lowest = min(lowest, float(np.min(y)))
            if len(validation):
                X_val, y_val = self.encode(validation, where)
                kept_X.append(X_val)
                kept_y.append(y_val)
                if counts is None:
                    lowest = min(lowest, float(np.min(y_val)))
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
                          y_val, train_rows, counts, share,
                          None if counts is not None else lowest)
