"""Errors that name the file lines of bad cells: the one spelling of a row's place in its file
(pandas' index is kept through splits and chunks for this)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.errors import InvalidInputError


def file_lines(rows: Any, limit: int = 5, total: int | None = None) -> str:
    """Data row labels (pandas' default index, kept through splits) -> file lines (header = 1).
    ``total``: how many rows there are in all, when ``rows`` holds only the first few."""
    numbers = [int(r) + 2 for r in list(rows)[:limit]]
    total = len(rows) if total is None else total
    more = "" if total <= limit else f" and {total - limit} more"
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(map(str, numbers)) + more


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
