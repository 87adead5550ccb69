"""The table recipe: the defaults a user's own table trains with.

``mlpkit train --csv`` (a table read whole) and ``TabularClassifier`` / ``TabularRegressor``
start from these values instead of the option table's, which stay the defaults of the built-in
data sets (and ``MLPClassifier`` / ``MLPRegressor`` keep scikit-learn's). Every value was
chosen by ``benchmarks/tabular.py`` on twenty public tables, against LightGBM,
HistGradientBoosting and RealMLP-TD: RESULTS.md, "The table recipe", has each measurement.
A flag or a ``config.toml`` value still overrides any of them.
"""

from __future__ import annotations

from typing import Any

from mlpkit.plan import ONE_HOT_MOST

TABLE_DEFAULTS: dict[str, Any] = {
    "scaler": "robust",            # median / IQR, smooth clip: long tails stop dominating
    "embedding": "table",          # regression: piecewise bins; else cosines (``embedding``)
    "label_smoothing": 0.1,        # classification only
    "beta_2": 0.95,
    "lr": 4e-3,
    "batch_size": "table",         # n/8 within 32..128: 3x faster than "auto", as good
    "min_epochs": 32,              # then on while the validation loss still improves:
    "patience": 16,                # a table that underfits at 32 gets up to 300 epochs
    "clip_output": True,           # regression only: within the training targets' range
    "ensemble": "table",           # regression: 4 members averaged (``members``)
}
REGRESSION_MEMBERS = 4
PIECEWISE_ROWS = 1000          # a table's training rows (after validation) that earn bins


def members(ensemble: int | str, task: str, distributed: bool) -> int:
    """The ensemble's size; "table": 4 members for a regression (its error fell by 1.2 % over
    the nine regression tables), one network for classification (where more members did not
    help) and under DDP (which trains one network)."""
    if ensemble != "table":
        return int(ensemble)
    return REGRESSION_MEMBERS if task == "regression" and not distributed else 1


def embedding(value: str | None, task: str, rows: int | None = None) -> str | None:
    """The input embedding; "table": each number's piecewise bins for a regression of at least
    ``PIECEWISE_ROWS`` training rows (None: not yet known), the periodic embedding otherwise.
    The bins cut the error on the six larger regression tables and raised it on classification
    (0.0962 against 0.0938) and on small regressions (biomass, Boston; diabetes' R² fell from
    0.33 to 0.23): 16 bins a number need rows."""
    if value != "table":
        return value
    big = rows is None or rows >= PIECEWISE_ROWS
    return "piecewise" if task == "regression" and big else "periodic"


def categories(dim: int, encoder: Any) -> dict[str, Any]:
    """The spec's embedding of categories: each category column of more than ``ONE_HOT_MOST``
    values (its one-hot block of inputs) in ``dim`` learned values; nothing for ``dim`` 0 or
    a table without such a column (or data that is no table: ``encoder`` None)."""
    blocks = () if not dim or encoder is None else encoder.category_blocks(ONE_HOT_MOST)
    return {"categories": blocks, "category_embedding": dim} if blocks else {}


def table_defaults(dataset: str | None, dataset_options: dict[str, Any]) -> dict[str, Any]:
    """The recipe's values for this data: a table read whole gets them; the built-in sets and
    a streamed table (whose scaling cannot be robust: no quantiles) keep the general ones."""
    if dataset == "csv" and not dataset_options.get("stream"):
        return dict(TABLE_DEFAULTS)
    return {}
