"""torch.compile on the CPU against eager PyTorch: the 2-2-4 sigmoid net (full batch) and MNIST
784-100-10 (batch 128), one thread. Variants: eager, the module compiled, the loss + backward
step compiled; the first epoch (compilation included) and the median epoch after it.

    python benchmarks/torch_compile.py tiny
    python benchmarks/torch_compile.py mnist --data-dir ../shared/data/mnist
"""

import argparse
import statistics
import time

import torch
from torch import nn

torch.set_num_threads(1)

def make(sizes: tuple[int, int, int]) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.Sigmoid(), nn.Linear(sizes[1], sizes[2]))

def run(mode: str, X: torch.Tensor, y: torch.Tensor, batch: int, steps: int,
        ) -> tuple[float, float]:
    """(seconds of the first epoch, median seconds of the next ``steps`` epochs)."""
    model = make((X.shape[1], 2 if X.shape[1] == 2 else 100, int(y.max()) + 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        return loss

    if mode == "compile(model)":
        model = torch.compile(model)
    if mode == "compile(step)":
        step = torch.compile(step)
    n, order = len(y), torch.randperm(len(y))

    def epoch() -> float:
        for start in range(0, n, batch):
            index = order[start:start + batch]
            xb, yb = (X, y) if batch >= n else (X.index_select(0, index),
                                                y.index_select(0, index))
            for p in model.parameters():
                p.grad = None
            loss = step(xb, yb)
            optimizer.step()
        return loss.item()

    started = time.perf_counter()
    epoch()
    first = time.perf_counter() - started
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", choices=["tiny", "mnist"])
    parser.add_argument("--data-dir", help="MNIST files (mnist)")
    which = parser.parse_args()
    if which.network == "tiny":
        from sklearn.datasets import make_blobs

        Xn, yn = make_blobs(800, centers=4, random_state=0)
        X = torch.tensor((Xn - Xn.mean(0)) / Xn.std(0), dtype=torch.float32)
        y, batch, steps = torch.tensor(yn), 10**9, 300
    else:
        from mlpkit.data import load_dataset

        d = load_dataset("mnist", data_dir=which.data_dir)
        X, y, batch, steps = torch.from_numpy(d.X_train), torch.from_numpy(d.y_train), 128, 3
    for mode in ("eager", "compile(model)", "compile(step)"):
        first, per = run(mode, X, y, batch, steps)
        print(f"{which.network} {mode}: first epoch {first:.2f} s, then {per * 1e6:.0f} µs/epoch")


if __name__ == "__main__":
    main()
