"""Evaluation metrics, one implementation for every split and door: a table in memory is one
chunk of rows, a streamed table many. The values are scikit-learn's (log loss on probabilities
clipped at 1e-7 and renormalised, macro scores with zero_division=0, R² with force_finite);
tests/data/test_stream.py checks them against scikit-learn's own functions."""

from __future__ import annotations

from typing import Any

import numpy as np


class MetricsAccumulator:
    """Classification (log loss, accuracy, macro precision / recall / F1, per-class scores,
    confusion matrix) or regression (MSE, RMSE, MAE, R², in the target's units) metrics over
    rows that arrive a chunk at a time: a confusion matrix and a summed log loss, or the error
    sums and the target's moments (Chan's merge)."""

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
            r2 = 1.0 - self.loss_sum / self.y_m2 if self.y_m2 > 0 else \
                float(self.loss_sum == 0)            # a constant target: 1 if exact, else 0
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


def metrics_of(model, output: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """The metrics of a model's ``output`` (probabilities, or values in the target's units)
    against ``y`` (class indices, or values), all rows at once."""
    metrics = MetricsAccumulator(model.schema.class_names if model.task == "classification"
                                 else None)
    metrics.add(y, output)
    return metrics.result()


def headline(metrics: dict[str, Any], split: str = "test") -> str:
    """A split's result in one phrase: accuracy, or R², MAE and RMSE (a run's summary line,
    the sweep's, the report's)."""
    if "accuracy" in metrics:
        return f"{split} accuracy {metrics['accuracy']:.4f}"
    return (f"{split} R2 {metrics['r2']:.4f}, MAE {metrics['mae']:.4g}, "
            f"RMSE {metrics['rmse']:.4g}")
