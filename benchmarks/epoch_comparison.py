"""Seconds per MNIST epoch, side by side: mlpkit's two engines, a plain PyTorch DataLoader loop
(as in the MNIST walk-through), scikit-learn's MLPClassifier, and the floor (the epoch's matrix
products alone). 784-100-10 sigmoid, batch 128, SGD lr 0.1, cross-entropy; each contender runs
one epoch per round, rounds interleaved, median reported, ratios to the floor.

    python benchmarks/epoch_comparison.py --data-dir ../shared/data/mnist [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from numpy_engine_epoch import floor_epoch  # beside this script: the same floor
from threadpoolctl import threadpool_limits

from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.data import load_dataset, minibatch_indices
from mlpkit.engines import make_stepper

BATCH = 128


def mlpkit_epoch(stepper, X, y, rng) -> float:
    start = time.perf_counter()
    stepper.train_epoch(list(minibatch_indices(len(y), BATCH, rng)), lambda: False)
    return time.perf_counter() - start


def dataloader_setup(X, y):
    """The walk-through's loop: TensorDataset + shuffled DataLoader, nn.Sequential, optim.SGD."""
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
                        batch_size=BATCH, shuffle=True)
    model = nn.Sequential(nn.Linear(784, 100), nn.Sigmoid(), nn.Linear(100, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return loader, model, optimizer, nn.CrossEntropyLoss()


def dataloader_epoch(loader, model, optimizer, loss_fn) -> float:
    start = time.perf_counter()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def sklearn_setup(X, y):
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(100,), activation="logistic", solver="sgd",
                        learning_rate_init=0.1, momentum=0.0, batch_size=BATCH, max_iter=1,
                        shuffle=True, alpha=0.0, random_state=0)
    return clf


def sklearn_epoch(clf, X, y) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # "max_iter reached": one epoch is the point
        clf.partial_fit(X, y, classes=np.arange(10)) if hasattr(clf, "coefs_") else clf.fit(X, y)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads")
    args = parser.parse_args()
    threadpool_limits(args.threads)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    data = load_dataset("mnist", data_dir=args.data_dir)
    X, y = data.X_train, data.y_train
    spec = MLPSpec(784, 10, (100,), "sigmoid")
    config = TrainConfig(optimizer="sgd", lr=0.1, batch_size=BATCH)
    numpy_stepper = make_stepper("numpy", spec, "classification", config)
    torch_stepper = make_stepper("torch", spec, "classification", config, "cpu")
    loader_stepper = make_stepper("torch", spec, "classification", config, "cpu",
                                  data_loader=True)
    for stepper in (numpy_stepper, torch_stepper, loader_stepper):
        stepper.bind(X, y, None)
    loader = dataloader_setup(X, y)
    clf = sklearn_setup(X, y)
    W1 = np.random.default_rng(0).random((100, 784), dtype=np.float32)
    W2 = np.random.default_rng(1).random((10, 100), dtype=np.float32)
    rng = np.random.default_rng(0)
    contenders = {
        "floor (matrix products only)": lambda: floor_epoch(X, W1, W2),
        "mlpkit numpy engine": lambda: mlpkit_epoch(numpy_stepper, X, y, rng),
        "mlpkit torch engine": lambda: mlpkit_epoch(torch_stepper, X, y, rng),
        "mlpkit torch, --data-loader": lambda: mlpkit_epoch(loader_stepper, X, y, rng),
        "PyTorch DataLoader loop": lambda: dataloader_epoch(*loader),
        "scikit-learn MLPClassifier": lambda: sklearn_epoch(clf, X, y),
    }
    for run in contenders.values():     # warm-up round
        run()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            times[name].append(run())
    floor = np.median(times["floor (matrix products only)"])
    print(f"MNIST 60000 x 784, 784-100-10 sigmoid, batch {BATCH}, SGD; {args.threads} thread(s); "
          f"median of {args.rounds} interleaved rounds")
    print(f"{'contender':30s} {'s/epoch':>8s} {'x floor':>8s}")
    for name, values in times.items():
        median = np.median(values)
        print(f"{name:30s} {median:8.3f} {median / floor:8.2f}")


if __name__ == "__main__":
    main()
