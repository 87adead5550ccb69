"""The estimators' learned attributes, in scikit-learn's names and layout.

``coefs_``, ``intercepts_``, ``n_layers_``, ``n_outputs_`` and ``out_activation_`` are read
from the fitted ``TrainedModel`` (never a second copy of the weights); ``loss_curve_``,
``validation_scores_``, ``n_iter_``, ``t_`` and the rest are set from the run's history after
each fit, with scikit-learn's ``ConvergenceWarning`` where it would warn.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mlpkit.errors import InvalidInputError

OUT_ACTIVATION = {"classification": "softmax", "multilabel": "logistic",
                  "regression": "identity"}


class LearnedAttributes:
    def _learned(self, state, split, done: int) -> None:
        """scikit-learn's learned attributes, from the run's history."""
        history = state.history
        self.history_ = [dict(r) for r in history]
        self.loss_curve_ = self._curve_before + history.column("train_loss")
        self.validation_loss_curve_ = [v for v in history.column("val_loss") if v is not None]
        self.loss_ = self.loss_curve_[-1]
        self.n_iter_ = len(history) - done
        self.t_ = self.session_.stepper.samples_seen
        self.best_epoch_ = state.best_epoch or len(history)
        if split.X_val is None:
            self.best_loss_ = min(self.loss_curve_)
            self.validation_scores_ = self.best_validation_score_ = None
        else:
            self.best_loss_ = None
            self.validation_scores_ = history.column("val_score")   # (estimators/scoring.py)
            self.best_validation_score_ = max(self.validation_scores_)

    def _warn_if_not_converged(self, state) -> None:
        reason = state.stop_reason or ""
        if "diverged" in reason:
            warnings.warn(f"Training stopped: {reason}", ConvergenceWarning, stacklevel=4)
        elif self.solver == "lbfgs" and state.converged is False:
            warnings.warn(f"lbfgs failed to converge after {self.n_iter_} iterations "
                          f"({state.solver_message}). Increase max_iter or "
                          "scale the data.", ConvergenceWarning, stacklevel=4)
        elif self.solver != "lbfgs" and not state.stop_training and \
                self.n_iter_ == self.max_iter and \
                (self.scikit_learn_rules or self.n_iter_no_change != np.inf):
            # (a table estimator's n_iter_no_change=inf is a fixed budget keeping the best
            # epoch: nothing to converge; scikit-learn's MLP warns even then)
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=4)


    # ---- learned attributes in scikit-learn's layout, read from the model
    def _linear_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if "model_" not in self.__dict__:
            raise AttributeError("This estimator is not fitted yet; call fit first.")
        state = self.model_.state_dict
        indices = sorted({int(k.split(".")[0]) for k in state})
        return [(state[f"{i}.weight"], state[f"{i}.bias"]) for i in indices]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, (n_inputs, n_outputs) per layer, as scikit-learn's (an ensemble's:
        (K, n_inputs, n_outputs), one per member); assigning a list of the same shapes sets
        the model's weights (``warm_start`` goes on from them)."""
        return [np.swapaxes(w, -1, -2).copy() for w, _ in self._linear_layers()]

    @coefs_.setter
    def coefs_(self, values: list[np.ndarray]) -> None:
        self._set_layers("weight", [np.swapaxes(np.asarray(v), -1, -2) for v in values])

    @property
    def intercepts_(self) -> list[np.ndarray]:
        return [b.copy() for _, b in self._linear_layers()]

    @intercepts_.setter
    def intercepts_(self, values: list[np.ndarray]) -> None:
        self._set_layers("bias", [np.asarray(v) for v in values])

    def _set_layers(self, kind: str, values: list[np.ndarray]) -> None:
        current = self._linear_layers()
        state = self.model_.state_dict
        names = sorted((k for k in state if k.endswith(f".{kind}")),
                       key=lambda k: int(k.split(".")[0]))
        wanted = [state[name].shape for name in names]
        if len(values) != len(current) or [v.shape for v in values] != wanted:
            raise InvalidInputError(
                f"{'coefs_' if kind == 'weight' else 'intercepts_'} must be {len(wanted)} arrays "
                f"of the fitted shapes; got {[v.shape for v in values]}.")
        updated = {**state, **{name: v.astype(state[name].dtype)
                               for name, v in zip(names, values)}}
        self.model_ = replace(self.model_, state_dict=updated, _networks={})

    @property
    def n_layers_(self) -> int:
        return len(self._linear_layers()) + 1

    @property
    def n_outputs_(self) -> int:
        self._linear_layers()
        return self.model_.spec.n_outputs

    @property
    def out_activation_(self) -> str:
        self._linear_layers()
        return "exp" if self.model_.spec.link == "log" else OUT_ACTIVATION[self.model_.task]

