"""MLPClassifier and MLPRegressor: drop-ins for scikit-learn's, over either engine.

Same parameters, defaults and meanings as ``sklearn.neural_network``'s MLPs (declared in the
option table, ``options.py``; the rules between them in ``estimator_params.py``), the same
learned attributes (``coefs_``, ``loss_curve_``, ``n_iter_``, ...), ``partial_fit``,
``warm_start``, ``verbose``, multi-label and multi-output targets, sparse input, float64
training for float64 data. Plus mlpkit's own: ``engine="torch", device="cuda"``, dropout,
class weights, schedules, model files. Training runs through the same ``Session`` as
``mlpkit train`` and the fitted model is a ``TrainedModel`` (``model_``), the one every door
predicts with.

Where they differ from scikit-learn's, on purpose: features (and a regression target) are
standardised with the training rows' statistics unless ``scale=False``; a binary classifier
has two softmax outputs, not one logistic output; early stopping watches the validation
loss (scikit-learn: its score) and keeps the best weights; the loss curve of a regressor is
on the standardised target.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from mlpkit.data.schema import Schema
from mlpkit.errors import InvalidInputError, InvalidParameterError
from mlpkit.estimators.attributes import LearnedAttributes
from mlpkit.estimators.params import run_config, signature
from mlpkit.model import TrainedModel, is_table
from mlpkit.options import OPTIONS
from mlpkit.training.callbacks import PrintIterations
from mlpkit.training.session import Session

FLOATS = (np.float64, np.float32)      # float32 stays float32; anything else is float64
SPARSE = ("csr", "csc", "coo")


def _incremental_solver(estimator: Any) -> bool:
    if estimator.solver == "lbfgs":
        raise AttributeError("partial_fit is not available for solver 'lbfgs' (as in "
                             "scikit-learn); use sgd or adam.")
    return True


class _MLPBase(LearnedAttributes, BaseEstimator):
    task: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = type(self).__init__.__signature__.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    # ---- input
    def _validate(self, X, y: Any = "no_validation", reset: bool = True):
        """scikit-learn's checks; sparse X becomes dense (the network's batches are dense)."""
        if isinstance(y, str) and y == "no_validation":
            X = validate_data(self, X, reset=reset, dtype=FLOATS, accept_sparse=SPARSE)
        else:
            X, y = validate_data(self, X, y, reset=reset, dtype=FLOATS, accept_sparse=SPARSE,
                                 multi_output=True, y_numeric=self.task == "regression")
            if y.ndim == 2 and y.shape[1] == 1:
                y = column_or_1d(y, warn=True)
        if hasattr(X, "toarray"):
            X = X.toarray()
        return X if isinstance(y, str) and y == "no_validation" else (X, y)

    def _schema(self, extra: dict[str, Any]) -> Schema:
        names = getattr(self, "feature_names_in_", None)
        features = [str(f) for f in names] if names is not None else \
            [f"x{i}" for i in range(self.n_features_in_)]
        return Schema(extra.pop("task", self.task), features,
                      input_names=None if names is None else features, **extra)

    # ---- training: one session per fit; partial_fit continues it
    def _start(self, X: np.ndarray, y: np.ndarray, incremental: bool,
               schema_extra: dict[str, Any]) -> None:
        config = run_config(self, len(y), incremental)
        schema = self._schema(schema_extra)
        if self.class_weight is not None and schema.task != "classification":
            raise InvalidParameterError("class_weight applies to single-label classification "
                                        "only.")
        previous = getattr(self, "model_", None)
        warm = previous is not None and (self.warm_start or incremental)
        if warm:
            self._check_warm_start(previous, schema)
        self.session_ = Session(config, schema, dtype=X.dtype)
        if warm:                     # continue from the fitted weights and preprocessing
            self.session_.stepper.load_state_dict(previous.state_dict)
            self.session_.stepper.samples_seen = getattr(self, "t_", 0)
            self.session_.scaler = previous.scaler
            self.session_.target_scaler = previous.target_scaler
        self._curve_before = list(getattr(self, "loss_curve_", [])) if warm else []

    def _check_warm_start(self, previous: TrainedModel, schema: Schema) -> None:
        if previous.schema.class_names != schema.class_names or \
                previous.spec.n_outputs != schema.n_outputs:
            raise InvalidInputError("warm_start can only be used where y has the same classes "
                                    "(or outputs) as in the previous call to fit.")

    def _train(self, X: np.ndarray, y: np.ndarray, sample_weight, epochs: int | None = None,
               batch_seed: int | None = None, planned_epochs: int | None = None) -> None:
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, len(y))
        session = self.session_
        split = session.prepare(X, y, sample_weight)
        callbacks = list(self.callbacks or [])
        if self.verbose:
            callbacks.append(PrintIterations())
        done = len(session.history)
        state = session.fit(split, callbacks, progress=False, epochs=epochs,
                            batch_seed=batch_seed, planned_epochs=planned_epochs)
        self.model_ = session.model()
        self._learned(state, split, done)
        if epochs is None:
            self._warn_if_not_converged(state)

    def _partial(self, X, y, sample_weight, schema_extra: dict[str, Any]) -> None:
        """One more epoch over (X, y), continuing the weights and optimizer state."""
        if not hasattr(self, "session_"):
            self._start(X, y, True, schema_extra)
        session = self.session_        # continuing: hold nothing out, never stop; this
        train = replace(session.config.train,     # call's rows set the batch size
                        batch_size=run_config(self, len(y), True).train.batch_size,
                        val_fraction=0.0, patience=None)
        session.config = replace(session.config, train=train)
        self._curve_before = []
        done = len(session.history)
        self._train(X, y, sample_weight, epochs=done + 1,       # a schedule plans over
                    batch_seed=session.config.train.seed + done,   # max_iter calls
                    planned_epochs=max(session.config.train.max_epochs, done + 1))

    # ---- prediction: raw rows through the model, as every door
    def _features(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        if self.model_.schema.encoder is not None:     # trained on a table with text columns
            return self.model_.features(X)
        names = getattr(self, "feature_names_in_", None)
        if names is not None and is_table(X) and set(names) <= set(map(str, X.columns)):
            X = X[list(names)]                          # by name, whatever the order
        return self._validate(X, reset=False)

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags


class MLPClassifier(ClassifierMixin, _MLPBase):
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
        if len(found) < 2:
            raise InvalidInputError(
                f"MLPClassifier needs samples of at least 2 classes in y; got 1 class "
                f"({found[0]!r}).")
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
                not set(np.unique(y)) <= set(self.classes_.tolist()):
            raise InvalidInputError("warm_start can only be used where y has the same classes "
                                    "as in the previous call to fit.")
        encoded, fields = self._targets(y, warm)
        self._start(X, encoded, False, fields)
        self._train(X, encoded, sample_weight)
        return self

    @available_if(_incremental_solver)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), keeping the weights; ``classes`` on the first call."""
        first = "model_" not in self.__dict__
        X, y = self._validate(X, y, reset=first)
        if first and classes is None and type_of_target(y) != "multilabel-indicator":
            raise InvalidInputError("The first call to partial_fit needs classes=[...] (all "
                                    "labels), since one batch may not contain them all.")
        encoded, fields = self._targets(y, not first, classes)
        self._partial(X, encoded, sample_weight, fields)
        return self

    def _validation_scores(self, history, split) -> list[float]:
        return history.column("val_accuracy")       # (subset) accuracy, as score()

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


class MLPRegressor(RegressorMixin, _MLPBase):
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

    @available_if(_incremental_solver)
    def partial_fit(self, X, y, sample_weight=None):
        X, y = self._validate(X, y, reset="model_" not in self.__dict__)
        self._partial(X, y, sample_weight, self._fields(y))
        return self

    def _validation_scores(self, history, split) -> list[float]:
        """R^2 on the validation rows, per epoch: 1 - MSE / variance (standardised units;
        uniform average over several targets only approximately)."""
        variance = float(np.var(split.y_val))
        return [1.0 - loss / variance for loss in history.column("val_loss")]

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
    cls = MLPRegressor if model.task == "regression" else MLPClassifier
    options = model.options or {**model.spec.to_dict(), "engine": model.engine}
    params = {o.param: options[o.name] for o in OPTIONS
              if o.param is not None and o.name in options}
    params["hidden_layer_sizes"] = tuple(params.get("hidden_layer_sizes", model.spec.hidden))
    if params.get("learning_rate", "constant") is None:
        params["learning_rate"] = "constant"
    if model.task == "regression":
        params.pop("class_weight", None)
        params["loss"] = "squared_error"
    if isinstance(params.get("class_weight"), dict):
        params["class_weight"] = {int(k): v for k, v in params["class_weight"].items()}
    watched = options.get("patience") is not None or options.get("epochs", 1) is None
    params["early_stopping"] = bool(options.get("val_fraction")) and watched   # a holdout
    estimator = cls(**params)
    estimator._adopt(model)
    return estimator
