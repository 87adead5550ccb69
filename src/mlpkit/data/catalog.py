"""``load_dataset(name, **options)``: every data set by name, its options checked.

Names: blobs, circles, moons, xor, spirals (synthetic, seeded); digits, iris, wine,
breast_cancer, diabetes (scikit-learn's bundled files); mnist, fashion-mnist (IDX files);
csv (``path=...``, or the short form ``"csv:path/to/file.csv"``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlpkit.data.dataset import Dataset
from mlpkit.data.preprocessing import stratified_split
from mlpkit.data.sets import builtin, mnist, synthetic
from mlpkit.data.tables.options import CODES, POINT_MASSES
from mlpkit.errors import InvalidParameterError
from mlpkit.validation import resolve, suggest


@dataclass(frozen=True)
class Entry:
    name: str
    source: str
    load: Callable[..., Dataset]
    options: tuple[str, ...]
    listed_shape: tuple[int, int, int, int] | None = None  # train, test, features, classes


def _shape(entry: Entry) -> tuple[int, int, int, int]:
    """The entry's default shape: loaded (cheap for synthetic and bundled sets) or as published."""
    if entry.listed_shape is not None:
        return entry.listed_shape
    data = entry.load()
    return len(data.X_train), len(data.X_test), data.n_features, data.n_classes


def describe_datasets() -> list[dict[str, Any]]:
    """One row per built-in data set, for ``mlpkit datasets``."""
    rows = []
    for entry in ENTRIES.values():
        row: dict[str, Any] = {"name": entry.name, "source": entry.source}
        if entry.name != "csv":
            n_train, n_test, n_features, n_classes = _shape(entry)
            row.update(train=f"{n_train} x {n_features}", test=f"{n_test} x {n_features}",
                       classes=str(n_classes) if n_classes else "regression")
        rows.append(row)
    return rows


def _split(name: str, X: np.ndarray, y: np.ndarray, feature_names: list[str],
           class_names: list[str], description: str, test_size: float,
           random_state: int | None) -> Dataset:
    regression = not class_names
    X_train, X_test, y_train, y_test = stratified_split(
        X.astype(np.float32), y, test_size, random_state, stratify=not regression)
    target_dtype = np.float32 if regression else np.int64
    return Dataset(name, X_train, y_train.astype(target_dtype), X_test, y_test.astype(target_dtype),
                   feature_names, class_names, "regression" if regression else "classification",
                   description)


def _synthetic_entry(name: str) -> Entry:
    generate = synthetic.GENERATORS[name]

    def load(test_size: float = 0.2, **options: Any) -> Dataset:
        X, y = generate(**options)
        random_state = options.get("random_state", 0)
        description = inspect.getdoc(generate).splitlines()[0]
        classes = [] if name in synthetic.REGRESSION else \
            [str(c) for c in range(int(y.max()) + 1)]
        return _split(name, X, y, [f"x{i}" for i in range(X.shape[1])], classes, description,
                      test_size, random_state)

    options = ("test_size", *inspect.signature(generate).parameters)
    return Entry(name, f"synthetic (seeded {name} generator)", load, options)


def _bundled_entry(name: str) -> Entry:
    def load(test_size: float = 0.2, random_state: int | None = 0) -> Dataset:
        table = builtin.load_bundled(name)
        return _split(name, table.X, table.y, table.feature_names, table.class_names,
                      table.description, test_size, random_state)

    return Entry(name, "bundled with scikit-learn (offline)", load, ("test_size", "random_state"))


def _idx_entry(name: str) -> Entry:
    source = mnist.SOURCES[name]

    def load(data_dir: str | None = None, mirrors: list[str] | None = None) -> Dataset:
        X_train, y_train, X_test, y_test = mnist.load_idx_dataset(name, data_dir, mirrors)
        return Dataset(name, X_train, y_train, X_test, y_test,
                       [f"pixel{i}" for i in range(X_train.shape[1])], list(source.class_names),
                       "classification", source.description)

    return Entry(name, "IDX files: data_dir, $MLPKIT_DATA_DIR, cache, or download (MD5-checked)",
                 load, ("data_dir", "mirrors"), (60000, 10000, 784, len(source.class_names)))


def load_table(path: str, target: str | None = None, test_path: str | None = None,
               test_size: float = 0.2, features: list[str] | None = None,
               drop: list[str] | None = None, impute: str | None = "median",
               task: str | None = None, encode_categorical: bool = True,
               random_state: int | None = 0, stream: bool = False,
               chunk_bytes: int | None = None, point_masses: float = POINT_MASSES,
               codes: int = CODES):
    """The user's table (CSV or Parquet): read whole into a ``Dataset``, or with ``stream``
    opened to be read a chunk at a time (a ``StreamedTable``); the same options either way."""
    options = dict(target=target, test_path=test_path, test_size=test_size, features=features,
                   drop=drop, impute=impute, task=task, encode_categorical=encode_categorical,
                   random_state=random_state, point_masses=point_masses, codes=codes)
    if stream:
        from mlpkit.data.tables.first_pass import open_stream

        return open_stream(path, chunk_bytes=chunk_bytes, **options)
    from mlpkit.data.tables.in_memory import load_csv

    return load_csv(path, **options)


ENTRIES: dict[str, Entry] = {
    **{n: _synthetic_entry(n) for n in synthetic.GENERATORS},
    **{n: _bundled_entry(n) for n in builtin.BUNDLED},
    "mnist": _idx_entry("mnist"),
    "fashion_mnist": _idx_entry("fashion-mnist"),
    "csv": Entry("csv", "your own CSV file (path=..., target=...)", load_table,
                 tuple(inspect.signature(load_table).parameters)),
}


def load_dataset(name: str, **options: Any) -> Dataset:
    """The data set called ``name`` as a train/test ``Dataset``; see the module doc for names."""
    if name.startswith("csv:"):
        name, options = "csv", {"path": name[4:], **options}
    entry = resolve("dataset", name, ENTRIES)
    for option in options:
        if option not in entry.options:
            raise InvalidParameterError(
                f"Unknown option {option!r} for dataset {entry.name!r}."
                f"{suggest(option, entry.options)} "
                f"Options: {', '.join(entry.options)}."
            )
    if entry.name == "csv" and "path" not in options:
        raise InvalidParameterError("The csv dataset needs path='file.csv' (--csv FILE).")
    return entry.load(**options)
