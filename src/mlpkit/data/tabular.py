"""The user's own CSV files: features and a target, with clear errors and a remembered encoding.

``TabularEncoder`` records, from the training rows only, which columns are features, the
categories of each text column (one-hot encoded) and any imputed fill values, so that
prediction applies exactly the same transformation. It serialises to plain JSON.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.errors import InvalidInputError, InvalidParameterError

MAX_CATEGORIES = 50      # more distinct strings than this is an identifier, not a category
MAX_INTEGER_CLASSES = 20  # an integer target with more distinct values is taken as regression
IMPUTE_CHOICES = (None, "mean", "median", "drop")
MAX_CSV_BYTES = 1 << 30   # CSVs are loaded whole; a larger file is refused before reading


def _lines(rows: Any, limit: int = 5) -> str:
    """Data row labels (pandas' default index, kept through splits) -> file lines (header = 1)."""
    numbers = [int(r) + 2 for r in list(rows)[:limit]]
    more = "" if len(rows) <= limit else f" and {len(rows) - limit} more"
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(map(str, numbers)) + more


def _unknown_column(kind: str, name: str, columns: list[str], path: Path) -> InvalidInputError:
    close = difflib.get_close_matches(name, columns, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return InvalidInputError(
        f"{kind} column {name!r} is not in '{path}'.{hint} Columns: {', '.join(columns)}."
    )


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
                    "encode_categorical=True (--encode-categorical) or leave it out with "
                    "features=[...]."
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
            _refuse_missing(series, col.name, path)
            if col.categories is None:
                values = pd.to_numeric(series, errors="coerce")
                bad = values.isna()
                if bad.any():
                    row = bad.to_numpy().nonzero()[0]
                    raise InvalidInputError(
                        f"Column {col.name!r} in '{path}' must be numeric, but holds "
                        f"{series.iloc[row[0]]!r} ({_lines(row)})."
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
        _refuse_non_finite(X, self.feature_names, frame.index, path)
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
            f"({_lines(rows)}); fix those cells."
        )


def _refuse_missing(series, name: str, path: Path | str) -> None:
    rows = series.isna().to_numpy().nonzero()[0]
    if rows.size:
        raise InvalidInputError(
            f"Column {name!r} in '{path}' has missing values ({_lines(series.index[rows])}); fill "
            "them, or pass impute='mean', 'median' or 'drop' (--impute)."
        )


def _refuse_missing_target(series, name: str, path: Path | str) -> None:
    rows = series.isna().to_numpy().nonzero()[0]
    if rows.size:
        raise InvalidInputError(
            f"Target column {name!r} in '{path}' has missing values "
            f"({_lines(series.index[rows])}); remove those rows or pass impute='drop' "
            "(--impute drop)."
        )


def _refuse_non_finite(X: np.ndarray, names: list[str], index, path: Path | str) -> None:
    with np.errstate(over="ignore"):
        finite = np.isfinite(X.astype(np.float32))
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise InvalidInputError(
            f"Column {names[col]!r} in '{path}' has an infinite or too large value "
            f"({_lines([index[row]])}); float32 holds magnitudes up to 3.4e38."
        )


def infer_task(series) -> tuple[str, str]:
    """Classification for text, booleans and few distinct integers; else regression, and why."""
    import pandas as pd

    values = series.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification", "its values are labels"
    n_distinct = values.nunique()
    integral = bool(np.all(np.mod(values.to_numpy(dtype=np.float64), 1) == 0))
    if integral and n_distinct <= MAX_INTEGER_CLASSES:
        return "classification", f"{n_distinct} distinct whole numbers"
    return "regression", (f"{n_distinct} distinct numeric values; pass task='classification' "
                          "to override")


def _label_values(series) -> list:
    """Target values as plain Python labels: whole floats become ints, mixed types strings."""
    import pandas as pd

    values = series.tolist()
    if pd.api.types.is_float_dtype(series) and np.all(np.mod(series.to_numpy(), 1) == 0):
        return [int(v) for v in values]
    if pd.api.types.is_numeric_dtype(series):
        return values
    return [str(v) for v in values]


def load_csv(path: str | Path, target: str | None = None, test_path: str | Path | None = None,
             test_size: float = 0.2, features: list[str] | None = None,
             impute: str | None = None, task: str | None = None,
             encode_categorical: bool = True, random_state: int | None = 0):
    """A Dataset from a CSV file (and an optional separate test CSV with the same columns)."""
    from mlpkit.data.dataset import Dataset
    from mlpkit.data.preprocessing import stratified_split

    if impute not in IMPUTE_CHOICES:
        raise InvalidParameterError(
            f"impute must be one of 'mean', 'median', 'drop' or None, got {impute!r}.")
    if task not in (None, "classification", "regression"):
        raise InvalidParameterError(
            f"task must be 'classification' or 'regression', got {task!r}.")
    path = Path(path).expanduser()
    frame = read_csv(path)
    columns = [str(c) for c in frame.columns]
    target = columns[-1] if target is None else target
    if target not in columns:
        raise _unknown_column("Target", target, columns, path)
    features = [c for c in columns if c != target] if features is None else list(features)
    for name in features:
        if name not in columns or name == target:
            raise _unknown_column("Feature", name, [c for c in columns if c != target], path)
    if not features:
        raise InvalidInputError(f"'{path}' has no feature columns besides the target {target!r}.")

    test_frame = None
    if test_path is not None:
        test_path = Path(test_path).expanduser()
        test_frame = read_csv(test_path)
        test_columns = [str(c) for c in test_frame.columns]
        if set(test_columns) != set(columns):
            raise InvalidInputError(
                f"Test CSV '{test_path}' has other columns than '{path}': missing "
                f"{sorted(set(columns) - set(test_columns))}, extra "
                f"{sorted(set(test_columns) - set(columns))}."
            )
    if impute == "drop":
        frame = frame.dropna(subset=[*features, target])
        test_frame = None if test_frame is None else test_frame.dropna(subset=[*features, target])
        if frame.empty or (test_frame is not None and test_frame.empty):
            raise InvalidInputError(f"No rows are left in '{path}' after dropping missing values.")
    _refuse_missing_target(frame[target], target, path)
    if test_frame is not None:
        _refuse_missing_target(test_frame[target], target, test_path)

    import pandas as pd

    inferred, reason = infer_task(frame[target])
    if task is None:
        task = inferred
    elif task != inferred:
        reason = f"forced by task={task!r}"
    if task == "regression" and not pd.api.types.is_numeric_dtype(frame[target]):
        raise InvalidInputError(
            f"Target column {target!r} in '{path}' holds text; it cannot be a regression target.")

    labels = _label_values(frame[target])
    if task == "classification":
        class_values = sorted(set(labels))
        if len(class_values) < 2:
            raise InvalidInputError(
                f"Target column {target!r} in '{path}' has a single class ({class_values[0]!r}); "
                "classification needs at least two."
            )
        class_names = [str(v) for v in class_values]
    else:
        class_names = []

    if test_frame is None:
        rows = np.arange(len(frame))
        train_rows, test_rows, _, _ = stratified_split(   # on labels, so errors can name them
            rows, np.asarray(labels), test_size, random_state,
            stratify=task == "classification")
        train_frame, test_frame = frame.iloc[np.sort(train_rows)], frame.iloc[np.sort(test_rows)]
        test_source = path
    else:
        train_frame, test_source = frame, test_path

    encoder = TabularEncoder.fit(train_frame, features, encode_categorical, impute, path)
    X_train = encoder.transform(train_frame, path)
    X_test = encoder.transform(test_frame, test_source)
    y_train = _encode_target(train_frame[target], task, class_names, path, target)
    y_test = _encode_target(test_frame[target], task, class_names, test_source, target)
    return Dataset(
        name=f"csv:{path.name}", X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
        feature_names=encoder.feature_names, class_names=class_names, task=task,
        description=f"CSV '{path.name}', target {target!r}: {task} ({reason})", encoder=encoder,
    )


def _encode_target(series, task: str, class_names: list[str], path, target: str) -> np.ndarray:
    """Class indices for classification (refusing labels never seen), float32 for regression."""
    if task == "regression":
        import pandas as pd

        values = pd.to_numeric(series, errors="coerce")
        bad = values.isna().to_numpy().nonzero()[0]
        if bad.size:
            raise InvalidInputError(
                f"Target column {target!r} in '{path}' must be numeric for regression, but holds "
                f"{series.iloc[bad[0]]!r} ({_lines(series.index[bad])})."
            )
        y = values.to_numpy(dtype=np.float64)
        _refuse_non_finite(y[:, None], [target], series.index, path)
        return y.astype(np.float32)
    names = [str(v) for v in _label_values(series)]
    index_of = {name: i for i, name in enumerate(class_names)}
    unseen = sorted(set(names) - set(index_of))
    if unseen:
        raise InvalidInputError(
            f"'{path}' has target label(s) {unseen[:5]} that the training data never had "
            f"(known: {', '.join(class_names)})."
        )
    return np.array([index_of[n] for n in names], dtype=np.int64)
