"""The same training run on the CPU and on a CUDA GPU, timed; skips cleanly without a GPU.

    python examples/gpu.py [--epochs 3]
"""

import argparse
import time

import numpy as np

from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.data import minibatch_indices
from mlpkit.engines import make_stepper


def seconds_per_epoch(device: str, X: np.ndarray, y: np.ndarray, epochs: int) -> float:
    config = TrainConfig(optimizer="sgd", lr=0.1, batch_size=128)
    stepper = make_stepper("torch", MLPSpec(784, 10, (512, 256)), "classification", config,
                           device)
    stepper.bind(X, y, None)
    rng = np.random.default_rng(0)
    stepper.train_epoch(list(minibatch_indices(len(y), 128, rng)), lambda: False)   # warm-up
    started = time.perf_counter()
    for _ in range(epochs):
        stepper.train_epoch(list(minibatch_indices(len(y), 128, rng)), lambda: False)
    return (time.perf_counter() - started) / epochs


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=20000)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA GPU here: skipping the GPU run (the CPU needs no example)")
        return
    rng = np.random.default_rng(0)
    X = rng.random((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    cpu = seconds_per_epoch("cpu", X, y, args.epochs)
    gpu = seconds_per_epoch("cuda", X, y, args.epochs)
    print(f"784-512-256-10, {args.samples} samples: CPU {cpu:.3f} s/epoch, "
          f"GPU ({torch.cuda.get_device_name()}) {gpu:.3f} s/epoch, {cpu / gpu:.1f}x")


if __name__ == "__main__":
    main()
