"""The scikit-learn door: ``MLPClassifier`` and ``MLPRegressor`` (``mlp.py``, over the shared
``base.py``), their parameters from the option table (``params.py``), their learned
attributes (``attributes.py``), and ``load`` for any saved model."""

from mlpkit.estimators.mlp import MLPClassifier, MLPRegressor, load

__all__ = ["MLPClassifier", "MLPRegressor", "load"]
