"""TabularClassifier and TabularRegressor: ``mlpkit train --csv`` as scikit-learn estimators.

They take a pandas DataFrame as it is — text categories, dates, gaps — and encode it as the
command line encodes a CSV file (``data/tables``: roles inferred from the training rows, one-hot
categories, imputation with missing indicators), and they train with the command line's
defaults for a table (``recipe.py``) rather than scikit-learn's MLP's. Arrays are taken too.
The model predicts raw rows, saves, loads and exports exactly as a ``mlpkit train`` run's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_X_y, column_or_1d

from mlpkit.data.schema import Schema
from mlpkit.errors import InvalidInputError
from mlpkit.estimators.mlp import MLPClassifier, MLPRegressor
from mlpkit.estimators.params import signature
from mlpkit.model import is_table
from mlpkit.options import BY_NAME, OPTIONS
from mlpkit.recipe import TABLE_DEFAULTS


def _table_params() -> dict[str, Any]:
    """The command line's defaults for a table, by parameter name; the validation rows are
    held out and the best epoch by validation loss is kept, as the command line does."""
    values = {o.name: o.default for o in OPTIONS if o.param is not None} | \
        {name: value for name, value in TABLE_DEFAULTS.items() if BY_NAME[name].param}
    params = {BY_NAME[name].param: value for name, value in values.items()}
    params["random_state"] = None                            # scikit-learn's convention
    params["learning_rate"] = params["learning_rate"] or "constant"
    return params | {"early_stopping": True, "monitor": "loss"}


class _TableInput:
    """Fit encodes a DataFrame's raw columns (the encoder travels in the model, so predict
    takes raw rows too); arrays go through scikit-learn's checks as for the MLP estimators."""

    scikit_learn_rules = False    # the command line's: "auto" batches of n/64, and a fixed
    #                               budget (n_iter_no_change=inf) is not a failure to converge

    def _validate(self, X, y: Any = "no_validation", reset: bool = True):
        if not is_table(X):
            if reset:
                self.__dict__.pop("encoder_", None)
            return super()._validate(X, y, reset)
        from mlpkit.data.tables.columns import fit_encoder

        X = X.rename(columns=str)
        if reset:
            self.encoder_ = fit_encoder(X, list(X.columns), "median", "X")
            self.feature_names_in_ = np.array(X.columns, dtype=object)
            self.n_features_in_ = X.shape[1]
        elif "encoder_" not in self.__dict__:
            raise InvalidInputError("This model was fitted on an array; pass an array.")
        features = self.encoder_.transform(X, "X").astype(np.float64)
        if isinstance(y, str) and y == "no_validation":
            return features
        features, y = check_X_y(features, y, multi_output=True,
                                y_numeric=self.task == "regression")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return features, y

    def _start(self, X, y, incremental: bool, schema_extra: dict[str, Any]) -> None:
        super()._start(X, y, incremental, schema_extra)
        self.session_.scikit_learn_stopping = False     # the command line's counting

    def _schema(self, extra: dict[str, Any]) -> Schema:
        encoder = self.__dict__.get("encoder_")
        if encoder is None:
            return super()._schema(extra)
        return Schema(extra.pop("task", self.task), encoder.feature_names,
                      input_names=[str(c) for c in self.feature_names_in_], encoder=encoder,
                      **extra)


class TabularClassifier(_TableInput, MLPClassifier):
    """A classifier for tables, with the table recipe's defaults (``mlpkit train --csv``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    __init__.__signature__ = signature(("hidden_layer_sizes", "activation"), _table_params())


class TabularRegressor(_TableInput, MLPRegressor):
    """A regressor for tables, with the table recipe's defaults (``mlpkit train --csv``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    __init__.__signature__ = signature(("loss", "hidden_layer_sizes", "activation"),
                                       _table_params() | {"loss": None})
