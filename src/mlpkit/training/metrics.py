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
