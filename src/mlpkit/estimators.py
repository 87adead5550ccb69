"""MLPClassifier and MLPRegressor: the scikit-learn API over either engine.

They follow scikit-learn's conventions (``__init__`` only stores, ``fit`` returns self, learned
state ends in ``_``) and use its validation helpers at this boundary, so they work in
Pipelines, cross-validation and grid searches; the training itself runs through mlpkit's one
loop and saves to mlpkit's model files. Features are not scaled here: put a StandardScaler in
front of the estimator, as with scikit-learn's own MLP.

Parameter names follow scikit-learn's MLP where it has one (``hidden_layer_sizes``,
``activation``, ``batch_size``, ``early_stopping``, ``validation_fraction``, ``momentum``,
``nesterovs_momentum`` -> ``nesterov``, ``learning_rate_init`` -> ``learning_rate``,
``max_iter`` -> ``max_epochs``, ``n_iter_no_change`` -> ``patience``, ``alpha`` ->
``weight_decay``, ``solver`` -> ``optimizer``, ``tol``). As in scikit-learn, training also
stops once the training loss has not improved by ``tol`` for ``patience`` epochs
(``tol=None`` turns that off and runs all ``max_epochs``); with ``early_stopping=True`` the
validation loss is watched instead and the best weights are restored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.engines import make_stepper, thread_limit
from mlpkit.errors import InvalidInputError
from mlpkit.model import TrainedModel
from mlpkit.training.callbacks import EarlyStopping, ProgressBar, TrainingState
from mlpkit.training.history import History
from mlpkit.training.loop import fit as fit_loop


class _MLPBase(BaseEstimator):
    task: str

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, engine="numpy",
                 optimizer="adam", learning_rate=1e-3, batch_size="auto", max_epochs=200,
                 momentum=0.0, nesterov=False, weight_decay=0.0, dropout=0.0, init="default",
                 early_stopping=False, validation_fraction=0.1, patience=10, tol=1e-4,
                 class_weight=None,
                 random_state=None, device="auto", threads=None, callbacks=None, verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.engine = engine
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.init = init
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.class_weight = class_weight
        self.random_state = random_state
        self.device = device
        self.threads = threads
        self.callbacks = callbacks
        self.verbose = verbose

    # ---- the pieces fit and partial_fit share
    def _seed(self) -> int:
        if isinstance(self.random_state, (int, np.integer)):
            return int(self.random_state)
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(2**31 - 1))
        return int(np.random.default_rng().integers(2**31 - 1))

    def _config(self, n_samples: int, epochs: int, seed: int) -> TrainConfig:
        batch = min(200, n_samples) if self.batch_size == "auto" else min(self.batch_size,
                                                                          n_samples)
        return TrainConfig(
            epochs=epochs, batch_size=batch, optimizer=self.optimizer, lr=self.learning_rate,
            momentum=self.momentum, nesterov=self.nesterov, weight_decay=self.weight_decay,
            val_fraction=self.validation_fraction if self.early_stopping else 0.0,
            patience=self.patience if self.early_stopping else None,
            class_weight=self.class_weight if self.task == "classification" else None,
            seed=seed)

    def _build(self, n_features: int, n_outputs: int, config: TrainConfig) -> None:
        self.spec_ = MLPSpec(n_features, n_outputs, tuple(self.hidden_layer_sizes),
                             self.activation, self.init, self.dropout)
        self.stepper_ = make_stepper(self.engine, self.spec_, self.task, config, self.device)
        self.history_ = []
        self._seed_ = config.seed

    def _run(self, X, y, sample_weight, config: TrainConfig) -> None:
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, len(y))
        callbacks = list(self.callbacks or [])
        if self.early_stopping:
            callbacks.append(EarlyStopping(self.patience, min_delta=self.tol or 0.0))
        elif self.tol is not None:     # training-loss convergence, as scikit-learn's MLP
            callbacks.append(EarlyStopping(self.patience, min_delta=self.tol, restore_best=False))
        if self.verbose:
            callbacks.append(ProgressBar(disable=False))
        state = TrainingState(stepper=self.stepper_, history=History(self.history_),
                              epochs=config.epochs)
        with thread_limit(self.engine, self.threads):
            fit_loop(self.stepper_, X, y, config, n_classes=self._n_classes(),
                     sample_weight=sample_weight, callbacks=callbacks, state=state)
        history = state.history
        self.history_ = [dict(r) for r in history]
        self.loss_curve_ = history.column("train_loss")
        self.validation_loss_curve_ = [v for v in history.column("val_loss") if v is not None]
        self.best_epoch_ = state.best_epoch or len(history)
        self.n_iter_ = len(history)

    def _n_classes(self) -> int:
        return 0

    def _output(self, X) -> np.ndarray:
        check_is_fitted(self, "stepper_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return self.stepper_.predict_output(X)

    # ---- model files
    def save(self, path: str | Path) -> None:
        """Save to a folder as model.safetensors + model.json (mlpkit's format)."""
        check_is_fitted(self, "stepper_")
        names = [str(c) for c in getattr(self, "classes_", [])]
        features = [str(f) for f in getattr(self, "feature_names_in_",
                                            [f"x{i}" for i in range(self.n_features_in_)])]
        values = [c.item() if isinstance(c, np.generic) else c
                  for c in getattr(self, "classes_", [])]
        model = TrainedModel(self.spec_, self.stepper_.state_dict(), self.task, names, features,
                             engine=self.engine, class_values=values or None)
        model.save(path)


class MLPClassifier(ClassifierMixin, _MLPBase):
    """A multilayer perceptron classifier (softmax cross-entropy) on the numpy or torch engine."""

    task = "classification"

    def _n_classes(self) -> int:
        return len(self.classes_)

    def _encode(self, y) -> np.ndarray:
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise InvalidInputError(
                f"y contains labels the model was not fitted on: {unknown.tolist()}; the fitted "
                f"classes are {self.classes_.tolist()}.")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise InvalidInputError(
                f"MLPClassifier needs samples of at least 2 classes in y; got 1 class "
                f"({self.classes_[0]!r}).")
        config = self._config(len(y), self.max_epochs, self._seed())
        self._build(X.shape[1], len(self.classes_), config)
        self._run(X, self._encode(y), sample_weight, config)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), keeping the weights; ``classes`` on the first call."""
        first = not hasattr(self, "stepper_")
        X, y = validate_data(self, X, y, dtype=np.float32, reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise InvalidInputError("The first call to partial_fit needs classes=[...] (all "
                                        "labels), since one batch may not contain them all.")
            self.classes_ = np.unique(classes)
            self._build(X.shape[1], len(self.classes_), self._config(len(y), 1, self._seed()))
        done = len(self.history_)
        self._run(X, self._encode(y), sample_weight,
                  self._config(len(y), done + 1, self._seed_ + done))
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self._output(X).astype(np.float64)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)          # checks fitted-ness before classes_ is read
        return self.classes_[proba.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class MLPRegressor(RegressorMixin, _MLPBase):
    """A multilayer perceptron regressor (mean squared error) on the numpy or torch engine."""

    task = "regression"

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True)
        config = self._config(len(y), self.max_epochs, self._seed())
        self._build(X.shape[1], 1, config)
        self._run(X, y.astype(np.float32), sample_weight, config)
        return self

    def partial_fit(self, X, y, sample_weight=None):
        first = not hasattr(self, "stepper_")
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True, reset=first)
        if first:
            self._build(X.shape[1], 1, self._config(len(y), 1, self._seed()))
        done = len(self.history_)
        self._run(X, y.astype(np.float32), sample_weight,
                  self._config(len(y), done + 1, self._seed_ + done))
        return self

    def predict(self, X) -> np.ndarray:
        return self._output(X).astype(np.float64)


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
    """An estimator from a model folder written by ``save`` (or by ``mlpkit train``)."""
    model = TrainedModel.load(path)
    cls = MLPClassifier if model.task == "classification" else MLPRegressor
    estimator = cls(hidden_layer_sizes=model.spec.hidden, activation=model.spec.activation,
                    engine=model.engine, init=model.spec.init, dropout=model.spec.dropout)
    config = TrainConfig()
    estimator._build(model.spec.n_inputs, model.spec.n_outputs, config)
    estimator.stepper_.load_state_dict(model.state_dict)
    estimator.n_features_in_ = model.spec.n_inputs
    if model.task == "classification":
        estimator.classes_ = np.array(model.class_values or model.class_names)
    return estimator
