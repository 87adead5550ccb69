"""Bad input gets an mlpkit error with a one-line message, asserted word for word."""

import numpy as np
import pytest

from mlpkit.errors import InvalidInputError, InvalidParameterError, MlpkitError, NotFittedError
from mlpkit.numpy_engine import (
    AdalineGD,
    AdalineSGD,
    BCELoss,
    CrossEntropyLoss,
    Linear,
    MSELoss,
    Perceptron,
    Sequential,
)
from mlpkit.numpy_engine.activations import get_activation
from mlpkit.numpy_engine.init import get_initializer

X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
Y = np.array([0, 0, 1, 1])


def message(call) -> str:
    with pytest.raises(MlpkitError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("cls", [Perceptron, AdalineGD, AdalineSGD])
def test_fit_errors(cls):
    with_nan = X.copy()
    with_nan[2, 1] = np.nan
    assert message(lambda: cls().fit(with_nan, Y)) == (
        "X contains NaN or infinity (first at index [2, 1]); remove or impute those values.")
    assert message(lambda: cls().fit(X[:, 0], Y)) == (
        "X must be 2-D, got a 1-D array of shape (4,). Reshape a single sample with "
        "X.reshape(1, -1).")
    assert message(lambda: cls().fit(X, Y[:3])) == (
        "X and y have different numbers of samples: 4 and 3.")
    assert message(lambda: cls().fit(np.empty((0, 2)), [])) == (
        "X is empty (shape (0, 2)); pass at least one sample.")
    assert message(lambda: cls().fit(X, [0, 0, 0, 0])) == (
        f"{cls.__name__} is a binary classifier and needs exactly 2 classes, got 1: [0]; "
        "use an MLP for more.")
    assert message(lambda: cls().fit([["a", "b"], ["c", "d"]], [0, 1])).startswith(
        "X must be numeric, but it could not be converted to numbers (")
    assert message(lambda: cls(learning_rate=-0.1).fit(X, Y)) == (
        "learning_rate must be a positive number, got -0.1.")
    assert message(lambda: cls(n_iter=2.5).fit(X, Y)) == (
        "n_iter must be a positive integer, got 2.5.")


@pytest.mark.parametrize("cls", [Perceptron, AdalineGD, AdalineSGD])
def test_predict_errors(cls):
    with pytest.raises(NotFittedError) as info:
        cls().predict(X)
    assert str(info.value) == f"This {cls.__name__} is not fitted yet; call fit(X, y) first."
    assert isinstance(info.value, AttributeError) and isinstance(info.value, ValueError)
    model = cls().fit(X, Y)
    assert message(lambda: model.predict(np.ones((2, 3)))) == (
        f"X has 3 features, but {cls.__name__} was fitted with 2.")
    assert message(lambda: model.predict([[np.inf, 0.0]])) == (
        "X contains NaN or infinity (first at index [0, 0]); remove or impute those values.")


def test_partial_fit_errors():
    assert message(lambda: AdalineSGD().partial_fit(X, Y)) == (
        "The first call to partial_fit needs classes=[...] (both labels), since one batch may "
        "not contain both.")
    model = AdalineSGD().partial_fit(X, Y, classes=[0, 1])
    assert message(lambda: model.partial_fit(X, [0, 1, 2, 5])) == (
        "y contains labels the model was not fitted on: [2, 5]; the fitted classes are [0, 1].")


def test_network_and_loss_errors():
    net = Sequential(Linear(2, 3), Linear(3, 2))
    assert message(lambda: net(np.ones((4, 5)))) == (
        "Linear(2, 3) expects input of shape (n, 2), got (4, 5).")
    assert message(lambda: net.load_state_dict({"0.weight": np.ones((3, 2))})) == (
        "State dict does not match the network: missing keys ['0.bias', '1.bias', '1.weight'], "
        "unexpected keys [].")
    bad_shapes = {k: np.ones((1, 1)) if k == "1.weight" else v for k, v in net.state_dict().items()}
    assert message(lambda: net.load_state_dict(bad_shapes)) == (
        "State dict entry '1.weight' has shape (1, 1), the network expects (2, 3).")
    assert message(lambda: Sequential(Linear(2, 2), "relu")) == (
        "Sequential takes layers (Linear, ReLU, ...), got str.")
    logits = np.zeros((3, 2))
    assert message(lambda: CrossEntropyLoss()(logits, np.array([0, 1, 2]))) == (
        "CrossEntropyLoss: class indices must lie in [0, 1], got values from 0 to 2.")
    assert message(lambda: CrossEntropyLoss()(logits, np.eye(2)[[0, 1, 1]])) == (
        "CrossEntropyLoss expects integer class indices of shape (3,), got float64 of shape "
        "(3, 2); pass labels, not one-hot rows.")
    assert message(lambda: MSELoss()(logits, np.zeros(3))) == (
        "MSELoss: target shape (3,) differs from prediction shape (3, 2).")
    assert message(lambda: BCELoss()(np.array([[2.0]]), np.array([[1.0]]))) == (
        "BCELoss expects probabilities in [0, 1]; pass logits to BCEWithLogitsLoss.")


def test_unknown_names_suggest_the_closest():
    with pytest.raises(InvalidParameterError) as info:
        get_activation("sigmod")
    assert str(info.value) == (
        "Unknown activation 'sigmod'. Did you mean 'sigmoid'? "
        "Known: identity, mish, relu, selu, sigmoid, softmax, tanh.")
    assert message(lambda: get_initializer("xavier")).startswith(
        "Unknown initializer 'xavier'. Did you mean 'xavier_normal'?")
    assert message(lambda: Linear(0, 3)) == "in_features must be a positive integer, got 0."


def test_errors_are_value_errors():
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(NotFittedError, AttributeError)
