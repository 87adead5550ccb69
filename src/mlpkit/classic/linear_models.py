"""Single-neuron classifiers: Perceptron, AdalineGD and AdalineSGD.

Their learning rule *is* their training loop, so each has its own short ``fit``. All three
learn one weight vector ``w_`` and a bias ``b_`` for two classes; internally the classes are
encoded as targets 0 and 1 (``classes_[0]`` -> 0).

* Perceptron (Rosenblatt): per example, ``w += lr (y - step(z)) x`` with step(z) = [z >= 0].
* Adaline (Widrow-Hoff): minimises the mean squared error of the *linear* output z against the
  0/1 target, so the update uses the real-valued error ``y - z``; predicting thresholds z at 0.5,
  halfway between the two targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlpkit.errors import InvalidInputError
from mlpkit.validation import (
    check_array,
    check_is_fitted,
    check_known_labels,
    check_n_features,
    check_positive,
    check_X_y,
)


class _LinearUnit:
    """What the three share: parameters, label encoding, net input and prediction."""

    threshold: float = 0.0

    def __init__(self, learning_rate: float = 0.01, n_iter: int = 50,
                 random_state: int | None = 1, init: str = "normal") -> None:
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.random_state = random_state
        self.init = init

    def _check_params(self) -> None:
        check_positive(self.learning_rate, "learning_rate")
        check_positive(self.n_iter, "n_iter", integer=True)
        if self.init not in ("normal", "zeros"):
            raise InvalidInputError(f"init must be 'normal' or 'zeros', got {self.init!r}.")

    def _set_classes(self, classes: Any) -> None:
        classes = np.unique(np.asarray(classes))
        if len(classes) != 2:
            raise InvalidInputError(
                f"{type(self).__name__} is a binary classifier and needs exactly 2 classes, "
                f"got {len(classes)}: {classes.tolist()}; use an MLP for more."
            )
        self.classes_ = classes

    def _init_weights(self, n_features: int) -> None:
        """Small random weights (std 0.01) from a seeded Generator, or zeros; bias 0.

        With zero weights a perceptron's learning rate only scales w: every prediction has the
        same sign whatever the rate, so w(lr) = lr * w(1) and the boundary is the same."""
        self._rng = np.random.default_rng(self.random_state)
        self.w_ = (np.zeros(n_features) if self.init == "zeros"
                   else self._rng.normal(0.0, 0.01, size=n_features))
        self.b_ = 0.0
        self.n_features_in_ = n_features

    def _start_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Check everything, learn the classes, draw fresh weights: (X, 0/1 targets)."""
        self._check_params()
        X, y = check_X_y(X, y)
        self._set_classes(y)
        self._init_weights(X.shape[1])
        return X, self._encode(y)

    def _encode(self, y: np.ndarray) -> np.ndarray:
        check_known_labels(y, self.classes_)
        return (y == self.classes_[1]).astype(np.float64)

    def net_input(self, X: Any) -> np.ndarray:
        """z = X w + b."""
        check_is_fitted(self, ["w_"])
        X = check_array(X)
        check_n_features(X, self.n_features_in_, type(self).__name__)
        return X @ self.w_ + self.b_          # (n, m) @ (m,) -> (n,)

    def predict(self, X: Any) -> np.ndarray:
        above = self.net_input(X) >= self.threshold
        return self.classes_[above.astype(np.intp)]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == np.asarray(y)))


class Perceptron(_LinearUnit):
    """Rosenblatt's perceptron; ``errors_[k]`` counts the updates made in epoch k."""

    def fit(self, X: Any, y: Any) -> Perceptron:
        X, target = self._start_fit(X, y)
        self.errors_: list[int] = []
        for _ in range(self.n_iter):
            errors = 0
            for xi, ti in zip(X, target):
                prediction = 1.0 if xi @ self.w_ + self.b_ >= 0.0 else 0.0
                update = self.learning_rate * (ti - prediction)   # 0 when right, +-lr when wrong
                self.w_ += update * xi
                self.b_ += update
                errors += int(update != 0.0)
            self.errors_.append(errors)
        return self


class AdalineGD(_LinearUnit):
    """Adaline by full-batch gradient descent on L = mean((y - z)^2); ``losses_`` per epoch."""

    threshold = 0.5

    def fit(self, X: Any, y: Any) -> AdalineGD:
        X, target = self._start_fit(X, y)
        self.losses_: list[float] = []
        n = X.shape[0]
        for _ in range(self.n_iter):
            errors = target - (X @ self.w_ + self.b_)           # (n, m) @ (m,) -> (n,)
            # dL/dw = -2/n X^T (y - z),  dL/db = -2/n sum(y - z); step against the gradient
            self.w_ += self.learning_rate * 2.0 * (X.T @ errors) / n   # (m, n) @ (n,) -> (m,)
            self.b_ += self.learning_rate * 2.0 * errors.mean()
            self.losses_.append(float(np.mean(errors**2)))
        return self


class AdalineSGD(_LinearUnit):
    """Adaline by stochastic gradient descent: one update per example, reshuffled each epoch.

    ``losses_[k]`` is the mean squared error over the updates of epoch k. ``partial_fit`` keeps
    the weights and learns from new examples (a batch or a single one) as they arrive.
    """

    threshold = 0.5

    def __init__(self, learning_rate: float = 0.01, n_iter: int = 10, shuffle: bool = True,
                 random_state: int | None = 1, init: str = "normal") -> None:
        super().__init__(learning_rate, n_iter, random_state, init)
        self.shuffle = shuffle

    def fit(self, X: Any, y: Any) -> AdalineSGD:
        X, target = self._start_fit(X, y)
        self.losses_: list[float] = []
        for _ in range(self.n_iter):
            order = self._rng.permutation(len(target)) if self.shuffle else np.arange(len(target))
            squared_errors = [self._update(X[i], target[i]) for i in order]
            self.losses_.append(float(np.mean(squared_errors)))
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> AdalineSGD:
        """Update without re-initialising; ``classes`` is needed on the first call only."""
        self._check_params()
        if np.ndim(X) == 1:                      # a single example: one row, one label
            X, y = np.reshape(X, (1, -1)), np.reshape(y, (1,))
        X, y = check_X_y(X, y)
        if not hasattr(self, "w_"):
            if classes is None:
                raise InvalidInputError(
                    "The first call to partial_fit needs classes=[...] (both labels), "
                    "since one batch may not contain both."
                )
            self._set_classes(classes)
            self._init_weights(X.shape[1])
            self.losses_ = []
        check_n_features(X, self.n_features_in_, type(self).__name__)
        target = self._encode(y)
        for xi, ti in zip(X, target):
            self._update(xi, ti)
        return self

    def _update(self, xi: np.ndarray, target: float) -> float:
        """One Widrow-Hoff step on one example; returns its squared error before the step."""
        error = target - (xi @ self.w_ + self.b_)
        self.w_ += self.learning_rate * 2.0 * error * xi
        self.b_ += self.learning_rate * 2.0 * error
        return float(error**2)
