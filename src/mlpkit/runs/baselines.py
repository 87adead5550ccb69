"""What a user would try instead, on the same split: the constant guess, a linear model and
scikit-learn's HistGradientBoosting with its defaults, each fitted on the network's training
rows and scored on its test rows, with its fit time. A table run's report shows them beside
the network, and the doctor says when one of them beats it.

They are a glance, not a second job: HistGradientBoosting (one tree per class and iteration:
ten classes cost ten times two) is left out when probes of 1 and 10 of its 100 iterations
say it would take more than a fifth of the network's fit time (at least a second is always
allowed), and the run says so instead of a score."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from mlpkit.model import TrainedModel

NAMES = {"constant": "constant guess", "linear": "linear model",
         "hist_gradient_boosting": "HistGradientBoosting"}
SHARE, FLOOR = 0.2, 1.0     # the baselines' budget: a fifth of the network's seconds, or 1 s
PROBE = 10                  # HistGradientBoosting's iterations timed before the whole fit


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


def _expected_seconds(estimator: Any, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(the whole fit's seconds as forecast by fits of 1 and of PROBE iterations: the first
    holds the binning, which is paid once; the probes' own seconds)."""
    from sklearn.base import clone

    seconds = []
    for iterations in (1, PROBE):
        started = time.perf_counter()
        clone(estimator).set_params(max_iter=iterations, early_stopping=False).fit(X, y)
        seconds.append(time.perf_counter() - started)
    per_iteration = max(seconds[1] - seconds[0], 0.0) / (PROBE - 1)
    return seconds[0] + per_iteration * (estimator.max_iter - 1), sum(seconds)


def score_baselines(model: TrainedModel, X_train: np.ndarray, y_train: np.ndarray,
                    X_test: np.ndarray, y_test: np.ndarray, seed: int,
                    network_seconds: float) -> dict[str, dict]:
    """Each baseline's test score (accuracy, or R² in the target's units) and fit seconds,
    or why it was left out ("skipped"). ``X_train``/``y_train``: the rows the network trained
    on, as it saw them (scaled); ``X_test``/``y_test``: its test rows, raw."""
    from sklearn.metrics import accuracy_score, r2_score

    X_test = model.scaler.transform(X_test) if model.scaler is not None else X_test
    classify = model.task == "classification"
    y_train = y_train if classify else model.to_target_units(y_train)
    results: dict[str, dict] = {}
    budget = max(SHARE * network_seconds, FLOOR)
    for name, estimator in contenders(model.task, seed).items():
        if name == "hist_gradient_boosting":
            spent = sum(r["seconds"] for r in results.values())
            expected, probe = _expected_seconds(estimator, X_train, y_train)
            if spent + expected > budget:
                results[name] = {"skipped": f"would take about {expected:.1f} s, more than a "
                                 f"fifth of the network's {network_seconds:.1f} s",
                                 "seconds": probe}
                continue
        started = time.perf_counter()
        with warnings.catch_warnings():           # a linear model that stops early says so
            warnings.simplefilter("ignore")
            estimator.fit(X_train, y_train)
        seconds = time.perf_counter() - started
        predicted = estimator.predict(X_test)
        score = accuracy_score(y_test, predicted) if classify else r2_score(y_test, predicted)
        results[name] = {"accuracy" if classify else "r2": float(score), "seconds": seconds}
    return results
