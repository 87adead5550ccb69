"""Column roles: what each column of a user's table is, decided from the training rows.

numeric (kept as a number), category (one-hot), date (year and cycles), or left out: an ID (a
different value on every row), free text (too many distinct values to one-hot encode) or an
empty column. Each decision carries a note in words, shown in the run's summary and report,
with the flag that overrides it. Columns the user names with ``features`` are never left out.
"""

from __future__ import annotations

from pathlib import Path
from shlex import quote

import numpy as np

from mlpkit.data.tables import dates
from mlpkit.data.tables.encoding import MISSING, ColumnEncoding, TabularEncoder
from mlpkit.data.tables.lines import file_lines
from mlpkit.data.tables.options import CODES, POINT_MASSES
from mlpkit.errors import InvalidInputError

MAX_CATEGORIES = 50          # more distinct strings than this, unasked: free text, left out,
REPEATS = 10                 # ... unless each is seen this often on average (a category)
MAX_NAMED_CATEGORIES = 1000  # ... and when the user names the column with --features
MIN_ROWS_FOR_ID = 20         # a unique value on every row of a tiny table proves nothing
BALANCED = 0.5               # a code's rarest value: at least this share of the mean's rows


def fit_encoder(frame, features: list[str], impute: str, path: Path, named: bool = False,
                encode_categorical: bool = True,
                point_masses: float = POINT_MASSES, codes: int = CODES) -> TabularEncoder:
    """Each column's role from the training rows (``infer``); ``named``: the user chose these
    columns (none is left out); ``point_masses``: ``point_mass``'s share; ``codes``:
    ``code_levels``' most values."""
    columns = [infer(frame[name], name, impute, named, encode_categorical, path, point_masses,
                     codes) for name in features]
    if not any(col.role != "dropped" for col in columns):
        raise InvalidInputError(
            f"No feature column is left in '{path}': "
            + "; ".join(f"{c.name!r} {c.note}" for c in columns[:3])
            + ". Name the columns to use with --features.")
    return TabularEncoder(columns)


def infer(series, name: str, impute: str, named: bool, encode_categorical: bool,
          path: Path, point_masses: float = POINT_MASSES, codes: int = CODES) -> ColumnEncoding:
    """The role of one column and how to encode it, from its training rows."""
    import pandas as pd

    present = series.dropna()
    gaps = len(series) - len(present)
    if present.empty:
        if named:
            raise InvalidInputError(f"Column {name!r} in '{path}' has no values; leave it out "
                                    "of --features.")
        return ColumnEncoding(name, "dropped", note="it has no values")
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return _numeric(present, name, gaps, impute, named, point_masses, codes)
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.notna().all():         # text only in rows outside training: numbers here
        return _numeric(numbers, name, gaps, impute, named, point_masses, codes)
    _refuse_mostly_numeric_text(series, name, path)
    fmt = dates.find_format(present, name, str(path))
    if fmt is not None:
        return _date(series, name, fmt, gaps, impute)
    categories = sorted(present.astype(str).unique())
    if not encode_categorical:
        raise InvalidInputError(
            f"Feature column {name!r} in '{path}' holds text; one-hot encode it with "
            "encode_categorical=True (--data-option encode_categorical=true) or leave it out "
            f"with --drop {quote(name)}.")
    if not named and gaps == 0 and len(categories) == len(series) >= MIN_ROWS_FOR_ID:
        return ColumnEncoding(name, "dropped", note="an ID (a different value on "
                              f"every row); keep it with --features {quote(name)} ...")
    if not named and len(categories) > MAX_CATEGORIES and \
            (len(present) < REPEATS * len(categories) or len(categories) > MAX_NAMED_CATEGORIES):
        return ColumnEncoding(name, "dropped", note=f"free text ({len(categories)} "
                              f"distinct values, more than {MAX_CATEGORIES}, seen "
                              f"{len(present) / len(categories):.1f} times each on average); "
                              f"keep it with --features {quote(name)} ...")
    if len(categories) > MAX_NAMED_CATEGORIES:
        raise InvalidInputError(
            f"Feature column {name!r} in '{path}' holds text with {len(categories)} distinct "
            f"values, too many to one-hot encode (at most {MAX_NAMED_CATEGORIES}); leave it out "
            f"with --drop {quote(name)}.")
    if gaps and impute in ("mean", "median"):
        categories.append(MISSING)
    return ColumnEncoding(name, "category", categories=categories,
                          note=category_note(len(categories), gaps, impute))


# The notes in words, written once for the in-memory and the streamed encoder alike.
def category_note(n_categories: int, gaps: int, impute: str) -> str:
    note = f"{n_categories} value{'s' if n_categories > 1 else ''}, one-hot"
    if gaps and impute in ("mean", "median"):
        note += f"; {gaps} missing as a category of their own"
    return note


def numeric_note(gaps: int, impute: str, fill: float | None,
                 mass: tuple[float, float] | None = None,
                 levels: list[float] | None = None) -> str:
    """``mass``: (the value, the share of the rows that hold it); ``levels``: a code's."""
    note = "a number"
    if gaps and fill is not None:
        note += f"; {gaps} missing filled with the {impute} {fill:.4g}, plus an indicator"
    if levels is not None:
        note += (f"; whole numbers, {len(levels)} values (a code?): each also as a 0/1 "
                 "feature (--codes 0: none)")
    elif mass is not None:
        note += f"; {mass[1]:.0%} of the rows are {mass[0]:g}: that too as a 0/1 feature"
    return note


def point_mass(values: np.ndarray, share: float) -> tuple[float, float] | None:
    """(the value, its share) that at least ``share`` of a number's training values hold, if
    any: a count that is mostly 0, a bound many rows sit at. Trees split there at once; a
    network gets it as a 0/1 feature (over twenty tables the error fell 1.7 %: RESULTS.md).
    None for ``share`` 0, and for a column of two values (its value is its own indicator)."""
    if share <= 0 or len(values) == 0:
        return None
    distinct, counts = np.unique(values, return_counts=True)
    top = int(np.argmax(counts))
    if len(distinct) <= 2 or counts[top] < share * len(values) or \
            not np.isfinite(distinct[top]):
        return None
    return float(distinct[top]), float(counts[top] / len(values))


def code_levels(values: np.ndarray, most: int) -> list[float] | None:
    """Every value of a code: a whole-number column of 3 to ``most`` distinct values, each seen
    ``REPEATS`` times on average and none on fewer than ``BALANCED`` of the average's rows.
    A code's numbers name groups of like size (the states and years of a panel, a chain's
    stores), where a quantity's (an age, a count, a rating) crowd around typical values. Trees
    split a code value by value; a network given only the number must fit it as a curve
    (Cigar's state: error 0.41 as a number, 0.17 with a 0/1 feature per state). None
    otherwise; ``most`` 0: never."""
    distinct, counts = np.unique(values, return_counts=True)
    if not 3 <= len(distinct) <= most or len(values) < REPEATS * len(distinct) or \
            counts.min() < BALANCED * counts.mean() or not np.all(np.mod(distinct, 1) == 0):
        return None
    return [float(v) for v in distinct]


def date_note(fmt: str, parts: list[str], gaps: int, fill: str | None) -> str:
    note = f"as {fmt}: year, and " + ", ".join(parts[1:]) + " as cycles"
    if gaps and fill is not None:
        note += f"; {gaps} missing filled with the median date {fill[:10]}, plus an indicator"
    return note


def _numeric(present, name: str, gaps: int, impute: str, named: bool,
             point_masses: float, codes: int) -> ColumnEncoding:
    values = present.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):        # infinities are refused later, by line
        whole = bool(np.all(np.mod(values, 1) == 0))
    if (not named and gaps == 0 and whole and len(values) >= MIN_ROWS_FOR_ID
            and len(np.unique(values)) == len(values)
            and values.max() - values.min() < 2 * len(values)):     # dense: a row counter
        return ColumnEncoding(name, "dropped", note="an ID (a different whole number on "
                              "every row, like a row counter); keep it with "
                              f"--features {quote(name)} ...")
    fill = None
    if impute in ("mean", "median"):           # kept even without gaps: new rows may have some
        fill = float(np.mean(values) if impute == "mean" else np.median(values))
    levels = code_levels(values, codes)
    mass = None if levels is not None else point_mass(values, point_masses)
    return ColumnEncoding(name, "numeric", fill=fill, indicator=bool(gaps and fill is not None),
                          mass=None if mass is None else mass[0], levels=levels,
                          note=numeric_note(gaps, impute, fill, mass, levels))


def _date(series, name: str, fmt: str, gaps: int, impute: str) -> ColumnEncoding:
    times = dates.parse(series, fmt)
    parts = dates.parts_present(times.dropna())
    fill = None
    if impute in ("mean", "median"):
        fill = str(times.dropna().sort_values().iloc[len(times.dropna()) // 2].isoformat())
    return ColumnEncoding(name, "date", fill=fill, indicator=bool(gaps and fill is not None),
                          date_format=fmt, date_parts=parts,
                          note=date_note(fmt, parts, gaps, fill))


def _refuse_mostly_numeric_text(series, name: str, path: Path) -> None:
    """A numeric column with a few stray words is a typo, not a category: say where."""
    import pandas as pd

    present = series.dropna()
    as_numbers = pd.to_numeric(present, errors="coerce")
    if len(present) and as_numbers.notna().mean() >= 0.9:
        bad = as_numbers.isna().to_numpy().nonzero()[0]
        rows = present.index[bad]
        raise InvalidInputError(
            f"Column {name!r} in '{path}' is numeric except for {present.iloc[bad[0]]!r} "
            f"({file_lines(rows)}); fix those cells.")
