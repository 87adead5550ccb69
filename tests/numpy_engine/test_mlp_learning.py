"""The hand-written MLP learns what the classic walk-throughs report."""

import math

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_circles, make_moons
from sklearn.model_selection import train_test_split

from mlpkit.numpy_engine import (
    SGD,
    Adam,
    CrossEntropyLoss,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
)
from mlpkit.numpy_engine.module import Module

from .helpers import make_mlp, train


def test_two_two_one_network_one_sgd_step_by_hand():
    # x = (1, 2), y = 1; W1 = [[0.1, 0.2], [0.3, -0.1]], b1 = (0, 0.1); W2 = [[0.5, -0.4]], b2 = 0.2
    # z1 = (0.5, 0.2); h = sigmoid(z1) = (0.62245933, 0.54983400)
    # out = 0.5 h1 - 0.4 h2 + 0.2 = 0.29129607; loss = (out - 1)^2 = 0.50226127
    # dL/dout = 2 (out - 1) = -1.41740787; dW2 = dL/dout * h; db2 = dL/dout
    # dz1 = dL/dout * W2 * h (1 - h) = (-0.16654806, 0.14033225); dW1 = outer(dz1, x)
    # SGD lr 0.5: W2 = (0.94113938, -0.01033048), b2 = 0.90870393,
    #             W1 = [[0.18327403, 0.36654806], [0.22983361, -0.24033277]],
    #             b1 = (0.08327403, 0.02983361)
    model = Sequential(Linear(2, 2, dtype=np.float64), Sigmoid(), Linear(2, 1, dtype=np.float64))
    model.load_state_dict({
        "0.weight": np.array([[0.1, 0.2], [0.3, -0.1]]), "0.bias": np.array([0.0, 0.1]),
        "2.weight": np.array([[0.5, -0.4]]), "2.bias": np.array([0.2]),
    })
    loss, optimizer = MSELoss(), SGD(model.parameters(), lr=0.5)
    value = loss(model(np.array([[1.0, 2.0]])), np.array([[1.0]]))
    model.backward(loss.backward())
    optimizer.step()
    assert value == pytest.approx(0.50226127, rel=1e-7)
    sd = model.state_dict()
    np.testing.assert_allclose(sd["2.weight"], [[0.94113938, -0.01033048]], rtol=1e-6)
    np.testing.assert_allclose(sd["2.bias"], [0.90870393], rtol=1e-7)
    np.testing.assert_allclose(sd["0.weight"],
                               [[0.18327403, 0.36654806], [0.22983361, -0.24033277]], rtol=1e-6)
    np.testing.assert_allclose(sd["0.bias"], [0.08327403, 0.02983361], rtol=1e-6)
    assert 1 / (1 + math.exp(-0.5)) == pytest.approx(0.62245933)  # the comment's sigmoid


def split(X, y, seed=0):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=seed,
                                                        stratify=y)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    scaled_train = ((X_train - mean) / std).astype(np.float32)
    scaled_test = ((X_test - mean) / std).astype(np.float32)
    return scaled_train, scaled_test, y_train, y_test


def accuracy(model, X, y):
    return float(np.mean(model(X).argmax(axis=1) == y))


def test_sigmoid_2_10_2_with_mse_on_blobs_reaches_97_percent():
    X_train, X_test, y_train, y_test = split(*make_blobs(1000, centers=2, cluster_std=2.5,
                                                         random_state=1))
    model = make_mlp([2, 10, 2], "sigmoid", seed=1, dtype=np.float32)
    onehot = np.eye(2, dtype=np.float32)[y_train]
    history = train(model, MSELoss(), SGD(model.parameters(), lr=0.5), X_train, onehot,
                    epochs=50, batch_size=100)
    assert history[-1] < history[0] / 2
    assert accuracy(model, X_test, y_test) >= 0.97


def test_deeper_sigmoid_2_10_5_2_also_learns():
    X_train, X_test, y_train, y_test = split(*make_blobs(1000, centers=2, cluster_std=2.5,
                                                         random_state=1))
    model = make_mlp([2, 10, 5, 2], "sigmoid", seed=2, dtype=np.float32)
    onehot = np.eye(2, dtype=np.float32)[y_train]
    train(model, MSELoss(), SGD(model.parameters(), lr=1.0), X_train, onehot, epochs=80,
          batch_size=100)
    assert accuracy(model, X_test, y_test) >= 0.95


def test_relu_2_16_16_2_on_moons_reaches_95_percent():
    X_train, X_test, y_train, y_test = split(*make_moons(1000, noise=0.2, random_state=0))
    model = make_mlp([2, 16, 16, 2], "relu", seed=0, dtype=np.float32)
    train(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), X_train, y_train,
          epochs=60, batch_size=32)
    assert accuracy(model, X_test, y_test) >= 0.95


def test_relu_network_on_circles_reaches_95_percent():
    X_train, X_test, y_train, y_test = split(*make_circles(2000, noise=0.05, random_state=0))
    model = make_mlp([2, 16, 16, 2], "relu", seed=0, dtype=np.float32)
    train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1, momentum=0.9), X_train,
          y_train, epochs=40, batch_size=32)
    assert accuracy(model, X_test, y_test) >= 0.95


def test_a_backward_without_input_gradient_stops_at_the_first_layer_with_parameters(rng):
    calls = []

    class Encoding(Module):                 # no parameters, like the bins' encoding
        def forward(self, x):
            return 2.0 * x

        def backward(self, grad_output, need_input_grad=True):
            calls.append(need_input_grad)
            return 2.0 * grad_output

    first = Linear(3, 4, rng=0)
    network = Sequential(Encoding(), first, ReLU(), Linear(4, 2, rng=1))
    x = rng.normal(size=(5, 3)).astype(np.float32)
    g = rng.normal(size=(5, 2)).astype(np.float32)
    network.forward(x)
    assert network.backward(g) is None and calls == []
    stopped = first.weight.grad.copy()
    network.zero_grad()
    network.forward(x)
    through = network.backward(g, need_input_grad=True)
    assert calls == [True] and through.shape == x.shape
    np.testing.assert_array_equal(first.weight.grad, stopped)
