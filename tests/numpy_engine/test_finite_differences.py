"""Every hand-written backward pass against central finite differences (float64)."""

import numpy as np
import pytest

from mlpkit.errors import InvalidInputError
from mlpkit.numpy_engine import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Linear,
    MSELoss,
    gradcheck,
    numerical_gradient,
)
from mlpkit.numpy_engine.gradcheck import relative_error
from mlpkit.numpy_engine.losses import PoissonLoss

from .helpers import ACTIVATION_CLASSES, make_mlp

TOLERANCE = 1e-6


@pytest.mark.parametrize("name", sorted(ACTIVATION_CLASSES))
def test_activation_input_gradient(name, rng):
    layer = ACTIVATION_CLASSES[name]()
    x = rng.normal(size=(5, 4))
    x[np.abs(x) < 1e-3] = 0.5          # keep away from ReLU's kink
    upstream = rng.normal(size=(5, 4))

    def objective():
        return float(np.sum(layer.forward(x) * upstream))

    layer.forward(x)
    analytic = layer.backward(upstream)
    numeric = numerical_gradient(objective, x)
    assert relative_error(analytic, numeric) < TOLERANCE


def test_linear_gradients_for_weight_bias_and_input(rng):
    layer = Linear(4, 3, rng=rng, dtype=np.float64)
    x = rng.normal(size=(6, 4))
    upstream = rng.normal(size=(6, 3))

    def objective():
        return float(np.sum(layer.forward(x) * upstream))

    layer.zero_grad()
    layer.forward(x)
    grad_x = layer.backward(upstream)
    for param in (layer.weight, layer.bias):
        assert relative_error(param.grad, numerical_gradient(objective, param.data)) < TOLERANCE
    assert relative_error(grad_x, numerical_gradient(objective, x)) < TOLERANCE


def _loss_cases(rng):
    logits = rng.normal(size=(7, 3))
    labels = np.array([0, 2, 1, 1, 0, 2, 2])
    binary = rng.integers(0, 2, size=(7, 1)).astype(np.float64)
    return [
        (MSELoss(), rng.normal(size=(7, 3)), rng.normal(size=(7, 3))),
        (CrossEntropyLoss(), logits, labels),
        (CrossEntropyLoss(weight=np.array([1.0, 3.0, 0.5])), logits, labels),
        (BCEWithLogitsLoss(), rng.normal(size=(7, 1)) * 3, binary),
        (BCELoss(), rng.uniform(0.05, 0.95, size=(7, 1)), binary),
        (PoissonLoss(), rng.normal(size=(7, 2)), rng.poisson(2.0, size=(7, 2)).astype(float)),
    ]


@pytest.mark.parametrize("case", range(6))
def test_loss_gradient(case, rng):
    loss, pred, target = _loss_cases(rng)[case]
    loss.forward(pred, target)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(pred, target), pred)
    assert relative_error(analytic, numeric) < TOLERANCE


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_whole_network_gradcheck(activation, depth, rng):
    sizes = [3] + [5] * (depth - 1) + [4]
    model = make_mlp(sizes, activation, seed=depth)
    X = rng.normal(size=(8, 3))
    y = rng.integers(0, 4, size=8)
    errors = gradcheck(model, CrossEntropyLoss(), X, y)
    assert set(errors) == {f"{2 * i}.{p}" for i in range(depth) for p in ("weight", "bias")}
    assert max(errors.values()) < TOLERANCE


def test_gradcheck_detects_a_wrong_backward(rng):
    """The check itself must be able to fail: break Linear's bias gradient and see it flagged."""
    model = make_mlp([3, 4, 2], "tanh")
    original = model[2].backward

    def broken_backward(grad, need_input_grad=True):
        out = original(grad, need_input_grad)
        model[2].bias.grad *= 1.01
        return out

    model[2].backward = broken_backward
    errors = gradcheck(model, MSELoss(), rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))
    assert errors["2.bias"] > 1e-3
    assert errors["0.weight"] < TOLERANCE   # only the broken parameter is flagged


def test_gradcheck_refuses_float32():
    model = make_mlp([2, 2], "sigmoid", dtype=np.float32)
    with pytest.raises(InvalidInputError) as info:
        gradcheck(model, MSELoss(), np.zeros((1, 2)), np.zeros((1, 2)))
    assert str(info.value) == (
        "gradcheck needs float64 parameters, but '0.weight' is float32; "
        "build the layers with dtype=np.float64."
    )
