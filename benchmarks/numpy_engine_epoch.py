"""Seconds per MNIST-sized epoch of the NumPy engine against the floor of its matrix products.

Network 784-100-10 (sigmoid), batch 128, plain SGD, cross-entropy: the MNIST walk-through's
recipe. The floor is the same epoch's five matrix products alone, into preallocated outputs
(forward: two; backward: two weight gradients and the hidden layer's input gradient; the
first layer's input gradient is never needed). Both are timed interleaved in one process and
reported as a ratio; run with the machine otherwise idle.

    python benchmarks/numpy_engine_epoch.py [--data-dir ../shared/data/mnist] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from mlpkit.numpy_engine import SGD, CrossEntropyLoss, Linear, Sequential, Sigmoid

BATCH = 128


def load_features(data_dir: str | None) -> tuple[np.ndarray, np.ndarray]:
    if data_dir:
        from mlpkit.data import load_dataset

        data = load_dataset("mnist", data_dir=data_dir)
        return data.X_train, data.y_train
    rng = np.random.default_rng(0)   # same shapes and dtype; timing does not depend on values
    return rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000)


def engine_epoch(model, loss, optimizer, X, y, rng) -> float:
    start = time.perf_counter()
    order = rng.permutation(len(X))
    for begin in range(0, len(X), BATCH):
        batch = order[begin:begin + BATCH]
        optimizer.zero_grad()
        loss(model(X[batch]), y[batch])
        model.backward(loss.backward())
        optimizer.step()
    return time.perf_counter() - start


def floor_epoch(X, W1, W2) -> float:
    """Only the matrix products of one epoch, into buffers allocated beforehand."""
    h = np.empty((BATCH, 100), np.float32)
    out = np.empty((BATCH, 10), np.float32)
    g_out = np.ones((BATCH, 10), np.float32)
    g_h = np.empty((BATCH, 100), np.float32)
    gW2 = np.empty_like(W2)
    gW1 = np.empty_like(W1)
    start = time.perf_counter()
    for begin in range(0, len(X) - BATCH + 1, BATCH):
        xb = X[begin:begin + BATCH]
        np.matmul(xb, W1.T, out=h)          # (128, 784) @ (784, 100)
        np.matmul(h, W2.T, out=out)         # (128, 100) @ (100, 10)
        np.matmul(g_out.T, h, out=gW2)      # (10, 128) @ (128, 100)
        np.matmul(g_out, W2, out=g_h)       # (128, 10) @ (10, 100)
        np.matmul(g_h.T, xb, out=gW1)       # (100, 128) @ (128, 784)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="MNIST folder (default: random data of MNIST's shape)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for both (default 1: see docs/performance.md)")
    args = parser.parse_args()
    threadpool_limits(args.threads)

    X, y = load_features(args.data_dir)
    rng = np.random.default_rng(0)
    model = Sequential(Linear(784, 100, rng=rng), Sigmoid(), Linear(100, 10, rng=rng))
    loss, optimizer = CrossEntropyLoss(), SGD(model.parameters(), lr=0.1)
    engine, floor = [], []
    engine_epoch(model, loss, optimizer, X, y, rng)            # warm-up
    for _ in range(args.repeats):                               # interleaved
        floor.append(floor_epoch(X, model[0].weight.data, model[2].weight.data))
        engine.append(engine_epoch(model, loss, optimizer, X, y, rng))
    e, f = np.median(engine), np.median(floor)
    print(f"data: {'MNIST ' + args.data_dir if args.data_dir else 'random, MNIST-shaped'}; "
          f"{args.threads} BLAS thread(s); median of {args.repeats} interleaved epochs")
    print(f"numpy engine  {e:.3f} s/epoch")
    print(f"GEMM floor    {f:.3f} s/epoch")
    print(f"ratio         {e / f:.2f}x the floor")


if __name__ == "__main__":
    main()
