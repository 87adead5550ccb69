"""TabularEncoder: raw table columns -> the network's numeric features, learned once.

It records, from the training rows only, which columns are features, the categories of each
text column (one-hot encoded) and any imputed fill values, so that prediction applies exactly
the same transformation. It serialises to plain JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.errors import InvalidInputError

MAX_CATEGORIES = 50      # more distinct strings than this is an identifier, not a category


def file_lines(rows: Any, limit: int = 5) -> str:
    """Data row labels (pandas' default index, kept through splits) -> file lines (header = 1)."""
    numbers = [int(r) + 2 for r in list(rows)[:limit]]
    more = "" if len(rows) <= limit else f" and {len(rows) - limit} more"
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(map(str, numbers)) + more


@dataclass
class ColumnEncoding:
    name: str
    categories: list[str] | None = None   # None: a numeric column
    fill: float | str | None = None       # the value imputed for missing entries


@dataclass
class TabularEncoder:
    columns: list[ColumnEncoding]

    @property
    def feature_names(self) -> list[str]:
        names = []
        for col in self.columns:
            if col.categories is None:
                names.append(col.name)
            else:
                names += [f"{col.name}={category}" for category in col.categories]
        return names

    @classmethod
    def fit(cls, frame, features: list[str], encode_categorical: bool, impute: str | None,
            path: Path) -> TabularEncoder:
        import pandas as pd

        columns = []
        for name in features:
            series = frame[name]
            if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
                fill = None   # kept even without gaps here: test or new rows may have some
                if impute in ("mean", "median"):
                    fill = float(getattr(series.astype(float), impute)())
                columns.append(ColumnEncoding(name, None, fill))
                continue
            _refuse_mostly_numeric_text(series, name, path)
            categories = sorted(series.dropna().astype(str).unique())
            if not encode_categorical:
                raise InvalidInputError(
                    f"Feature column {name!r} in '{path}' holds text; one-hot encode it with "
                    "encode_categorical=True (--data-option encode_categorical=true) or leave "
                    "it out with features=[...]."
                )
            if len(categories) > MAX_CATEGORIES:
                raise InvalidInputError(
                    f"Feature column {name!r} in '{path}' holds text with {len(categories)} "
                    f"distinct values, too many to one-hot encode (at most {MAX_CATEGORIES}); "
                    "leave it out with features=[...]."
                )
            fill = None
            if impute in ("mean", "median"):
                fill = str(series.dropna().astype(str).mode().iloc[0])  # most frequent category
            columns.append(ColumnEncoding(name, categories, fill))
        return cls(columns)

    def transform(self, frame, path: Path | str = "the data") -> np.ndarray:
        """Raw table -> float32 feature matrix, refusing anything training did not see."""
        import pandas as pd

        missing = [c.name for c in self.columns if c.name not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"'{path}' lacks the feature column(s) {', '.join(map(repr, missing))} that the "
                "model was trained with."
            )
        blocks = []
        for col in self.columns:
            series = frame[col.name]
            if col.fill is not None:
                series = series.fillna(col.fill)
            refuse_missing(series, col.name, path)
            if col.categories is None:
                values = pd.to_numeric(series, errors="coerce")
                bad = values.isna()
                if bad.any():
                    row = bad.to_numpy().nonzero()[0]
                    raise InvalidInputError(
                        f"Column {col.name!r} in '{path}' must be numeric, but holds "
                        f"{series.iloc[row[0]]!r} ({file_lines(row)})."
                    )
                block = values.to_numpy(dtype=np.float64)[:, None]
            else:
                text = series.astype(str)
                unseen = sorted(set(text) - set(col.categories))
                if unseen:
                    raise InvalidInputError(
                        f"Column {col.name!r} in '{path}' has value(s) {unseen[:5]} not seen in "
                        f"training (known: {', '.join(col.categories)})."
                    )
                block = (text.to_numpy()[:, None] == np.array(col.categories)[None, :])
            blocks.append(block.astype(np.float64))
        X = np.hstack(blocks) if blocks else np.empty((len(frame), 0))
        refuse_non_finite(X, self.feature_names, frame.index, path)
        return X.astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [asdict(c) for c in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TabularEncoder:
        return cls([ColumnEncoding(**c) for c in data["columns"]])


def _refuse_mostly_numeric_text(series, name: str, path: Path) -> None:
    import pandas as pd

    present = series.dropna()
    as_numbers = pd.to_numeric(present, errors="coerce")
    if len(present) and as_numbers.notna().mean() >= 0.9:
        bad = as_numbers.isna().to_numpy().nonzero()[0]
        rows = present.index[bad]
        raise InvalidInputError(
            f"Column {name!r} in '{path}' is numeric except for {present.iloc[bad[0]]!r} "
            f"({file_lines(rows)}); fix those cells."
        )


def refuse_missing(series, name: str, path: Path | str,
                   fix: str = "fill them, or pass impute='mean', 'median' or 'drop' (--impute)",
                   what: str = "Column") -> None:
    """A one-line error naming the file lines where ``series`` has missing values."""
    rows = series.isna().to_numpy().nonzero()[0]
    if rows.size:
        raise InvalidInputError(
            f"{what} {name!r} in '{path}' has missing values "
            f"({file_lines(series.index[rows])}); {fix}.")


def refuse_non_finite(X: np.ndarray, names: list[str], index, path: Path | str) -> None:
    with np.errstate(over="ignore"):
        finite = np.isfinite(X.astype(np.float32))
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise InvalidInputError(
            f"Column {names[col]!r} in '{path}' has an infinite or too large value "
            f"({file_lines([index[row]])}); float32 holds magnitudes up to 3.4e38."
        )
