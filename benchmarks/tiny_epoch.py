"""µs per full-batch epoch of the walk-through's 2-2-4 sigmoid network, side by side in one
process: mlpkit's two engines through the training session (the one loop, its callbacks and
history included), a bare NumPy step written by hand, the tutorial's PyTorch loop
(nn.Sequential + CrossEntropyLoss + optim.SGD, reading the loss each epoch) and raw autograd.
Blobs (800 training rows, standardised), SGD lr 0.1, one thread everywhere; rounds
interleaved, median of the rounds.

    python benchmarks/tiny_epoch.py [--epochs 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from mlpkit.config import RunConfig
from mlpkit.data import load_dataset
from mlpkit.training.session import Session

LR = 0.1


def mlpkit_run(engine: str, data, epochs: int) -> tuple[float, float]:
    """(wall µs per epoch of Session.fit, median of the history's per-epoch µs)."""
    run = RunConfig().with_options({"engine": engine, "hidden": (2,), "activation": "sigmoid",
                                    "optimizer": "sgd", "lr": LR, "batch_size": None,
                                    "val_fraction": 0.0, "threads": 1, "epochs": epochs})
    session = Session(run, data.schema())
    split = session.prepare(data.X_train, data.y_train)
    session.build_engine()
    start = time.perf_counter()
    state = session.fit(split, checkpoint=lambda state: None)    # as mlpkit train: a timer
    wall = (time.perf_counter() - start) / epochs
    return wall * 1e6, statistics.median(r["seconds"] for r in state.history[1:]) * 1e6


def bare_numpy(X: np.ndarray, y: np.ndarray, epochs: int) -> float:
    """The step by hand: sigmoid hidden layer, fused softmax cross-entropy, plain SGD."""
    rng = np.random.default_rng(0)
    W1, b1 = rng.normal(0, 0.5, (2, 2)).astype(np.float32), np.zeros(2, np.float32)
    W2, b2 = rng.normal(0, 0.5, (2, 4)).astype(np.float32), np.zeros(4, np.float32)
    rows, n = np.arange(len(y)), len(y)
    start = time.perf_counter()
    for _ in range(epochs):
        h = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
        z = h @ W2 + b2
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        float(-np.log(p[rows, y]).mean())                   # the loss, read each epoch
        p[rows, y] -= 1.0
        p /= n
        dh = (p @ W2.T) * h * (1.0 - h)
        W2 -= LR * (h.T @ p)
        b2 -= LR * p.sum(axis=0)
        W1 -= LR * (X.T @ dh)
        b1 -= LR * dh.sum(axis=0)
    return (time.perf_counter() - start) / epochs * 1e6


def tutorial_loop(X: torch.Tensor, y: torch.Tensor, epochs: int) -> float:
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    start = time.perf_counter()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return (time.perf_counter() - start) / epochs * 1e6


def raw_autograd(X: torch.Tensor, y: torch.Tensor, epochs: int) -> float:
    torch.manual_seed(0)
    params = [torch.randn(2, 2) * 0.5, torch.zeros(2), torch.randn(2, 4) * 0.5, torch.zeros(4)]
    for p in params:
        p.requires_grad_()
    W1, b1, W2, b2 = params
    start = time.perf_counter()
    for _ in range(epochs):
        loss = torch.nn.functional.cross_entropy(torch.sigmoid(X @ W1 + b1) @ W2 + b2, y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        loss.item()
    return (time.perf_counter() - start) / epochs * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    torch.set_num_threads(1)
    data = load_dataset("blobs")
    X = ((data.X_train - data.X_train.mean(0)) / data.X_train.std(0)).astype(np.float32)
    y = data.y_train
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    results: dict[str, list[float]] = {}
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(options.rounds):
            for engine in ("numpy", "torch"):
                wall, median = mlpkit_run(engine, data, options.epochs)
                results.setdefault(f"mlpkit {engine} engine: wall / epoch", []).append(wall)
                results.setdefault(f"mlpkit {engine} engine: history median", []).append(median)
            results.setdefault("bare NumPy step", []).append(bare_numpy(X, y, options.epochs))
            results.setdefault("tutorial PyTorch loop", []).append(
                tutorial_loop(Xt, yt, options.epochs))
            results.setdefault("raw autograd", []).append(raw_autograd(Xt, yt, options.epochs))
    print(f"| contender (2-2-4 sigmoid, {len(y)} rows, full batch) | µs per epoch |")
    print("| --- | --- |")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.0f} |")


if __name__ == "__main__":
    main()
