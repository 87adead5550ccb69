"""The initialisers' ranges: PyTorch's own and scikit-learn's Glorot range (the estimators')."""

import math

import numpy as np
import pytest

from mlpkit.config import MLPSpec
from mlpkit.numpy_engine.models import build_mlp


@pytest.mark.parametrize("activation, factor", [("relu", 6.0), ("tanh", 6.0),
                                                ("sigmoid", 2.0)])
def test_sklearn_init_draws_weights_and_biases_from_scikit_learns_glorot_range(activation,
                                                                                 factor):
    """scikit-learn's _init_coef: U(±sqrt(factor / (fan_in + fan_out))) for the weights and
    the biases of every layer, factor 2 under the logistic activation, else 6."""
    spec = MLPSpec(60, 3, (200, 40), activation, init="sklearn")
    state = build_mlp(spec, rng=0, dtype=np.float64).state_dict()
    for index, (kind, *sizes) in enumerate(spec.layers()):
        if kind != "linear":
            continue
        fan_in, fan_out = sizes
        bound = math.sqrt(factor / (fan_in + fan_out))
        for name in ("weight", "bias"):
            values = state[f"{index}.{name}"]
            assert np.abs(values).max() <= bound
            if values.size >= 40:                   # enough draws to see the distribution
                assert np.abs(values).max() > 0.8 * bound         # the whole range
                assert np.std(values) == pytest.approx(bound / math.sqrt(3), rel=0.3)


def test_the_estimators_start_from_scikit_learns_range_and_the_command_line_from_pytorchs():
    from mlpkit import MLPClassifier
    from mlpkit.config import RunConfig

    assert MLPClassifier().init == "sklearn" and RunConfig().init == "default"
    default = build_mlp(MLPSpec(60, 3, (200,)), rng=0, dtype=np.float64).state_dict()
    assert np.abs(default["0.weight"]).max() <= 1 / math.sqrt(60)       # nn.Linear's own
