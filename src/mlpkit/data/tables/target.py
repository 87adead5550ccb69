"""The target column of a user's table: the task it implies, its labels, and its encoding."""

from __future__ import annotations

import numpy as np

from mlpkit.data.tables.lines import file_lines, refuse_non_finite
from mlpkit.errors import InvalidInputError

MAX_INTEGER_CLASSES = 20  # an integer target with more distinct values is taken as regression


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
