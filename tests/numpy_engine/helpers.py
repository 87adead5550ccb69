"""Small builders shared by the NumPy-engine tests."""

from __future__ import annotations

import numpy as np

from mlpkit.numpy_engine import Identity, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh

ACTIVATION_CLASSES = {"sigmoid": Sigmoid, "relu": ReLU, "tanh": Tanh, "identity": Identity,
                      "softmax": Softmax}


def make_mlp(sizes: list[int], activation: str, seed: int = 0,
             dtype=np.float64) -> Sequential:
    """Linear layers of ``sizes`` with ``activation`` between them (none after the last)."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(ACTIVATION_CLASSES[activation]())
    return Sequential(*layers)


def train(model, loss, optimizer, X, y, epochs: int, batch_size: int, seed: int = 0) -> list[float]:
    """Plain minibatch training, reshuffled each epoch; returns the mean loss per epoch."""
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        losses = []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            losses.append(loss(model(X[batch]), y[batch]))
            model.backward(loss.backward())
            optimizer.step()
        history.append(float(np.mean(losses)))
    return history
