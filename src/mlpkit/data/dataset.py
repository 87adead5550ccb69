"""The Dataset every loader returns: a train/test split plus what is needed to read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mlpkit.data.schema import Schema

Task = Literal["classification", "regression", "multilabel"]


@dataclass
class Dataset:
    """Features are float32 ``(n, n_features)``; targets int64 class indices or float32 values.

    ``class_names[i]`` names class index ``i`` and ``class_values[i]`` is its label as the
    data has it (the integers of a built-in set's target, a CSV's own labels); ``encoder`` (CSV
    data only) turns raw table rows into the feature columns, so prediction repeats training's
    encoding.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    task: Task
    description: str
    encoder: Any = field(default=None, repr=False)
    class_values: list | None = None     # None: the class indices themselves
    target: str | None = None

    def schema(self) -> Schema:
        """What a model trained on this data must remember of it."""
        return Schema(self.task, list(self.feature_names), list(self.class_names),
                      self.class_values, None if self.encoder is None else
                      [c.name for c in self.encoder.columns], self.encoder, self.target)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)
