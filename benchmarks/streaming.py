"""--stream: peak memory against file size, and a streamed MNIST epoch against the in-memory one.

    python benchmarks/streaming.py memory --sizes-mb 100 1000 4000 --dir /tmp/stream-bench
    python benchmarks/streaming.py mnist --data-dir ../shared/data/mnist

``memory`` writes CSV files of the given sizes (12 numeric columns, a 3-valued text column,
a binary target; blocks of random rows repeated) and trains one epoch on each with
``mlpkit train --stream`` in a child process, reporting the child's peak RSS
(``ru_maxrss``) and the time. ``mnist`` stores MNIST's training images as Parquet
(row groups of 10 000 rows) and trains the same network with the same options on it streamed
and in memory, reporting the median seconds per epoch per 10 000 training rows.
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

MLPKIT = [sys.executable, "-m", "mlpkit"]


def write_csv(path: Path, megabytes: int) -> int:
    """A CSV of about ``megabytes`` MB; returns its rows."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 50_000
    X = rng.normal(size=(n, 12)).round(5)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(12)])
    frame["kind"] = rng.choice(["a", "b", "c"], n)
    frame["y"] = (X[:, 0] + X[:, 1] - X[:, 2] > 0).astype(int)
    header, body = frame.to_csv(index=False).split("\n", 1)
    block = body.encode()
    rows = 0
    with path.open("wb") as f:
        f.write((header + "\n").encode())
        while f.tell() < megabytes * 1_000_000:
            f.write(block)
            rows += n
    return rows


def run_child(args: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS of the child in MiB) of one mlpkit command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(MLPKIT + args, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def memory(sizes: list[int], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    print("| file | rows | peak RSS | time (1 epoch, 2 passes, test pass) |")
    print("| --- | --- | --- | --- |")
    for size in sizes:        # ascending: ru_maxrss of children is a running maximum
        path = folder / f"stream-{size}mb.csv"
        rows = write_csv(path, size)
        out = folder / f"run-{size}"
        seconds, peak = run_child(["train", "--csv", str(path), "--target", "y", "--stream",
                                   "--epochs", "1", "--batch-size", "4096", "--hidden", "16",
                                   "--quiet", "--out", str(out)])
        print(f"| {path.stat().st_size / 2**20:,.0f} MiB | {rows:,} | {peak:,.0f} MiB | "
              f"{seconds:,.0f} s |", flush=True)
        path.unlink()


def epoch_seconds(folder: Path) -> tuple[float, int]:
    import json

    with open(folder / "history.csv") as f:
        seconds = sorted(float(r["seconds"]) for r in csv.DictReader(f))
    metrics = json.loads((folder / "metrics.json").read_text())
    rows = metrics["data"]["stream"]["train_rows"] if "stream" in metrics["data"] else \
        sum(metrics["data"]["class_counts"]["train"])
    return seconds[len(seconds) // 2], rows


def mnist(data_dir: str, folder: Path, epochs: int) -> None:
    import pandas as pd

    from mlpkit.data import load_dataset

    folder.mkdir(parents=True, exist_ok=True)
    data = load_dataset("mnist", data_dir=data_dir)
    table = pd.DataFrame(data.X_train, columns=data.feature_names)
    table["label"] = data.y_train
    parquet = folder / "mnist.parquet"
    table.to_parquet(parquet, row_group_size=10_000)
    options = ["--engine", "torch", "--hidden", "100", "--batch-size", "128", "--epochs",
               str(epochs), "--quiet", "--threads", "2"]
    runs = {"in memory": ["--dataset", "mnist", "--data-dir", data_dir],
            "streamed Parquet": ["--csv", str(parquet), "--target", "label", "--stream"]}
    results = {}
    for name, data_args in runs.items():
        out = folder / name.replace(" ", "-")
        subprocess.run(MLPKIT + ["train", *data_args, *options, "--out", str(out)], check=True,
                       stdout=subprocess.DEVNULL)
        seconds, rows = epoch_seconds(out)
        results[name] = seconds / rows * 10_000
        print(f"{name}: median epoch {seconds:.2f} s over {rows} rows -> "
              f"{results[name]:.3f} s per 10 000 rows")
    print(f"streamed / in memory: {results['streamed Parquet'] / results['in memory']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["memory", "mnist"])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[100, 1000, 4000])
    parser.add_argument("--dir", default="/tmp/mlpkit-stream-bench")
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    if args.what == "memory":
        memory(sorted(args.sizes_mb), Path(args.dir))
    else:
        mnist(args.data_dir, Path(args.dir), args.epochs)


if __name__ == "__main__":
    main()
