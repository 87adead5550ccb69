"""Train a NumPy-engine MLP on 4-class blobs and print its test accuracy.

The blobs walk-through: 1000 points around 4 centres, an 80/20 stratified split, a 2-10-4
network with a sigmoid hidden layer. Unlike the walk-through, the logits go straight into the
cross-entropy (no softmax before it), so the loss falls as it should.

    python examples/numpy_mlp_blobs.py [--epochs 100] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

from mlpkit.data import Standardizer, load_dataset, minibatch_indices
from mlpkit.numpy_engine import SGD, CrossEntropyLoss, Linear, Sequential, Sigmoid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    data = load_dataset("blobs", n_samples=1000, centers=4, test_size=0.2)
    print(data.summary())
    scaler = Standardizer.fit(data.X_train)                    # training statistics only
    X_train, X_test = scaler.transform(data.X_train), scaler.transform(data.X_test)
    y_train, y_test = data.y_train, data.y_test

    rng = np.random.default_rng(args.seed)
    model = Sequential(Linear(2, 10, rng=rng), Sigmoid(), Linear(10, 4, rng=rng))
    loss_fn = CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        losses = []
        for batch in minibatch_indices(len(X_train), args.batch_size, rng):
            optimizer.zero_grad()
            losses.append(loss_fn(model(X_train[batch]), y_train[batch]))
            model.backward(loss_fn.backward())
            optimizer.step()
        if epoch == 1 or epoch % 20 == 0:
            print(f"epoch {epoch:4d}  train loss {np.mean(losses):.4f}")

    accuracy = np.mean(model(X_test).argmax(axis=1) == y_test)
    print(f"test accuracy: {accuracy:.1%}")


if __name__ == "__main__":
    main()
