"""Perceptron and Adaline: one step worked by hand, then learning on real data."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.model_selection import train_test_split

from mlpkit.classic import AdalineGD, AdalineSGD, Perceptron

# Every model draws w0 = default_rng(1).normal(0, 0.01, 2) = [0.00345584, 0.00821618], b0 = 0.
X_TWO = np.array([[1.0, 2.0], [-1.0, -3.0]])
Y_TWO = np.array([0, 1])


def test_initial_weights_are_the_documented_draw():
    model = Perceptron(n_iter=1, learning_rate=1e-12).fit(X_TWO, Y_TWO)
    np.testing.assert_allclose(model.w_, [0.00345584, 0.00821618], rtol=1e-6)


def test_perceptron_one_epoch_by_hand():
    # x1 = (1, 2), target 0: z = 0.00345584 + 2 * 0.00821618 = 0.0198882 >= 0 -> predicts 1, wrong.
    #   update = 0.1 * (0 - 1) = -0.1:  w = w0 - 0.1 * (1, 2) = (-0.09654416, -0.19178382), b = -0.1
    # x2 = (-1, -3), target 1: z = 0.09654416 + 0.57535146 - 0.1 = 0.5719 >= 0 -> predicts 1, right.
    model = Perceptron(learning_rate=0.1, n_iter=1).fit(X_TWO, Y_TWO)
    np.testing.assert_allclose(model.w_, [-0.09654416, -0.19178382], rtol=1e-6)
    assert model.b_ == pytest.approx(-0.1)
    assert model.errors_ == [1]


def test_adaline_gd_one_epoch_by_hand():
    # z = X w0 = (0.0198882, -0.02810438); errors e = y - z = (-0.0198882, 1.02810438)
    # w += lr * 2/n * X^T e = w0 + 0.1 * (-1.04799258, -3.12408954) = (-0.10134342, -0.30419277)
    # b += lr * 2 * mean(e) = 0.2 * 0.50410809 = 0.10082162;  loss = mean(e^2) = 0.52869708
    model = AdalineGD(learning_rate=0.1, n_iter=1).fit(X_TWO, Y_TWO)
    np.testing.assert_allclose(model.w_, [-0.10134342, -0.30419277], rtol=1e-6)
    assert model.b_ == pytest.approx(0.10082162, rel=1e-6)
    assert model.losses_ == [pytest.approx(0.52869708, rel=1e-6)]


def test_adaline_sgd_single_example_partial_fit_by_hand():
    # x = (1, 2), target 0: error = 0 - 0.0198882; w += 0.1 * 2 * error * x
    # w = (0.00345584 - 0.00397764, 0.00821618 - 0.00795528) = (-0.0005218, 0.0002609)
    model = AdalineSGD(learning_rate=0.1).partial_fit([1.0, 2.0], 0, classes=[0, 1])
    np.testing.assert_allclose(model.w_, [-0.0005218, 0.0002609], rtol=1e-4)
    assert model.b_ == pytest.approx(-0.00397764, rel=1e-6)


def separable_blobs():
    X, y = make_blobs(n_samples=300, centers=[[3, 3], [6, 0]], cluster_std=0.5, random_state=0)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def test_perceptron_converges_on_separable_blobs():
    X_train, X_test, y_train, y_test = separable_blobs()
    model = Perceptron(learning_rate=0.1, n_iter=30).fit(X_train, y_train)
    assert model.errors_[0] > 0          # it had something to learn
    assert model.errors_[-1] == 0        # and then made no more mistakes
    assert model.score(X_train, y_train) == 1.0
    assert model.score(X_test, y_test) >= 0.98


def test_perceptron_keeps_string_labels():
    X_train, _, y_train, _ = separable_blobs()
    labels = np.where(y_train == 1, "spam", "ham")
    model = Perceptron(n_iter=20).fit(X_train, labels)
    assert model.classes_.tolist() == ["ham", "spam"]
    assert (model.predict(X_train) == labels).all()


def test_adaline_learning_rate_too_large_diverges_and_small_one_converges():
    X, y = make_blobs(n_samples=200, centers=2, random_state=3)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    diverging = AdalineGD(learning_rate=1.0, n_iter=15).fit(X, y)
    converging = AdalineGD(learning_rate=0.05, n_iter=15).fit(X, y)
    assert diverging.losses_[-1] > diverging.losses_[0] * 100
    assert np.all(np.diff(converging.losses_) <= 0)
    assert converging.score(X, y) >= 0.95


def test_adaline_sgd_learns_and_keeps_learning_online():
    X, y = make_blobs(n_samples=400, centers=2, random_state=3)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    model = AdalineSGD(learning_rate=0.01, n_iter=15, random_state=1).fit(X[:300], y[:300])
    assert model.losses_[-1] < model.losses_[0]
    before = model.w_.copy()
    model.partial_fit(X[300:], y[300:])
    assert not np.array_equal(before, model.w_)   # weights kept and moved, not re-initialised
    assert np.linalg.norm(model.w_ - before) < 0.5 * np.linalg.norm(before)
    assert model.score(X[300:], y[300:]) >= 0.95


def test_adaline_sgd_shuffles_with_its_seed():
    X, y = make_blobs(n_samples=100, centers=2, random_state=3)
    a = AdalineSGD(n_iter=3, random_state=5).fit(X, y)
    b = AdalineSGD(n_iter=3, random_state=5).fit(X, y)
    c = AdalineSGD(n_iter=3, random_state=5, shuffle=False).fit(X, y)
    assert a.losses_ == b.losses_
    assert a.losses_ != c.losses_
