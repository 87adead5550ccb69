"""The user's own CSV files as a Dataset: features, a target, the task, a remembered encoding."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np

from mlpkit.data.csv_reader import read_csv
from mlpkit.data.encoding import TabularEncoder, file_lines, refuse_non_finite
from mlpkit.errors import InvalidInputError, InvalidParameterError

MAX_INTEGER_CLASSES = 20  # an integer target with more distinct values is taken as regression
IMPUTE_CHOICES = ("median", "mean", "drop", "none")


def _unknown_column(kind: str, name: str, columns: list[str], path: Path) -> InvalidInputError:
    close = difflib.get_close_matches(name, columns, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return InvalidInputError(
        f"{kind} column {name!r} is not in '{path}'.{hint} Columns: {', '.join(columns)}."
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


def label_values(series) -> list:
    """Target values as plain Python labels: whole floats become ints, mixed types strings."""
    import pandas as pd

    values = series.tolist()
    if pd.api.types.is_float_dtype(series) and np.all(np.mod(series.to_numpy(), 1) == 0):
        return [int(v) for v in values]
    if pd.api.types.is_numeric_dtype(series):
        return values
    return [str(v) for v in values]


def check_options(impute: str | None, task: str | None) -> str:
    """``impute`` normalised (None -> 'none'), after both options are checked."""
    impute = "none" if impute is None else impute
    if impute not in IMPUTE_CHOICES:
        raise InvalidParameterError(
            f"impute must be one of 'median', 'mean', 'drop' or 'none', got {impute!r}.")
    if task not in (None, "classification", "regression"):
        raise InvalidParameterError(
            f"task must be 'classification' or 'regression', got {task!r}.")
    return impute


def choose_columns(columns: list[str], target: str | None, features: list[str] | None,
                   drop: list[str] | None, path: Path) -> tuple[str, list[str]]:
    """(the target column, the feature columns to consider), every name checked."""
    target = columns[-1] if target is None else target
    if target not in columns:
        raise _unknown_column("Target", target, columns, path)
    others = [c for c in columns if c != target]
    for name in [*(features or []), *(drop or [])]:
        if name not in others:
            raise _unknown_column("Feature", name, others, path)
    left_out = set(drop or [])
    chosen = [c for c in (others if features is None else features) if c not in left_out]
    if not chosen:
        raise InvalidInputError(f"'{path}' has no feature columns besides the target {target!r}"
                                f"{' after --drop' if left_out else ''}.")
    return target, chosen


def load_csv(path: str | Path, target: str | None = None, test_path: str | Path | None = None,
             test_size: float = 0.2, features: list[str] | None = None,
             drop: list[str] | None = None, impute: str | None = "median",
             task: str | None = None, encode_categorical: bool = True,
             random_state: int | None = 0, stream: bool = False, chunk_bytes: int | None = None):
    """A Dataset from a CSV file (and an optional separate test CSV with the same columns).

    Every column's role is inferred from the training rows (``data/columns.py``) unless
    ``features`` names the columns to use; ``drop`` leaves columns out. Missing feature values
    are imputed (``impute``: median (default) or mean, with a missing indicator; ``drop``:
    drop those rows; ``none``: refuse them). Rows without a target are dropped, with a note.
    ``stream=True`` reads the table a chunk at a time instead (``data/stream.py``): the same
    options, a ``StreamedTable`` back."""
    if stream:
        from mlpkit.data.stream import open_stream

        return open_stream(path, target, test_path, test_size, features, drop, impute, task,
                           encode_categorical, random_state, chunk_bytes)
    from mlpkit.data.dataset import Dataset
    from mlpkit.data.preprocessing import stratified_split

    impute = check_options(impute, task)
    path = Path(path).expanduser()
    frame = read_csv(path)
    columns = [str(c) for c in frame.columns]
    target, chosen = choose_columns(columns, target, features, drop, path)

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
    notes = []
    frame, note = _rows_with(frame, [target], path, "no target value")
    notes += note
    if test_frame is not None:
        test_frame, note = _rows_with(test_frame, [target], test_path, "no target value")
        notes += note
    if impute == "drop":
        frame, note = _rows_with(frame, chosen, path, "a missing value (impute='drop')")
        notes += note
        if test_frame is not None:
            test_frame, note = _rows_with(test_frame, chosen, test_path,
                                          "a missing value (impute='drop')")
            notes += note

    import pandas as pd

    inferred, reason = infer_task(frame[target])
    if task is None:
        task = inferred
    elif task != inferred:
        reason = f"forced by task={task!r}"
    if task == "regression" and not pd.api.types.is_numeric_dtype(frame[target]):
        raise InvalidInputError(
            f"Target column {target!r} in '{path}' holds text; it cannot be a regression target.")

    labels = label_values(frame[target])
    if task == "classification":
        class_values = sorted(set(labels))
        if len(class_values) < 2:
            raise InvalidInputError(
                f"Target column {target!r} in '{path}' has a single class ({class_values[0]!r}); "
                "classification needs at least two."
            )
        class_names = [str(v) for v in class_values]
    else:
        class_names, class_values = [], None

    if test_frame is None:
        rows = np.arange(len(frame))
        train_rows, test_rows, _, _ = stratified_split(   # on labels, so errors can name them
            rows, np.asarray(labels), test_size, random_state,
            stratify=task == "classification")
        train_frame, test_frame = frame.iloc[np.sort(train_rows)], frame.iloc[np.sort(test_rows)]
        test_source = path
    else:
        train_frame, test_source = frame, test_path

    encoder = TabularEncoder.fit(train_frame, chosen, impute, path, named=features is not None,
                                 encode_categorical=encode_categorical)
    encoder.notes = notes
    X_train = encoder.transform(train_frame, path)
    X_test = encoder.transform(test_frame, test_source)
    y_train = encode_target(train_frame[target], task, class_names, path, target)
    y_test = encode_target(test_frame[target], task, class_names, test_source, target)
    return Dataset(
        name=f"csv:{path.name}", X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
        feature_names=encoder.feature_names, class_names=class_names, task=task,
        description=f"CSV '{path.name}', target {target!r}: {task} ({reason})", encoder=encoder,
        class_values=class_values, target=target,
    )


def _rows_with(frame, columns: list[str], path, why: str):
    """The rows with a value in every one of ``columns``, and a note if any were dropped."""
    kept = frame.dropna(subset=columns)
    dropped = len(frame) - len(kept)
    if kept.empty:
        raise InvalidInputError(f"No rows are left in '{path}' after dropping the rows with "
                                f"{why}.")
    note = [f"{dropped} row(s) of '{Path(path).name}' dropped: {why} "
            f"({file_lines(frame.index[frame[columns].isna().any(axis=1)])})"] if dropped else []
    return kept, note


def encode_target(series, task: str, class_names: list[str], path, target: str) -> np.ndarray:
    """Class indices for classification (refusing labels never seen), float32 for regression."""
    if task == "regression":
        import pandas as pd

        values = pd.to_numeric(series, errors="coerce")
        bad = values.isna().to_numpy().nonzero()[0]
        if bad.size:
            raise InvalidInputError(
                f"Target column {target!r} in '{path}' must be numeric for regression, but holds "
                f"{series.iloc[bad[0]]!r} ({file_lines(series.index[bad])})."
            )
        y = values.to_numpy(dtype=np.float64)
        refuse_non_finite(y[:, None], [target], series.index, path)
        return y.astype(np.float32)
    names = [str(v) for v in label_values(series)]
    index_of = {name: i for i, name in enumerate(class_names)}
    unseen = sorted(set(names) - set(index_of))
    if unseen:
        raise InvalidInputError(
            f"'{path}' has target label(s) {unseen[:5]} that the training data never had "
            f"(known: {', '.join(class_names)})."
        )
    return np.array([index_of[n] for n in names], dtype=np.int64)
