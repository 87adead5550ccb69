"""Which columns of a user's table are read, and how gaps are handled: the options both the
in-memory and the streamed reader check, each name checked with a "did you mean"."""

from __future__ import annotations

from pathlib import Path

from mlpkit.errors import InvalidInputError, InvalidParameterError
from mlpkit.validation import suggest

IMPUTE_CHOICES = ("median", "mean", "drop", "none")
POINT_MASSES = 0.2      # a number's value held by this share of its rows gets a 0/1 feature
CODES = 50              # a whole-number column of at most this many values: one 0/1 each


def _unknown_column(kind: str, name: str, columns: list[str], path: Path) -> InvalidInputError:
    return InvalidInputError(f"{kind} column {name!r} is not in '{path}'."
                             f"{suggest(name, columns)} Columns: {', '.join(columns)}.")


def check_options(impute: str | None, task: str | None,
                  point_masses: float = POINT_MASSES, codes: int = CODES) -> str:
    """``impute`` normalised (None -> 'none'), after the options are checked."""
    impute = "none" if impute is None else impute
    if impute not in IMPUTE_CHOICES:
        raise InvalidParameterError(
            f"impute must be one of 'median', 'mean', 'drop' or 'none', got {impute!r}.")
    if isinstance(point_masses, bool) or not isinstance(point_masses, int | float) or \
            not 0.0 <= point_masses <= 1.0:
        raise InvalidParameterError(
            f"point_masses (--point-masses) is a share of the training rows, from 0 (none) to "
            f"1; got {point_masses!r}.")
    if isinstance(codes, bool) or not isinstance(codes, int) or codes < 0:
        raise InvalidParameterError(
            f"codes (--codes) is the most distinct values a whole-number column may have to "
            f"get a 0/1 feature per value, a whole number from 0 (none); got {codes!r}.")
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
