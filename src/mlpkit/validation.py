"""Input checks shared by every public entry point, and names resolved with a "did you mean".

They run once at the boundary (``fit``, ``predict``, a loss call), never inside the training hot
path, and turn NumPy's own failures into one-line ``MlpkitError`` messages. Each engine keeps
its own tables (activations, losses, optimizers, initialisers) next to the classes they name
and looks names up through ``resolve``; every typo, of a name, an option or a column, gets its
hint from ``suggest``.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

from mlpkit.errors import InvalidInputError, InvalidParameterError, NotFittedError

T = TypeVar("T")


def suggest(name: Any, known: Iterable[str]) -> str:
    """" Did you mean 'x'?" for the closest known name, or nothing."""
    close = difflib.get_close_matches(str(name), list(known), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def resolve(kind: str, name: str, table: Mapping[str, T]) -> T:
    """Return ``table[name]`` (case-insensitive) or raise a one-line error that suggests a fix."""
    key = name.lower().replace("-", "_") if isinstance(name, str) else name
    if isinstance(key, str | int | float | None) and key in table:
        return table[key]
    raise InvalidParameterError(
        f"Unknown {kind} {name!r}.{suggest(key, table)} Known: {', '.join(sorted(table))}.")


def check_array(
    X: Any,
    *,
    name: str = "X",
    dtype: type | np.dtype | None = np.float64,
    ndim: int = 2,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``X`` as a finite numeric array of ``ndim`` dimensions (cast to ``dtype``)."""
    try:
        array = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"{name} must be numeric, but it could not be converted to numbers ({exc}); "
            "encode text columns as numbers first."
        ) from None
    if dtype is None and not np.issubdtype(array.dtype, np.number):
        raise InvalidInputError(f"{name} must be numeric, got an array of dtype {array.dtype}.")
    if array.ndim != ndim:
        hint = " Reshape a single sample with X.reshape(1, -1)." if array.ndim == 1 else ""
        raise InvalidInputError(
            f"{name} must be {ndim}-D, got a {array.ndim}-D array of shape "
            f"{array.shape}.{hint}"
        )
    if array.size == 0 and not allow_empty:
        raise InvalidInputError(
            f"{name} is empty (shape {array.shape}); pass at least one sample."
        )
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        where = np.argwhere(~np.isfinite(array))[0]
        position = ", ".join(str(int(i)) for i in where)
        raise InvalidInputError(
            f"{name} contains NaN or infinity (first at index [{position}]); "
            "remove or impute those values."
        )
    return array


def check_X_y(
    X: Any, y: Any, *, dtype: type | np.dtype = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """Check features and a 1-D label vector together: both valid, same number of samples."""
    X = check_array(X, dtype=dtype)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise InvalidInputError(
            f"y must be 1-D (one label per sample), got shape {y.shape}."
        )
    if len(y) != len(X):
        raise InvalidInputError(
            f"X and y have different numbers of samples: {len(X)} and {len(y)}."
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise InvalidInputError(
            f"y contains NaN or infinity (first at index {int(np.argmax(~np.isfinite(y)))}); "
            "remove those samples."
        )
    return X, y


def check_n_features(X: np.ndarray, n_features: int, owner: str) -> None:
    """Refuse data whose width differs from what ``owner`` was fitted on."""
    if X.shape[1] != n_features:
        raise InvalidInputError(
            f"X has {X.shape[1]} features, but {owner} was fitted with {n_features}."
        )


def check_known_labels(y: np.ndarray, classes: np.ndarray) -> None:
    """Refuse labels outside the fitted classes, naming them."""
    unknown = np.setdiff1d(np.unique(y), classes)
    if unknown.size:
        raise InvalidInputError(
            f"y contains labels the model was not fitted on: {unknown.tolist()}; "
            f"the fitted classes are {classes.tolist()}."
        )


def check_is_fitted(estimator: Any, attributes: Iterable[str]) -> None:
    """Raise ``NotFittedError`` unless every fitted attribute exists."""
    if not all(hasattr(estimator, attr) for attr in attributes):
        raise NotFittedError(
            f"This {type(estimator).__name__} is not fitted yet; call fit(X, y) first."
        )


def is_number(value: Any, integer: bool = False) -> bool:
    """A Python or NumPy number (a whole one if ``integer``), never a boolean: scikit-learn's
    users pass ``np.int64(0)`` as readily as ``0``."""
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, numbers.Integral if integer else numbers.Real)


def check_positive(value: Any, name: str, *, integer: bool = False) -> None:
    """Refuse a hyper-parameter that is not a strictly positive (integer) number."""
    if not is_number(value, integer) or not value > 0:
        what = "a positive integer" if integer else "a positive number"
        raise InvalidParameterError(f"{name} must be {what}, got {value!r}.")


def check_non_negative(value: Any, name: str) -> None:
    """Refuse a hyper-parameter that is negative or not a number."""
    if not is_number(value) or not value >= 0:
        raise InvalidParameterError(f"{name} must be a number >= 0, got {value!r}.")


def check_bins(bins: Any, columns: int, count: int) -> tuple[tuple[float, ...], ...]:
    """A piecewise encoding's bins (a model file's): per encoded column, ``count + 1``
    increasing edges, ``count`` centres and ``count`` positive spreads, all finite; as tuples."""
    try:
        array = np.asarray(bins, np.float64)
    except (TypeError, ValueError):
        array = np.empty(0)
    if array.shape != (columns, 3 * count + 1) or not np.all(np.isfinite(array)) or \
            np.any(np.diff(array[:, :count + 1], axis=1) < 0) or \
            np.any(array[:, 2 * count + 1:] <= 0):
        raise InvalidParameterError(
            f"bins must be {columns} rows of {3 * count + 1} finite numbers: {count + 1} "
            f"increasing edges, {count} centres, {count} positive spreads.")
    return tuple(tuple(float(v) for v in row) for row in array)


def check_blocks(blocks: Any, n_inputs: int, dim: int) -> tuple[tuple[int, int], ...]:
    """An embedding's categories (a model file's): ordered, separate [start, stop) blocks of
    at least two inputs within 0..n_inputs, and a positive size to embed them in."""
    try:
        pairs = tuple((a, b) for a, b in blocks)
    except (TypeError, ValueError):
        pairs = ()
    ends = [i for pair in pairs for i in pair]
    if not pairs or not all(isinstance(i, int) and not isinstance(i, bool) for i in ends) or \
            ends != sorted(ends) or ends[0] < 0 or ends[-1] > n_inputs or \
            any(b - a < 2 for a, b in pairs) or \
            not (isinstance(dim, int) and not isinstance(dim, bool) and dim > 0):
        raise InvalidParameterError(
            f"categories must be ordered, separate blocks of at least 2 of the {n_inputs} "
            f"inputs, embedded in a positive size; got {blocks!r} in {dim!r}.")
    return pairs


def check_embedded(embedded: Any, n_inputs: int) -> tuple[int, ...]:
    """The inputs an embedding takes: distinct indices in 0..n_inputs - 1, as a tuple."""
    columns = tuple(embedded)
    if not columns or len(set(columns)) < len(columns) or not all(
            isinstance(i, int) and 0 <= i < n_inputs for i in columns):
        raise InvalidParameterError(f"embedded must name distinct inputs in "
                                    f"0..{n_inputs - 1}, got {embedded!r}.")
    return columns
