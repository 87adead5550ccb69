"""MLPClassifier and MLPRegressor: the scikit-learn API over either engine.

They follow scikit-learn's conventions (``__init__`` only stores, ``fit`` returns self, learned
state ends in ``_``) and use its validation helpers at this boundary, so they work in
Pipelines, cross-validation and grid searches. Their parameters come from the option table
(``options.py``): each training option of the command line is an estimator parameter, under
the name in the table's ``param`` column, plus scikit-learn's ``early_stopping`` switch,
``callbacks`` and ``verbose``. Training runs through the same ``Session`` as ``mlpkit train``
and the fitted model is a ``TrainedModel`` (``model_``), the one every door predicts with.

As in scikit-learn, training also stops once the training loss has not improved by ``tol`` for
``patience`` epochs (``tol=None`` runs all ``max_epochs``); with ``early_stopping=True`` the
validation loss is watched instead and the best weights are restored. Features are
standardised with the training rows' statistics unless ``scale=False``.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlpkit.config import RunConfig
from mlpkit.data.schema import Schema
from mlpkit.errors import InvalidInputError, InvalidParameterError
from mlpkit.model import TrainedModel, is_table
from mlpkit.options import OPTIONS
from mlpkit.training.session import Session

POSITIONAL = ("hidden_layer_sizes", "activation")   # as scikit-learn's MLP allows
EXTRA = {"early_stopping": False, "callbacks": None, "verbose": False}   # ESTIMATOR_ONLY


def _signature() -> inspect.Signature:
    """The estimators' ``__init__`` signature, from the option table (scikit-learn reads it)."""
    kind = inspect.Parameter
    params = [kind("self", kind.POSITIONAL_OR_KEYWORD)]
    for option in OPTIONS:
        if option.param is not None:
            params.append(kind(option.param, kind.POSITIONAL_OR_KEYWORD
                               if option.param in POSITIONAL else kind.KEYWORD_ONLY,
                               default=option.estimator_default))
    params += [kind(name, kind.KEYWORD_ONLY, default=value) for name, value in EXTRA.items()]
    return inspect.Signature(params)


class _MLPBase(BaseEstimator):
    task: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = _MLPBase.__init__.__signature__.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = _signature()

    # ---- parameters -> one RunConfig, as the command line would build it
    def _seed(self) -> int:
        if isinstance(self.random_state, (int, np.integer)):
            return int(self.random_state)
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(2**31 - 1))
        return int(np.random.default_rng().integers(2**31 - 1))

    def _run_config(self, n_samples: int, incremental: bool = False) -> RunConfig:
        values = {o.name: getattr(self, o.param) for o in OPTIONS if o.param is not None}
        batch = values["batch_size"]
        if batch == "auto":                           # scikit-learn's rule
            values["batch_size"] = min(200, n_samples)
        elif isinstance(batch, int):
            values["batch_size"] = min(batch, n_samples)
        values["seed"] = self._seed()
        watch_validation = self.early_stopping and not incremental
        values["val_fraction"] = self.validation_fraction if watch_validation else 0.0
        if self.tol is None or incremental:     # no convergence stop: all max_epochs
            values["patience"] = None
        values["tol"] = self.tol or 0.0
        if self.task == "regression" and self.class_weight is not None:
            raise InvalidParameterError("class_weight applies to classification only.")
        if values["hidden"] is not None and not isinstance(values["hidden"], (list, tuple)):
            values["hidden"] = (values["hidden"],)
        return RunConfig().with_options(values)

    def _schema(self, extra: dict[str, Any]) -> Schema:
        names = getattr(self, "feature_names_in_", None)
        features = [str(f) for f in names] if names is not None else \
            [f"x{i}" for i in range(self.n_features_in_)]
        return Schema(self.task, features, input_names=None if names is None else features,
                      **extra)

    # ---- training: one session per fit; partial_fit continues it
    def _start(self, n_samples: int, incremental: bool, schema_extra: dict[str, Any]) -> None:
        self.session_ = Session(self._run_config(n_samples, incremental),
                                self._schema(schema_extra))
        if incremental and hasattr(self, "model_"):      # continue a loaded model
            self.session_.stepper.load_state_dict(self.model_.state_dict)
            self.session_.scaler = self.model_.scaler

    def _train(self, X: np.ndarray, y: np.ndarray, sample_weight, epochs: int | None = None,
               batch_seed: int | None = None) -> None:
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, len(y))
        session = self.session_
        split = session.prepare(X, y, sample_weight)
        state = session.fit(split, list(self.callbacks or []), progress=bool(self.verbose),
                            epochs=epochs, batch_seed=batch_seed)
        self.model_ = session.model()
        history = state.history
        self.history_ = [dict(r) for r in history]
        self.loss_curve_ = history.column("train_loss")
        self.validation_loss_curve_ = [v for v in history.column("val_loss") if v is not None]
        self.best_epoch_ = state.best_epoch or len(history)
        self.n_iter_ = len(history)

    def _continue(self, X, y, sample_weight) -> None:
        """One more epoch of the session partial_fit started (or of a loaded model)."""
        done = len(self.session_.history)
        self._train(X, y, sample_weight, epochs=done + 1,
                    batch_seed=self.session_.config.train.seed + done)

    # ---- prediction: raw rows through the model, as every door
    def _features(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        if self.model_.schema.encoder is not None:     # trained on a table with text columns
            return self.model_.features(X)
        names = getattr(self, "feature_names_in_", None)
        if names is not None and is_table(X) and set(names) <= set(map(str, X.columns)):
            X = X[list(names)]                          # by name, whatever the order
        return validate_data(self, X, reset=False, dtype=np.float32)

    def _output(self, X) -> np.ndarray:
        features = self._features(X)            # checks fitted-ness first
        return self.model_.predict_output(features).astype(np.float64)

    # ---- model files
    def save(self, path: str | Path, overwrite: bool = False) -> None:
        """Save to a folder as mlpkit's model files (the format of a run folder), with the
        training history; ``mlpkit predict``, ``evaluate`` and ``report`` read it."""
        from mlpkit.io import atomic
        from mlpkit.training.history import History

        check_is_fitted(self, "model_")
        folder = Path(path)
        if (folder / "model.json").exists() and not overwrite:
            raise InvalidInputError(f"'{folder}' already holds a model; choose another folder "
                                    "or pass overwrite=True.")
        self.model_.save(folder)
        if getattr(self, "history_", None):
            atomic.write_text(folder / "history.csv", History(self.history_).to_csv_text())

    def export_onnx(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the fitted model as an ONNX file, preprocessing included (``mlpkit.export``)."""
        from mlpkit.export import export_onnx

        check_is_fitted(self, "model_")
        return export_onnx(self.model_, path, overwrite)

    def _adopt(self, model: TrainedModel) -> None:
        """Become the fitted estimator of a loaded model."""
        self.model_ = model
        names = model.schema.input_names
        self.n_features_in_ = len(model.schema.encoder.columns) if model.schema.encoder else \
            model.spec.n_inputs
        if names is not None:
            self.feature_names_in_ = np.array(names, dtype=object)


class MLPClassifier(ClassifierMixin, _MLPBase):
    """A multilayer perceptron classifier (softmax cross-entropy) on the numpy or torch engine."""

    task = "classification"

    def _encode(self, y) -> np.ndarray:
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise InvalidInputError(
                f"y contains labels the model was not fitted on: {unknown.tolist()}; the fitted "
                f"classes are {self.classes_.tolist()}.")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _labels(self) -> dict[str, Any]:
        return {"class_names": [str(c) for c in self.classes_],
                "class_values": [c.item() if isinstance(c, np.generic) else c
                                 for c in self.classes_]}

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise InvalidInputError(
                f"MLPClassifier needs samples of at least 2 classes in y; got 1 class "
                f"({self.classes_[0]!r}).")
        self._start(len(y), False, self._labels())
        self._train(X, self._encode(y), sample_weight)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), keeping the weights; ``classes`` on the first call."""
        first = not hasattr(self, "session_")
        X, y = validate_data(self, X, y, dtype=np.float32, reset=first and
                             not hasattr(self, "model_"))
        check_classification_targets(y)
        if first:
            if classes is None and not hasattr(self, "classes_"):
                raise InvalidInputError("The first call to partial_fit needs classes=[...] (all "
                                        "labels), since one batch may not contain them all.")
            if not hasattr(self, "classes_"):
                self.classes_ = np.unique(classes)
            self._start(len(y), True, self._labels())
        self._continue(X, self._encode(y), sample_weight)
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self._output(X)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)          # checks fitted-ness before classes_ is read
        return self.classes_[proba.argmax(axis=1)]

    def _adopt(self, model: TrainedModel) -> None:
        super()._adopt(model)
        self.classes_ = np.array(model.labels)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class MLPRegressor(RegressorMixin, _MLPBase):
    """A multilayer perceptron regressor (mean squared error) on the numpy or torch engine."""

    task = "regression"

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True)
        self._start(len(y), False, {})
        self._train(X, y.astype(np.float32), sample_weight)
        return self

    def partial_fit(self, X, y, sample_weight=None):
        first = not hasattr(self, "session_")
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True,
                             reset=first and not hasattr(self, "model_"))
        if first:
            self._start(len(y), True, {})
        self._continue(X, y.astype(np.float32), sample_weight)
        return self

    def predict(self, X) -> np.ndarray:
        return self._output(X)


def _check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (n_samples,):
        raise InvalidInputError(f"sample_weight has shape {weights.shape}; expected one weight "
                                f"per sample, ({n_samples},).")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise InvalidInputError("sample_weight must be finite and non-negative.")
    if not weights.any():
        raise InvalidInputError("sample_weight is zero everywhere; at least one sample must "
                                "count.")
    return weights


def load(path: str | Path) -> MLPClassifier | MLPRegressor:
    """The fitted estimator of a model folder, from ``mlpkit train`` or ``save``: it takes the
    same raw rows the run did and predicts exactly what ``mlpkit predict`` writes. Its
    parameters are the options the model was trained with, so ``clone`` retrains alike."""
    model = TrainedModel.load(path)
    cls = MLPClassifier if model.task == "classification" else MLPRegressor
    options = model.options or {**model.spec.to_dict(), "engine": model.engine}
    params = {o.param: options[o.name] for o in OPTIONS
              if o.param is not None and o.name in options}
    params["hidden_layer_sizes"] = tuple(params.get("hidden_layer_sizes", model.spec.hidden))
    if model.task == "regression":
        params.pop("class_weight", None)
    if isinstance(params.get("class_weight"), dict):
        params["class_weight"] = {int(k): v for k, v in params["class_weight"].items()}
    watched = options.get("patience") is not None or options.get("epochs", 1) is None
    params["early_stopping"] = bool(options.get("val_fraction")) and watched   # a holdout
    estimator = cls(**params)
    estimator._adopt(model)
    return estimator
