"""scikit-learn's bundled data sets: shipped inside its package, so they load offline."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Table(NamedTuple):
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    class_names: list[str]       # empty for regression
    description: str


# name -> (scikit-learn loader, one-line description)
BUNDLED = {
    "digits": ("load_digits", "8x8 images of handwritten digits (UCI), 10 classes"),
    "iris": ("load_iris", "Fisher's iris flowers: 4 measurements, 3 species"),
    "wine": ("load_wine", "chemical analysis of wines from 3 cultivars (UCI)"),
    "breast_cancer": ("load_breast_cancer",
                      "Wisconsin diagnostic breast cancer: 30 cell-nucleus features, 2 classes"),
    "diabetes": ("load_diabetes",
                 "diabetes progression a year after baseline, 10 features (regression)"),
}

REGRESSION = {"diabetes"}


def load_bundled(name: str) -> Table:
    """The named set as arrays, with scikit-learn's feature and class names."""
    import sklearn.datasets

    loader, description = BUNDLED[name]
    bunch = getattr(sklearn.datasets, loader)()
    feature_names = [str(f) for f in bunch.feature_names]
    class_names = [] if name in REGRESSION else [str(c) for c in bunch.target_names]
    return Table(bunch.data, bunch.target, feature_names, class_names, description)
