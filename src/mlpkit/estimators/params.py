"""The estimators' parameters: their signature, from the option table, and the RunConfig
they mean.

The names, defaults and meanings are scikit-learn's MLP's (``solver``, ``alpha``,
``learning_rate``, ``max_iter``, ...), declared in the table's ``param`` column; here are only
the rules scikit-learn attaches to them: momentum and the ``invscaling`` / ``adaptive``
schedules act with ``solver="sgd"`` only, ``lbfgs`` ignores early stopping and schedules,
``partial_fit`` holds nothing out and never stops early, ``batch_size="auto"`` is
``min(200, n_samples)`` and a larger batch is clipped to the training rows (``Session.prepare``).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.utils._param_validation import StrOptions

from mlpkit.config import RunConfig
from mlpkit.errors import InvalidParameterError
from mlpkit.options import BY_NAME, MOMENTUM_OPTIMIZERS, OPTIONS

EXTRA = {"early_stopping": False, "monitor": "score", "warm_start": False, "verbose": False,
         "callbacks": None}                                    # options.ESTIMATOR_ONLY


def parameter_constraints() -> dict[str, list]:
    """scikit-learn's ``_parameter_constraints``, said by the option table's own constraints
    (``tol`` may also be None here: run every epoch)."""
    table = {o.param: o.check.sklearn() for o in OPTIONS if o.param is not None}
    table["tol"] = [*table["tol"], None]
    return table | {"early_stopping": ["boolean"], "monitor": [StrOptions({"score", "loss"})],
                    "warm_start": ["boolean"],
                    "verbose": ["verbose"], "callbacks": [list, tuple, None]}


def signature(positional: tuple[str, ...], defaults: dict[str, Any]) -> inspect.Signature:
    """An ``__init__`` signature from the option table: ``positional`` first, in that order,
    then every other parameter keyword-only; ``defaults`` override the table's."""
    kind = inspect.Parameter
    table = {o.param: o.estimator_default for o in OPTIONS if o.param is not None}
    table |= EXTRA
    table |= defaults
    params = [kind("self", kind.POSITIONAL_OR_KEYWORD)]
    params += [kind(name, kind.POSITIONAL_OR_KEYWORD, default=table[name]) for name in positional]
    params += [kind(name, kind.KEYWORD_ONLY, default=value) for name, value in table.items()
               if name not in positional]
    return inspect.Signature(params)


def seed_from(random_state: Any) -> int:
    """An int seed from scikit-learn's ``random_state`` (None: a fresh one each fit)."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    raise InvalidParameterError(f"random_state must be an int, a RandomState or None, got "
                                f"{random_state!r}.")


def watches_score(estimator: Any, incremental: bool) -> bool:
    """Early stopping on the validation score (accuracy or R²), as scikit-learn's, rather
    than on the validation loss (``monitor="loss"``, mlpkit's own rule)."""
    return estimator.early_stopping and estimator.monitor == "score" and not incremental and \
        estimator.solver != "lbfgs" and estimator.tol is not None


def run_config(estimator: Any, n_samples: int, incremental: bool) -> RunConfig:
    """The RunConfig an estimator's parameters mean, for ``n_samples`` training rows."""
    if estimator.monitor not in ("score", "loss"):
        raise InvalidParameterError(f"monitor must be 'score' (scikit-learn's early stopping) "
                                    f"or 'loss' (mlpkit's), got {estimator.monitor!r}.")
    values = {o.name: getattr(estimator, o.param) for o in OPTIONS if o.param is not None}
    values["seed"] = seed_from(values["seed"])      # (a RandomState gives its next number)
    values = {name: value if name == "tol" and value is None else   # tol=None: run
              BY_NAME[name].validate(value) for name, value in values.items()}  # all epochs
    solver = values["optimizer"]
    if values["hidden"] is not None and not isinstance(values["hidden"], (list, tuple)):
        values["hidden"] = (values["hidden"],)
    if values["batch_size"] == "auto" and estimator.scikit_learn_rules:   # (larger than
        values["batch_size"] = min(200, n_samples)  # the rows: the session clips it, warning)
    if solver not in MOMENTUM_OPTIMIZERS:
        values["momentum"] = 0.0                    # momentum is sgd's (and rmsprop's)
    values["nesterov"] = bool(values["nesterov"]) and solver == "sgd" and \
        bool(values["momentum"])
    if values["schedule"] in ("invscaling", "adaptive") and solver != "sgd" or \
            solver == "lbfgs":
        values["schedule"] = None                   # as scikit-learn: sgd's schedules
    watch_validation = estimator.early_stopping and not incremental and solver != "lbfgs"
    values["val_fraction"] = values["val_fraction"] if watch_validation else 0.0
    if values["tol"] is None or incremental or solver == "lbfgs" or \
            watches_score(estimator, incremental):   # (the estimator's own EarlyStopping)
        values["patience"] = None                   # no convergence stop: all max_iter
    values["tol"] = values["tol"] or 0.0
    return RunConfig().with_options(values)
