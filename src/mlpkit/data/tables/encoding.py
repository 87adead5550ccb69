"""TabularEncoder: raw table columns -> the network's numeric features, learned once.

It records, from the training rows only, every column's role (``columns.fit_encoder``: numeric,
category, date or left out) and how it is encoded — categories, fill values, missing
indicators, a number's point mass, date formats — so that prediction applies exactly the same
transformation to new rows, new missing values and unseen categories included. It serialises
to plain JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.data.tables import dates
from mlpkit.data.tables.lines import file_lines, refuse_missing, refuse_non_finite
from mlpkit.data.tables.surprises import Surprises
from mlpkit.errors import InvalidInputError

MISSING = "(missing)"     # the category of a text column's missing values
FLOAT32_MAX = float(np.finfo(np.float32).max)     # a point mass the features can hold
ROLES = ("numeric", "category", "date", "dropped")


@dataclass
class ColumnEncoding:
    name: str
    role: str | None = None               # numeric | category | date | dropped
    categories: list[str] | None = None   # category: one-hot, in this order
    fill: float | str | None = None       # imputed for missing entries (a date: ISO text)
    indicator: bool = False               # a 0/1 "name=missing" feature: training had gaps
    mass: float | None = None             # a 0/1 "name=value" feature: a number's point mass
    levels: list[float] | None = None     # one 0/1 "name=value" feature each: a whole-number code
    date_format: str | None = None
    date_parts: list[str] | None = None
    note: str = ""                        # what was done, in words

    def __post_init__(self) -> None:      # model files of the first round had no roles
        if self.role is None:
            self.role = "numeric" if self.categories is None else "category"
        self._check()

    def _check(self) -> None:
        """What a model file could hold wrongly, refused on loading (a ValueError that
        ``TrainedModel.load`` words), not as a foreign error at the first prediction."""
        if self.role not in ROLES or not isinstance(self.indicator, bool):
            raise ValueError(f"column {self.name!r} has no valid role")
        if self.role == "category" and not (isinstance(self.categories, list) and all(
                isinstance(c, str) for c in self.categories)):
            raise ValueError(f"category column {self.name!r} needs a list of text categories")
        if self.role == "numeric" and self.fill is not None and (
                isinstance(self.fill, bool) or not isinstance(self.fill, int | float)):
            raise ValueError(f"numeric column {self.name!r} has a fill that is not a number")
        if self.mass is not None and (self.role != "numeric" or not _float32(self.mass)):
            raise ValueError(f"column {self.name!r} has a point mass that is not a number")
        if self.levels is not None and (self.role != "numeric" or not isinstance(
                self.levels, list) or not all(_float32(v) for v in self.levels)):
            raise ValueError(f"column {self.name!r} has code values that are not numbers")
        if self.role == "date":
            self._check_date()

    def _check_date(self) -> None:
        import re

        import pandas as pd

        parts = self.date_parts
        if not isinstance(self.date_format, str) or not isinstance(parts, list) or \
                not set(parts) <= {"year", *dates.CYCLES}:
            raise ValueError(f"date column {self.name!r} needs a format and known parts")
        try:
            dates.parse(pd.Series(["2000-01-01"]), self.date_format)
            if self.fill is not None:
                pd.Timestamp(self.fill)
        except (re.error, TypeError, ValueError) as exc:
            raise ValueError(f"date column {self.name!r}: {exc}") from None

    @property
    def feature_names(self) -> list[str]:
        if self.role == "dropped":
            return []
        if self.role == "category":
            return [f"{self.name}={category}" for category in self.categories]
        names = [self.name] if self.role == "numeric" else \
            dates.feature_names(self.name, self.date_parts)
        return names + ([f"{self.name}=missing"] if self.indicator else []) + \
            ([f"{self.name}={self.mass:g}"] if self.mass is not None else []) + \
            [f"{self.name}={value:g}" for value in self.levels or []]


def _float32(value: Any) -> bool:
    """Whether a model file's value is a number a float32 feature can hold."""
    return not isinstance(value, bool) and isinstance(value, int | float) and \
        -FLOAT32_MAX <= value <= FLOAT32_MAX


@dataclass
class TabularEncoder:
    columns: list[ColumnEncoding]
    notes: list[str] = field(default_factory=list)    # about the rows: what was dropped

    @property
    def feature_names(self) -> list[str]:
        return [name for col in self.columns for name in col.feature_names]

    @property
    def numbers(self) -> tuple[int, ...]:
        """The features that are a numeric column's value (not one-hots, indicators, point
        masses, codes' values or date parts): what a periodic embedding embeds."""
        positions, start = [], 0
        for col in self.used:
            if col.role == "numeric":
                positions.append(start)
            start += len(col.feature_names)
        return tuple(positions)

    def category_blocks(self, most: int) -> tuple[tuple[int, int], ...]:
        """The [start, stop) features of each category column of more than ``most`` values:
        the one-hot blocks an embedding of categories takes."""
        blocks, start = [], 0
        for col in self.used:
            width = len(col.feature_names)
            if col.role == "category" and width > most:
                blocks.append((start, start + width))
            start += width
        return tuple(blocks)

    def note_embedded(self, most: int, dim: int) -> None:
        """Say in those columns' notes that an embedding of categories takes them."""
        for col in self.used:
            if col.role == "category" and len(col.feature_names) > most:
                col.note = col.note.replace("one-hot", f"each as {dim} learned numbers "
                                            "(--category-embedding 0: one-hot)")

    @property
    def used(self) -> list[ColumnEncoding]:
        return [col for col in self.columns if col.role != "dropped"]

    def describe(self) -> list[tuple[str, str, str]]:
        """(column, role, what was done) for every column: the run's data table."""
        return [(col.name, "left out" if col.role == "dropped" else col.role, col.note)
                for col in self.columns]

    def transform(self, frame, path: Path | str = "the data",
                  surprises: Surprises | None = None) -> np.ndarray:
        """Raw table -> float32 feature matrix, by column name; what cannot be read is refused
        with its file line. Unseen categories become all zeros, and gaps in a column that had
        none take the training's fill: both are tallied in ``surprises`` (a file's chunks
        share one), or said at once as a DataWarning when none is given."""
        missing = [c.name for c in self.used if c.name not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"'{path}' lacks the feature column(s) {', '.join(map(repr, missing))} that the "
                "model was trained with."
            )
        tally = Surprises() if surprises is None else surprises
        tally.note_gaps({col.name: frame[col.name].isna().to_numpy() for col in self.used
                         if _new_gaps_are_filled(col)}, frame.index, str(path))
        blocks = [_encode(col, frame[col.name], path, tally) for col in self.used]
        X = np.hstack(blocks) if blocks else np.empty((len(frame), 0))
        refuse_non_finite(X, self.feature_names, frame.index, path)
        if surprises is None:
            tally.say(str(path))
        return X.astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [asdict(c) for c in self.columns], "notes": self.notes}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TabularEncoder:
        return cls([ColumnEncoding(**c) for c in data["columns"]], list(data.get("notes", [])))


def _new_gaps_are_filled(col: ColumnEncoding) -> bool:
    """Whether a gap is encoded silently although training had none in this column: filled
    with the training's value, or, in a category column, all zeros (else it is refused)."""
    if col.role == "category":
        return MISSING not in col.categories
    return col.fill is not None and not col.indicator


def _encode(col: ColumnEncoding, series, path: Path | str,
            surprises: Surprises) -> np.ndarray:
    """One column's block of features, (n, k) float64."""
    import pandas as pd

    gaps = series.isna().to_numpy()
    if col.role == "category":
        text = series.astype(str).where(~gaps, MISSING).to_numpy()
        known = np.isin(text, col.categories)
        unseen = sorted(set(text[~known]) - {MISSING})
        if unseen:
            surprises.note_unseen(col.name, unseen, series.index[~known & ~gaps], str(path))
        return (text[:, None] == np.array(col.categories, dtype=object)[None, :]).astype(float)
    if col.fill is None:
        refuse_missing(series, col.name, path)
    if col.role == "date":
        times = dates.parse(series, col.date_format)
        bad = times.isna().to_numpy() & ~gaps
        if bad.any():
            raise InvalidInputError(
                f"Column {col.name!r} in '{path}' holds {series[bad].iloc[0]!r} "
                f"({file_lines(series.index[bad])}), not a date in the format {col.date_format} "
                "it was trained with.")
        times = times.fillna(pd.Timestamp(col.fill)) if col.fill is not None else times
        block = dates.features(times, col.date_parts)
    else:
        values = pd.to_numeric(series, errors="coerce")
        bad = values.isna().to_numpy() & ~gaps
        if bad.any():
            row = bad.nonzero()[0]
            raise InvalidInputError(
                f"Column {col.name!r} in '{path}' must be numeric, but holds "
                f"{series.iloc[row[0]]!r} ({file_lines(series.index[row])})."
            )
        block = values.fillna(col.fill).to_numpy(dtype=np.float64)[:, None] \
            if col.fill is not None else values.to_numpy(dtype=np.float64)[:, None]
    blocks = [block, gaps[:, None].astype(float)] if col.indicator else [block]
    equal_to = [col.mass] if col.mass is not None else col.levels or []
    if equal_to:                    # compared in float32, as an exported file compares
        with np.errstate(over="ignore"):            # (too large values are refused below)
            at_value = block[:, :1].astype(np.float32) == np.float32(equal_to)[None, :]
        blocks.append(at_value.astype(float))
    return np.hstack(blocks) if len(blocks) > 1 else block
