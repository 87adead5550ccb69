"""What the two estimators share: scikit-learn's input checks, one ``Session`` per fit (which
``partial_fit`` continues), prediction through the fitted ``TrainedModel``, model files."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from mlpkit.data.schema import Schema
from mlpkit.errors import InvalidInputError, InvalidParameterError
from mlpkit.estimators.attributes import LearnedAttributes
from mlpkit.estimators.params import parameter_constraints, run_config, watches_score
from mlpkit.estimators.scoring import ValidationScore, watched_score
from mlpkit.model import TrainedModel, is_table
from mlpkit.options import BY_NAME
from mlpkit.training.callbacks import EarlyStopping, PrintIterations
from mlpkit.training.session import Session

FLOATS = (np.float64, np.float32)      # float32 stays float32; anything else is float64
SPARSE = ("csr", "csc", "coo")


def incremental_solver(estimator: Any) -> bool:
    if estimator.solver == "lbfgs":
        raise AttributeError("partial_fit is not available for solver 'lbfgs' (as in "
                             "scikit-learn); use sgd or adam.")
    return True


class MLPBase(LearnedAttributes, BaseEstimator):
    task: str
    scikit_learn_rules = True    # scikit-learn's MLP's: "auto" batches of min(200, n); a
    #                              ConvergenceWarning at max_iter even with no patience
    _parameter_constraints: dict = parameter_constraints()

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
        self.session_.scikit_learn_stopping = True
        if warm:                     # continue from the fitted weights and preprocessing
            self.session_.stepper.load_state_dict(previous.state_dict)
            self.session_.stepper.samples_seen = getattr(self, "t_", 0)
            self.session_.scaler = previous.scaler
            self.session_.target_scaler = previous.target_scaler
            self.session_.target_range = previous.target_range
        self._curve_before = list(getattr(self, "loss_curve_", [])) if warm else []

    def _check_warm_start(self, previous: TrainedModel, schema: Schema) -> None:
        if previous.schema.class_names != schema.class_names or \
                previous.spec.n_outputs != schema.n_outputs:
            raise InvalidInputError("warm_start can only be used where `y` has the same classes "
                                    "(or outputs) as in the previous call to fit.")

    def _train(self, X: np.ndarray, y: np.ndarray, sample_weight, epochs: int | None = None,
               batch_seed: int | None = None, planned_epochs: int | None = None) -> None:
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(y))
        session = self.session_
        split = session.prepare(X, y, sample_weight,      # too large a batch: clipped
                                oversized_batch="quiet" if self.batch_size in ("auto", "table")
                                else "clip")
        callbacks = list(self.callbacks or [])
        if watches_score(self, epochs is not None):     # scikit-learn's early stopping
            train = session.config.train
            patience = BY_NAME["patience"].validate(self.n_iter_no_change)
            callbacks.insert(0, EarlyStopping(patience, min_delta=train.tol, score=watched_score,
                                              adaptive=train.schedule == "adaptive",
                                              scikit_learn=True))
        if split.X_val is not None:
            callbacks.insert(0, ValidationScore(partial(self._epoch_score, split)))
        if self.verbose:
            callbacks.append(PrintIterations())
        done = len(session.history)
        state = session.fit(split, callbacks, progress=False, epochs=epochs,
                            batch_seed=batch_seed, planned_epochs=planned_epochs)
        model = session.model()
        diverged = "diverged" in (state.stop_reason or "") and split.X_val is None
        if diverged or not all(np.isfinite(w).all() for w in model.state_dict.values()):
            raise InvalidInputError(   # scikit-learn's words: without early stopping to keep
                # the best epoch's weights, a diverged fit has no weights worth keeping
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed.")
        self.model_ = model
        self._learned(state, split, done)
        if epochs is None:
            self._warn_if_not_converged(state)

    def _partial(self, X, y, sample_weight, schema_extra: dict[str, Any]) -> None:
        """One more epoch over (X, y), continuing the weights and optimizer state."""
        if self.early_stopping:        # scikit-learn's rule and words: nothing is held out
            raise InvalidInputError("partial_fit does not support early_stopping=True")
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
        return self.model_.predict_output(features).astype(self.model_.dtype)   # as the net

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


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
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
