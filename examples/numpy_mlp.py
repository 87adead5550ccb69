"""The NumPy MLP by hand: a forward pass that keeps every layer's output, backpropagation
through one hidden layer (2-10-2 sigmoid, mean squared error on one-hot targets, as in the
walk-through: 98 % there), then the same code at any depth (2-10-5-2).

    python examples/numpy_mlp.py [--epochs 50]
"""

import argparse

import numpy as np

from mlpkit.data import Standardizer, load_dataset, minibatch_indices, one_hot
from mlpkit.numpy_engine import SGD, Linear, MSELoss, Sequential, Sigmoid


def train(model, X, y, n_classes, epochs, lr, seed):
    loss_fn, optimizer = MSELoss(), SGD(model.parameters(), lr=lr)
    targets = one_hot(y, n_classes)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for batch in minibatch_indices(len(X), 100, rng):
            optimizer.zero_grad()
            loss_fn(model(X[batch]), targets[batch])
            model.backward(loss_fn.backward())       # last layer first, any depth
            optimizer.step()
    return loss_fn(model(X), targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    data = load_dataset("blobs", centers=2, cluster_std=2.5, random_state=1)
    scaler = Standardizer.fit(data.X_train)
    X, X_test = scaler.transform(data.X_train), scaler.transform(data.X_test)

    rng = np.random.default_rng(0)
    model = Sequential(Linear(2, 10, rng=rng), Sigmoid(), Linear(10, 2, rng=rng), Sigmoid())
    out = X[:3]
    for layer in model.layers:                      # the forward pass, output by output
        out = layer(out)
        print(f"{type(layer).__name__:8s} output {out.shape}")
    mse = train(model, X, data.y_train, 2, args.epochs, lr=0.5, seed=0)
    accuracy = np.mean(model(X_test).argmax(axis=1) == data.y_test)
    print(f"2-10-2 sigmoid, MSE {mse:.4f}: test accuracy: {accuracy:.1%}")

    deep = Sequential(Linear(2, 10, rng=rng), Sigmoid(), Linear(10, 5, rng=rng), Sigmoid(),
                      Linear(5, 2, rng=rng), Sigmoid())
    train(deep, X, data.y_train, 2, args.epochs * 2, lr=1.0, seed=1)
    accuracy = np.mean(deep(X_test).argmax(axis=1) == data.y_test)
    print(f"2-10-5-2 sigmoid: test accuracy: {accuracy:.1%}")


if __name__ == "__main__":
    main()
