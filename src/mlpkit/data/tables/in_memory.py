"""The user's own table read whole into a Dataset: features, a target, the task, a remembered
encoding. (``stream.py`` reads the same table a chunk at a time, with the same options.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlpkit.data.tables.columns import fit_encoder
from mlpkit.data.tables.lines import file_lines
from mlpkit.data.tables.options import CODES, POINT_MASSES, check_options, choose_columns
from mlpkit.data.tables.read import read_csv
from mlpkit.data.tables.surprises import Surprises
from mlpkit.data.tables.target import encode_target, infer_task, label_values
from mlpkit.errors import InvalidInputError


def load_csv(path: str | Path, target: str | None = None, test_path: str | Path | None = None,
             test_size: float = 0.2, features: list[str] | None = None,
             drop: list[str] | None = None, impute: str | None = "median",
             task: str | None = None, encode_categorical: bool = True,
             random_state: int | None = 0, point_masses: float = POINT_MASSES,
             codes: int = CODES):
    """A Dataset from a CSV file (and an optional separate test CSV with the same columns).

    Every column's role is inferred from the training rows (``columns.py``) unless
    ``features`` names the columns to use; ``drop`` leaves columns out. Missing feature values
    are imputed (``impute``: median (default) or mean, with a missing indicator; ``drop``:
    drop those rows; ``none``: refuse them); a number's point mass (``point_masses``: the
    share of rows one value must hold) gets a 0/1 feature, and so does each value of a
    whole-number code (``codes``: its most values). Rows without a target are dropped, with a
    note."""
    from mlpkit.data.dataset import Dataset
    from mlpkit.data.preprocessing import stratified_split

    impute = check_options(impute, task, point_masses, codes)
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

    encoder = fit_encoder(train_frame, chosen, impute, path, named=features is not None,
                          encode_categorical=encode_categorical, point_masses=point_masses,
                          codes=codes)
    X_train = encoder.transform(train_frame, path)
    surprises = Surprises()                 # the test rows' new gaps: a note, not a warning
    X_test = encoder.transform(test_frame, test_source, surprises)
    surprises.say(str(test_source), gaps=False)
    if surprises.gaps:
        notes.append(f"{surprises.gap_rows.count} test row(s) have missing values in column(s) "
                     f"{', '.join(map(repr, surprises.gaps))}, which the training rows had none "
                     "of: filled with the training's values")
    encoder.notes = notes
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
