"""The scikit-learn door: ``MLPClassifier`` and ``MLPRegressor`` (``mlp.py``, over the shared
``base.py``), their parameters from the option table (``params.py``), their learned
attributes (``attributes.py``), ``load`` for any saved model, and ``TabularClassifier`` /
``TabularRegressor`` (``tabular.py``): raw DataFrames in, the table recipe's defaults."""

from mlpkit.estimators.mlp import MLPClassifier, MLPRegressor, load
from mlpkit.estimators.tabular import TabularClassifier, TabularRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "TabularClassifier", "TabularRegressor", "load"]
