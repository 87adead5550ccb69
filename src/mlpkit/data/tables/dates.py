"""Date and time columns: found by their format, turned into numbers a network can use.

A date becomes its year (a trend) and the position in each cycle that holds in the data —
month, day of year, day of week, and hour when the training rows have times — as a sine and a
cosine, so that December sits next to January. One format per column, found from the training
rows; a column that mostly parses but not with one format is refused rather than guessed.
"""

from __future__ import annotations

from shlex import quote

import numpy as np

from mlpkit.errors import InvalidInputError

CYCLES = {"month": 12.0, "dayofyear": 365.25, "dayofweek": 7.0, "hour": 24.0}


def find_format(present, name: str, path: str) -> str | None:
    """The one strftime format every value of ``present`` (text, no missing values) has, or None
    when the column is not dates. Month-first is tried before day-first, as pandas does."""
    import warnings

    import pandas as pd
    from pandas.tseries.api import guess_datetime_format

    text = present.astype(str)
    best = None
    for dayfirst in (False, True):
        with warnings.catch_warnings():        # pandas warns when its guess is day-first
            warnings.simplefilter("ignore", UserWarning)
            fmt = guess_datetime_format(text.iloc[0], dayfirst=dayfirst)
        if fmt is None or not ("%Y" in fmt or "%y" in fmt) or not ("%m" in fmt or "%b" in fmt
                                                                   or "%B" in fmt):
            continue
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        share = float(parsed.notna().mean())
        if share == 1.0:
            return fmt
        if best is None or share > best[1]:
            best = (fmt, share, parsed)
    if best is not None and best[1] >= 0.5:       # dates, but not all in one format
        fmt, _, parsed = best
        bad = text[parsed.isna()]
        raise InvalidInputError(
            f"Date column {name!r} in '{path}' mixes formats: {bad.iloc[0]!r} (line "
            f"{int(bad.index[0]) + 2}) does not read as {fmt} like the rest; write every date "
            f"one way, or leave the column out with --drop {quote(name)}.")
    return None


def parse(series, fmt: str):
    """Text -> datetime64 (NaT where missing or not in ``fmt``)."""
    import pandas as pd

    return pd.to_datetime(series.astype("string"), format=fmt, errors="coerce")


def parts_present(times) -> list[str]:
    """The parts worth features for these training dates: hour only if some have a time."""
    has_time = bool(((times.dt.hour != 0) | (times.dt.minute != 0)).any())
    return ["year", "month", "dayofyear", "dayofweek", *(["hour"] if has_time else [])]


def feature_names(name: str, parts: list[str]) -> list[str]:
    names = []
    for part in parts:
        names += [f"{name}.year"] if part == "year" else [f"{name}.{part}_sin",
                                                          f"{name}.{part}_cos"]
    return names


def features(times, parts: list[str]) -> np.ndarray:
    """(n, k) float64: the year, then sin and cos of each cycle's phase."""
    values = {"year": times.dt.year, "month": times.dt.month - 1,
              "dayofyear": times.dt.day_of_year - 1, "dayofweek": times.dt.day_of_week,
              "hour": times.dt.hour + times.dt.minute / 60.0}
    columns = []
    for part in parts:
        value = values[part].to_numpy(dtype=np.float64)
        if part == "year":
            columns.append(value)
        else:
            angle = 2 * np.pi * value / CYCLES[part]
            columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns)
