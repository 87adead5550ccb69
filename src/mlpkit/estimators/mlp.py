"""MLPClassifier and MLPRegressor: drop-ins for scikit-learn's, over either engine.

Same parameters, defaults and meanings as ``sklearn.neural_network``'s MLPs (declared in the
option table, ``options.py``; the rules between them in ``params.py``), the same
learned attributes (``coefs_``, ``loss_curve_``, ``n_iter_``, ...), ``partial_fit``,
``warm_start``, ``verbose``, multi-label and multi-output targets, sparse input, float64
training for float64 data. Plus mlpkit's own: ``engine="torch", device="cuda"``, dropout,
class weights, schedules, model files. Training runs through the same ``Session`` as
``mlpkit train`` and the fitted model is a ``TrainedModel`` (``model_``), the one every door
predicts with.

scikit-learn's behaviour is the default: its initialisation, raw features, its losses, its
early stopping on the validation score; ``scale=True`` and ``monitor="loss"`` choose
mlpkit's own (the command line's). Where they still differ: a binary classifier has two
softmax outputs, not one logistic output, and the batches' order and the validation split
come from other random streams (the initial weights are scikit-learn's for an int seed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from mlpkit.errors import InvalidInputError
from mlpkit.estimators.base import MLPBase, incremental_solver
from mlpkit.estimators.params import signature
from mlpkit.model import TrainedModel
from mlpkit.options import OPTIONS


class MLPClassifier(ClassifierMixin, MLPBase):
    """A multilayer perceptron classifier: softmax cross-entropy, or logistic outputs for a
    multi-label (2-D indicator) y."""

    task = "classification"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    __init__.__signature__ = signature(("hidden_layer_sizes", "activation"), {})

    def _targets(self, y, continuing: bool, classes=None) -> tuple[np.ndarray, dict[str, Any]]:
        """(encoded y, schema fields): class indices, or a 0/1 matrix for multi-label y.
        ``continuing``: the fitted model goes on learning, so its classes stay."""
        if type_of_target(y) == "multilabel-indicator":
            labels = np.arange(y.shape[1])
            fields = {"task": "multilabel", "class_names": [str(k) for k in labels],
                      "class_values": labels.tolist()}
            self.classes_ = labels
            return np.asarray(y, np.float64), fields
        check_classification_targets(y)
        if continuing:
            found = self.classes_
        else:
            found = np.unique(y if classes is None else classes)
        self.classes_ = found
        fields = {"class_names": [str(c) for c in found],
                  "class_values": [c.item() if isinstance(c, np.generic) else c for c in found]}
        return self._encode(y), fields

    def _encode(self, y) -> np.ndarray:
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise InvalidInputError(
                f"y contains labels the model was not fitted on: {unknown.tolist()}; the fitted "
                f"classes are {self.classes_.tolist()}.")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def fit(self, X, y, sample_weight=None):
        if not self.warm_start:
            self.__dict__.pop("session_", None)
        warm = self.warm_start and "model_" in self.__dict__
        X, y = self._validate(X, y, reset=not warm)
        if warm and type_of_target(y) != "multilabel-indicator" and \
                set(np.unique(y).tolist()) != set(self.classes_.tolist()):
            raise InvalidInputError(   # scikit-learn's words
                "warm_start can only be used where `y` has the same classes as in the previous "
                f"call to fit. Previously got {self.classes_}, `y` has {np.unique(y)}")
        encoded, fields = self._targets(y, warm)
        self._start(X, encoded, False, fields)
        self._train(X, encoded, sample_weight)
        return self

    @available_if(incremental_solver)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), keeping the weights; ``classes`` on the first call."""
        first = "model_" not in self.__dict__
        X, y = self._validate(X, y, reset=first)
        if first and classes is None and type_of_target(y) != "multilabel-indicator":
            raise InvalidInputError("The first call to partial_fit needs classes=[...] (all "
                                    "labels), since one batch may not contain them all.")
        if not first and classes is not None and \
                set(np.asarray(classes).tolist()) != set(self.classes_.tolist()):
            raise InvalidInputError(   # scikit-learn's words
                f"`classes={list(classes)}` is not the same as on last call to partial_fit, "
                f"was: {self.classes_}")
        encoded, fields = self._targets(y, not first, classes)
        self._partial(X, encoded, sample_weight, fields)
        return self

    def _epoch_score(self, split, state, record: dict) -> float:
        """An epoch's validation score: (subset) accuracy, as ``score()``."""
        return record["val_accuracy"]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n, n_classes), or each label's (n, n_labels) for multi-label."""
        return self._output(X)

    def predict_log_proba(self, X) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)          # checks fitted-ness before classes_ is read
        if self.model_.task == "multilabel":
            return (proba > 0.5).astype(np.int64)
        return self.classes_[proba.argmax(axis=1)]

    def _adopt(self, model: TrainedModel) -> None:
        super()._adopt(model)
        self.classes_ = np.array(model.labels)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, MLPBase):
    """A multilayer perceptron regressor (squared error), one or several targets."""

    task = "regression"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    __init__.__signature__ = signature(("loss", "hidden_layer_sizes", "activation"),
                                       {"loss": "squared_error"})     # as scikit-learn 1.7+

    def _fields(self, y: np.ndarray) -> dict[str, Any]:
        return {"n_targets": 1 if y.ndim == 1 else y.shape[1]}

    def fit(self, X, y, sample_weight=None):
        if not self.warm_start:
            self.__dict__.pop("session_", None)
        X, y = self._validate(X, y, reset=not (self.warm_start and "model_" in self.__dict__))
        self._start(X, y, False, self._fields(y))
        self._train(X, y, sample_weight)
        return self

    @available_if(incremental_solver)
    def partial_fit(self, X, y, sample_weight=None):
        X, y = self._validate(X, y, reset="model_" not in self.__dict__)
        self._partial(X, y, sample_weight, self._fields(y))
        return self

    def _epoch_score(self, split, state, record: dict) -> float:
        """An epoch's R² on the validation rows, as ``score()`` (the same in the units the
        network learns: R² is unchanged when target and prediction are rescaled alike)."""
        return r2_score(split.y_val, state.stepper.predict_output(split.X_val))

    def predict(self, X) -> np.ndarray:
        return self._output(X)


def load(path: str | Path) -> MLPClassifier | MLPRegressor:
    """The fitted estimator of a model folder, from ``mlpkit train`` or ``save``: it takes the
    same raw rows the run did and predicts exactly what ``mlpkit predict`` writes. Its
    parameters are the options the model was trained with, so ``clone`` retrains alike."""
    model = TrainedModel.load(path)
    cls = MLPRegressor if model.task == "regression" else MLPClassifier
    options = model.options or {**model.spec.to_dict(), "engine": model.engine}
    params = {o.param: options[o.name] for o in OPTIONS
              if o.param is not None and o.name in options}
    params["hidden_layer_sizes"] = tuple(params.get("hidden_layer_sizes", model.spec.hidden))
    if params.get("learning_rate", "constant") is None:
        params["learning_rate"] = "constant"
    if model.task == "regression":
        params.pop("class_weight", None)
        params["loss"] = options.get("loss") or "mse"       # the command line's default
    if isinstance(params.get("class_weight"), dict):
        params["class_weight"] = {int(k): v for k, v in params["class_weight"].items()}
    watched = options.get("patience") is not None or options.get("epochs", 1) is None
    params["early_stopping"] = bool(options.get("val_fraction")) and watched   # a holdout
    estimator = cls(**params)
    estimator._adopt(model)
    return estimator
