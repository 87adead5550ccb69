"""``open_stream``: the first pass over a table read a chunk at a time (see ``stream.py``).

Every column's role from the first chunk (as ``columns.py`` decides it for a table in memory),
then every row once, in file order, to check it (a bad cell is refused with its file and line),
to collect the category sets, the classes and the fill values (the mean exactly; the median
from a seeded sample of ``SAMPLE_ROWS`` rows) and to count rows. The notes in words come from
``columns.py`` too, so a streamed column reads as the same column in memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlpkit.data.tables.chunks import CHUNK_BYTES, ChunkedTable
from mlpkit.data.tables.columns import (
    MAX_NAMED_CATEGORIES,
    category_note,
    code_levels,
    date_note,
    fit_encoder,
    numeric_note,
    point_mass,
)
from mlpkit.data.tables.encoding import MISSING, TabularEncoder
from mlpkit.data.tables.lines import file_lines
from mlpkit.data.tables.options import CODES, POINT_MASSES, check_options, choose_columns
from mlpkit.data.tables.stream import StreamedTable, row_draws
from mlpkit.data.tables.target import encode_target, infer_task, label_values
from mlpkit.errors import InvalidInputError

SAMPLE_ROWS = 20_000            # the seeded sample medians are taken from


def open_stream(path: str | Path, target: str | None = None,
                test_path: str | Path | None = None, test_size: float = 0.2,
                features: list[str] | None = None, drop: list[str] | None = None,
                impute: str | None = "median", task: str | None = None,
                encode_categorical: bool = True, random_state: int | None = 0,
                chunk_bytes: int | None = None,
                point_masses: float = POINT_MASSES, codes: int = CODES) -> StreamedTable:
    """The first pass over a table too large for memory; see the module doc."""
    impute = check_options(impute, task, point_masses, codes)
    if not 0.0 < test_size < 1.0:
        raise InvalidInputError(f"test_size must lie strictly between 0 and 1, got {test_size}.")
    table = ChunkedTable(path, chunk_bytes or CHUNK_BYTES)
    target, chosen = choose_columns(table.columns, target, features, drop, table.path)
    test_table = None if test_path is None else \
        ChunkedTable(test_path, chunk_bytes or CHUNK_BYTES)
    if test_table is not None and set(test_table.columns) != set(table.columns):
        raise InvalidInputError(
            f"Test file '{test_table.path}' has other columns than '{table.path}'.")
    first = table.read(table.chunks[0]).dropna(subset=[target])
    if first.empty:
        raise InvalidInputError(f"The first chunk of '{table.path}' has no row with a target "
                                "value; mlpkit infers the columns from it.")
    inferred, reason = infer_task(first[target])
    task = task or inferred
    encoder = fit_encoder(first, chosen, impute, table.path, named=features is not None,
                          point_masses=point_masses, codes=codes,
                          encode_categorical=encode_categorical)
    text = {c.name: str for c in encoder.used if c.role in ("category", "date")}
    if task == "classification" and not _numeric(first[target]):
        text[target] = str
    stream = StreamedTable(table, test_table, target, task, encoder, [], None, test_size,
                           0 if random_state is None else int(random_state), impute, text,
                           f"'{table.path.name}', target {target!r}: {task} ({reason}), "
                           "streamed")
    _first_pass(stream, named=features is not None, point_masses=point_masses, codes=codes)
    return stream


def _numeric(series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _first_pass(stream: StreamedTable, named: bool, point_masses: float, codes: int) -> None:
    """Check every row, collect categories, classes and fill values, count rows; point masses
    from the sample, as the medians."""
    import warnings

    import pandas as pd

    from mlpkit.errors import DataWarning

    encoder, table, target = stream.encoder, stream.table, stream.target
    categories = {c.name: set() for c in encoder.used if c.role == "category"}
    gaps = {c.name: 0 for c in encoder.used}
    sums = {c.name: [0.0, 0] for c in encoder.used if c.role == "numeric"}
    limit = MAX_NAMED_CATEGORIES     # (the first chunk decided which columns are categories)
    labels: set = set()
    sample, dropped, n_dropped = [], [], 0
    for chunk, frame in table.frames(stream.dtypes):
        where = table.where(chunk)
        usable = stream.usable(frame)
        if len(usable) < len(frame):
            n_dropped += len(frame) - len(usable)
            dropped += list(frame.index[~frame.index.isin(usable.index)][:5])
        train = usable[~stream.test_mask(table.row_numbers(chunk, usable))]
        for col in encoder.used:
            gaps[col.name] += int(train[col.name].isna().sum())
        for name, seen in categories.items():
            seen.update(train[name].dropna().astype(str).unique())
            if len(seen) > limit:
                raise InvalidInputError(
                    f"Column {name!r} in '{where}' has more than {limit} distinct values by "
                    f"{file_lines(train.index[-1:])}, too many to one-hot encode; leave it out "
                    f"with --drop {name}.")
        for col in encoder.used:
            if col.role == "category":
                col.categories = sorted(categories[col.name])
        for name, (total, count) in sums.items():
            values = pd.to_numeric(train[name], errors="coerce")
            sums[name] = [total + float(values.sum()), count + int(values.notna().sum())]
        with warnings.catch_warnings():     # test rows' new categories are said when scored
            warnings.simplefilter("ignore", DataWarning)
            encoder.transform(usable, where)          # refuses what cannot be read, by line
        if stream.task == "regression":
            encode_target(usable[target], "regression", [], where, target)
        else:
            labels.update(label_values(train[target]))
        draws = row_draws(table.row_numbers(chunk, train), stream.seed, 0)
        sample.append(train.assign(_draw=draws).nsmallest(SAMPLE_ROWS, "_draw"))
        if len(sample) > 8:
            sample = [pd.concat(sample).nsmallest(SAMPLE_ROWS, "_draw")]
    _settle_encoder(encoder, pd.concat(sample).nsmallest(SAMPLE_ROWS, "_draw"), gaps, sums,
                    stream.impute, point_masses, codes)
    if stream.task == "classification":
        if len({type(v) for v in labels}) > 1:       # a text label in a later chunk: all text,
            labels = {str(v) for v in labels}         # as a whole column read in memory
        values = sorted(labels)
        if len(values) < 2:
            raise InvalidInputError(f"Target column {target!r} in '{table.path}' has a single "
                                    "class in its training rows; classification needs two.")
        stream.class_values, stream.class_names = values, [str(v) for v in values]
    if dropped:
        stream.notes.append(
            f"{n_dropped} row(s) of '{table.path.name}' dropped: no target value"
            f"{' or a missing value' if stream.impute == 'drop' else ''} ({file_lines(dropped)})")
    encoder.notes = stream.notes
    if stream.test_table is not None:         # checked now, not after training
        for frame, where in stream.test_frames():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                stream.encode(frame, where)


def _settle_encoder(encoder: TabularEncoder, sample, gaps: dict[str, int],
                    sums: dict[str, list], impute: str, point_masses: float,
                    codes: int) -> None:
    """Fill values and missing indicators from the whole table (medians, point masses and
    codes' values from the sample)."""
    from mlpkit.data.tables import dates

    fill = impute in ("mean", "median")
    for col in encoder.used:
        missing = gaps[col.name]
        if col.role == "category":
            col.categories += [MISSING] if fill and missing else []
            col.note = category_note(len(col.categories), missing, impute)
            continue
        present = sample[col.name].dropna()
        if col.role == "numeric":
            col.levels = code_levels(pd_numbers(present), codes)
            mass = None if col.levels is not None else \
                point_mass(pd_numbers(present), point_masses)
            col.mass = None if mass is None else mass[0]
            if fill:
                total, count = sums[col.name]
                col.fill = (total / count if impute == "mean" else
                            float(np.median(pd_numbers(present)))) if count else 0.0
            col.note = numeric_note(missing, impute, col.fill, mass, col.levels)
        if not fill:
            continue
        if col.role == "date":
            times = dates.parse(present, col.date_format).dropna().sort_values()
            if len(times):
                col.fill = str(times.iloc[len(times) // 2].isoformat())
            col.note = date_note(col.date_format, col.date_parts, missing, col.fill)
        col.indicator = missing > 0


def pd_numbers(series) -> np.ndarray:
    import pandas as pd

    return pd.to_numeric(series, errors="coerce").dropna().to_numpy(np.float64)
