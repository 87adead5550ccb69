"""What a user would try instead, on the same split: the constant guess, a linear model and
scikit-learn's HistGradientBoosting with its defaults, each fitted on the network's training
rows and scored on its test rows, with its fit time. A table run's report shows them beside
the network, and the doctor says when one of them beats it."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from mlpkit.model import TrainedModel

NAMES = {"constant": "constant guess", "linear": "linear model",
         "hist_gradient_boosting": "HistGradientBoosting"}


def contenders(task: str, seed: int) -> dict[str, Any]:
    """The baselines of a task, with scikit-learn's defaults (the linear model's iterations
    raised so that it converges on scaled data)."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    if task == "classification":
        return {"constant": DummyClassifier(strategy="prior"),
                "linear": LogisticRegression(max_iter=1000),
                "hist_gradient_boosting": HistGradientBoostingClassifier(random_state=seed)}
    return {"constant": DummyRegressor(), "linear": Ridge(),
            "hist_gradient_boosting": HistGradientBoostingRegressor(random_state=seed)}


def score_baselines(model: TrainedModel, X_train: np.ndarray, y_train: np.ndarray,
                    X_test: np.ndarray, y_test: np.ndarray, seed: int) -> dict[str, dict]:
    """Each baseline's test score (accuracy, or R² in the target's units) and fit seconds.
    ``X_train``/``y_train``: the rows the network trained on, as it saw them (scaled);
    ``X_test``/``y_test``: its test rows, raw."""
    from sklearn.metrics import accuracy_score, r2_score

    X_test = model.scaler.transform(X_test) if model.scaler is not None else X_test
    classify = model.task == "classification"
    y_train = y_train if classify else model.to_target_units(y_train)
    results = {}
    for name, estimator in contenders(model.task, seed).items():
        started = time.perf_counter()
        with warnings.catch_warnings():           # a linear model that stops early says so
            warnings.simplefilter("ignore")
            estimator.fit(X_train, y_train)
        seconds = time.perf_counter() - started
        predicted = estimator.predict(X_test)
        score = accuracy_score(y_test, predicted) if classify else r2_score(y_test, predicted)
        results[name] = {"accuracy" if classify else "r2": float(score), "seconds": seconds}
    return results
