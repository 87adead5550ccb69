"""Evaluation metrics, computed with scikit-learn's implementations."""

from __future__ import annotations

from typing import Any

import numpy as np


def classification_metrics(y_true: np.ndarray, proba: np.ndarray,
                           class_names: list[str]) -> dict[str, Any]:
    """Log loss, accuracy, macro precision/recall/F1, per-class scores, confusion matrix."""
    from sklearn.metrics import accuracy_score, confusion_matrix, log_loss
    from sklearn.metrics import precision_recall_fscore_support as prfs

    labels = list(range(len(class_names)))
    predicted = proba.argmax(axis=1)
    precision, recall, f1, support = prfs(y_true, predicted, labels=labels, zero_division=0)
    macro = prfs(y_true, predicted, labels=labels, average="macro", zero_division=0)
    return {
        "loss": float(log_loss(y_true, np.clip(proba, 1e-7, 1.0), labels=labels)),
        "accuracy": float(accuracy_score(y_true, predicted)),
        "precision_macro": float(macro[0]),
        "recall_macro": float(macro[1]),
        "f1_macro": float(macro[2]),
        "per_class": {name: {"precision": float(p), "recall": float(r), "f1": float(f),
                             "support": int(s)}
                      for name, p, r, f, s in zip(class_names, precision, recall, f1, support)},
        "confusion_matrix": confusion_matrix(y_true, predicted, labels=labels).tolist(),
        "n_samples": int(len(y_true)),
    }


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """R², MAE, RMSE and MSE, in the target's own units."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    mse = float(mean_squared_error(y_true, y_pred))
    return {"loss": mse, "mse": mse, "rmse": float(np.sqrt(mse)),
            "mae": float(mean_absolute_error(y_true, y_pred)),
            "r2": float(r2_score(y_true, y_pred)),
            "n_samples": int(len(y_true))}


class MetricsAccumulator:
    """The metrics above over rows that arrive a chunk at a time (a streamed table): a
    confusion matrix and a summed log loss, or the error sums and the target's moments. Its
    ``result()`` has the keys and values of ``classification_metrics`` /
    ``regression_metrics`` over all the rows together."""

    def __init__(self, class_names: list[str] | None) -> None:
        self.class_names = class_names
        k = len(class_names or [])
        self.confusion = np.zeros((k, k), np.int64)
        self.n, self.loss_sum, self.abs_sum = 0, 0.0, 0.0
        self.y_mean, self.y_m2 = 0.0, 0.0

    def add(self, y_true: np.ndarray, output: np.ndarray) -> None:
        if not len(y_true):
            return
        if self.class_names is not None:
            k = len(self.class_names)
            proba = np.clip(output, 1e-7, 1.0)
            proba = proba / proba.sum(axis=1, keepdims=True)     # as scikit-learn's log_loss
            self.loss_sum -= float(np.log(proba[np.arange(len(y_true)), y_true]).sum())
            self.confusion += np.bincount(y_true * k + output.argmax(axis=1),
                                          minlength=k * k).reshape(k, k)
            self.n += len(y_true)
            return
        y, error = np.asarray(y_true, np.float64), np.asarray(y_true, np.float64) - output
        self.loss_sum += float(np.square(error).sum())
        self.abs_sum += float(np.abs(error).sum())
        n, mean = len(y), float(y.mean())
        total = self.n + n
        delta = mean - self.y_mean
        self.y_m2 += float(np.square(y - mean).sum()) + delta * delta * self.n * n / total
        self.y_mean += delta * n / total
        self.n = total

    def result(self) -> dict[str, Any]:
        n = max(self.n, 1)
        if self.class_names is None:
            mse = self.loss_sum / n
            r2 = 1.0 - self.loss_sum / self.y_m2 if self.y_m2 > 0 else float("nan")
            return {"loss": mse, "mse": mse, "rmse": float(np.sqrt(mse)),
                    "mae": self.abs_sum / n, "r2": r2, "n_samples": self.n}
        matrix = self.confusion
        hits = np.diag(matrix).astype(np.float64)
        predicted, support = matrix.sum(axis=0), matrix.sum(axis=1)
        precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
        recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
        both = precision + recall
        f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
        return {
            "loss": self.loss_sum / n, "accuracy": float(hits.sum() / n),
            "precision_macro": float(precision.mean()), "recall_macro": float(recall.mean()),
            "f1_macro": float(f1.mean()),
            "per_class": {name: {"precision": float(p), "recall": float(r), "f1": float(f),
                                 "support": int(s)}
                          for name, p, r, f, s in zip(self.class_names, precision, recall,
                                                      f1, support)},
            "confusion_matrix": matrix.tolist(), "n_samples": self.n,
        }
