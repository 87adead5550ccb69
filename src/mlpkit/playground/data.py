"""The page's data: a built-in 2-D set or the user's table, with the page's edits, and the grid
the pictures are drawn on.

The data is loaded by ``load_dataset`` exactly as ``mlpkit train`` loads it, so an unedited set
exported from the page trains again to the same weights. Edits (points clicked in or erased,
engineered inputs x², xy, sin x) are applied to the loaded arrays; two of the network's input
columns are drawn, the others held at their training median on the grid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mlpkit.data import Dataset, load_dataset
from mlpkit.errors import InvalidInputError
from mlpkit.playground.settings import Settings

GRID = 48                 # cells a side of the decision surface and of each neuron's picture


@dataclass(frozen=True)
class Canvas:
    """Two input columns drawn over a grid: their indices, ranges, and the grid's rows as the
    network's raw inputs (every other column at its training median)."""

    columns: tuple[int, int]
    names: tuple[str, str]
    ranges: tuple[tuple[float, float], tuple[float, float]]
    inputs: np.ndarray          # (GRID * GRID, n_features), row-major from the top-left cell
    origins: tuple[np.ndarray, np.ndarray]   # each train / test point's index in the loaded
    #   set (train rows first, then test rows: what ``erased`` names); -(j+1): added point j


def load(settings: Settings, csv: dict | None) -> tuple[Dataset, Canvas]:
    """The data the settings describe and the canvas to draw it on."""
    name, options = settings.data_source(csv)
    data = load_dataset(name, **options)
    columns = _picture_columns(data, settings)
    data, origins = _edited(data, settings, columns)
    plain = len(data.feature_names) - _engineered_count(settings)
    columns_all = np.concatenate([data.X_train, data.X_test])[:, :plain]
    picture = columns_all[:, list(columns)]
    ranges = tuple(_padded(picture[:, k]) for k in range(2))
    xs = np.linspace(*ranges[0], GRID, dtype=np.float32)
    ys = np.linspace(*ranges[1], GRID, dtype=np.float32)[::-1]     # the top row is the largest y
    gx, gy = np.meshgrid(xs, ys)
    base = np.median(data.X_train[:, :plain], axis=0).astype(np.float32)
    grid = np.tile(base, (GRID * GRID, 1))
    grid[:, columns[0]], grid[:, columns[1]] = gx.ravel(), gy.ravel()
    inputs = np.hstack([grid, engineer(grid[:, list(columns)], settings)])
    return data, Canvas(columns, (data.feature_names[columns[0]], data.feature_names[columns[1]]),
                        ranges, inputs, origins)


def edited(settings: Settings) -> bool:
    """Whether the page changed the loaded data (then an export writes the data it trained on)."""
    return bool(settings.added or settings.erased or _engineered_count(settings))


def engineer(pair: np.ndarray, settings: Settings) -> np.ndarray:
    """The engineered inputs the settings ask for, from the two drawn columns."""
    parts = []
    if settings.squares:
        parts += [pair[:, 0] ** 2, pair[:, 1] ** 2]
    if settings.product:
        parts.append(pair[:, 0] * pair[:, 1])
    if settings.sines:
        parts += [np.sin(pair[:, 0]), np.sin(pair[:, 1])]
    return np.column_stack(parts).astype(np.float32) if parts else \
        np.empty((len(pair), 0), np.float32)


def engineered_names(names: tuple[str, str], settings: Settings) -> list[str]:
    x, y = names
    return ([f"{x}^2", f"{y}^2"] if settings.squares else []) + \
        ([f"{x}*{y}"] if settings.product else []) + \
        ([f"sin({x})", f"sin({y})"] if settings.sines else [])


def _engineered_count(settings: Settings) -> int:
    return 2 * settings.squares + settings.product + 2 * settings.sines


def _picture_columns(data: Dataset, settings: Settings) -> tuple[int, int]:
    names = list(data.feature_names)
    if len(names) < 2:
        raise InvalidInputError("The playground draws two input columns; this table has "
                                f"{len(names)} ({', '.join(names)}). Use a table with two or more.")
    # by default the first two continuous inputs: not a one-hot column nor a gap indicator
    # (an encoder's "col=value" names), which would draw as two stripes
    continuous = [k for k, name in enumerate(names) if "=" not in name]
    defaults = (continuous + [k for k in range(len(names)) if k not in continuous])[:2]
    chosen = []
    for wanted, fallback in ((settings.x_column, defaults[0]), (settings.y_column, defaults[1])):
        if wanted is None:
            chosen.append(fallback)
        elif wanted in names:
            chosen.append(names.index(wanted))
        else:
            raise InvalidInputError(f"No input column {wanted!r}; the network's inputs are "
                                    f"{', '.join(names[:20])}.")
    if chosen[0] == chosen[1]:
        raise InvalidInputError("Draw two different columns (x and y are both "
                                f"{names[chosen[0]]!r}).")
    return chosen[0], chosen[1]


def _edited(data: Dataset, settings: Settings, columns: tuple[int, int],
            ) -> tuple[Dataset, tuple[np.ndarray, np.ndarray]]:
    """Erased points removed, clicked points added to the training rows, engineered inputs;
    and where each point came from."""
    n_train = len(data.X_train)
    if not edited(settings):
        return data, (np.arange(n_train), np.arange(n_train, n_train + len(data.X_test)))
    n_train = len(data.X_train)
    total = n_train + len(data.X_test)
    erased = np.array([i for i in settings.erased if i < total], dtype=np.int64)
    keep_train = np.setdiff1d(np.arange(n_train), erased)
    keep_test = np.setdiff1d(np.arange(n_train, total), erased) - n_train
    X_train, y_train = data.X_train[keep_train], data.y_train[keep_train]
    X_test, y_test = data.X_test[keep_test], data.y_test[keep_test]
    if settings.added:
        added = np.array(settings.added, dtype=np.float64)
        rows = np.tile(np.median(data.X_train, axis=0), (len(added), 1)).astype(np.float32)
        rows[:, columns[0]], rows[:, columns[1]] = added[:, 0], added[:, 1]
        labels = added[:, 2]
        if data.task == "classification":
            if np.any(labels != np.round(labels)) or labels.min() < 0 or \
                    labels.max() >= data.n_classes:
                raise InvalidInputError(f"A point's class must be 0 to {data.n_classes - 1}.")
            labels = labels.astype(np.int64)
        X_train = np.vstack([X_train, rows])
        y_train = np.concatenate([y_train, labels.astype(y_train.dtype)])
    if len(y_train) < 4 or len(y_test) < 1:
        raise InvalidInputError("Too few points are left to train and test on; undo an erase.")
    names = (data.feature_names[columns[0]], data.feature_names[columns[1]])
    X_train = np.hstack([X_train, engineer(X_train[:, list(columns)], settings)])
    X_test = np.hstack([X_test, engineer(X_test[:, list(columns)], settings)])
    origins = (np.concatenate([keep_train, -1 - np.arange(len(settings.added))]),
               keep_test + n_train)
    return replace(data, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
                   feature_names=[*data.feature_names, *engineered_names(names, settings)],
                   encoder=None, name=f"{data.name}-edited"), origins


def _padded(values: np.ndarray) -> tuple[float, float]:
    low, high = float(np.min(values)), float(np.max(values))
    pad = max(high - low, 1e-6) * 0.05
    return low - pad, high + pad
