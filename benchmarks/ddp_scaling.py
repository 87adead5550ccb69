"""Throughput of 1 and 2 processes (DDP, gloo on the CPU) through ``mlpkit train``.

Two networks: one where compute dominates (MNIST 784-1024-1024-10, batch 128 and 1024) and the
classic walk-through's 2-2-4 sigmoid network (blobs, full batch), where it cannot pay. Each
setting is a real ``mlpkit train`` run; throughput is training rows per second from the median
of the history's per-epoch seconds after the first (validation off). Prints a Markdown table
and the bytes DDP all-reduces per step (the gradients: 4 bytes per parameter).

    python benchmarks/ddp_scaling.py --data-dir ../shared/data/mnist
    python benchmarks/ddp_scaling.py --data-dir ../shared/data/mnist --device cuda   # NCCL
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TORCHRUN = ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "1"]
SETTINGS_CPU = [("1 process, 1 thread", [], ["--threads", "1"]),
                ("1 process, 2 threads", [], ["--threads", "2"]),
                ("2 processes, 1 thread each", [], ["--nproc", "2"])]
SETTINGS_GPU = [("1 process", [], []), ("torchrun, 1 rank (DDP over NCCL)", TORCHRUN, [])]


def networks(data_dir: str | None, epochs: int) -> list[tuple[str, list[str]]]:
    found = []
    for batch in ("128", "1024") if data_dir else ():
        found.append((f"MNIST 784-1024-1024-10, batch {batch}",
                      ["--dataset", "mnist", "--data-dir", data_dir, "--hidden", "1024", "1024",
                       "--activation", "relu", "--batch-size", batch, "--epochs", str(epochs)]))
    found.append(("walk-through 2-2-4 sigmoid, blobs, full batch",
                  ["--dataset", "blobs", "--hidden", "2", "--activation", "sigmoid",
                   "--batch-size", "full", "--epochs", "300"]))
    return found


def measure(launcher: list[str], args: list[str], folder: Path) -> tuple[float, int, int]:
    """(median seconds per epoch after the first, training rows, parameters)."""
    result = subprocess.run([sys.executable, *launcher, "-m", "mlpkit", "train", *args,
                             "--engine", "torch",
                             "--optimizer", "sgd", "--lr", "0.01", "--val-fraction", "0",
                             "--quiet", "--out", str(folder)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    with open(folder / "history.csv") as f:
        seconds = [float(row["seconds"]) for row in csv.DictReader(f)]
    metrics = json.loads((folder / "metrics.json").read_text())
    rows = metrics["train"]["n_samples"]
    return statistics.median(seconds[1:]), rows, metrics["run"]["parameters"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="MNIST files (the compute-bound row)")
    parser.add_argument("--epochs", type=int, default=3, help="MNIST epochs per setting")
    parser.add_argument("--device", default="cpu", help="cpu (gloo) or cuda (NCCL)")
    options = parser.parse_args()
    settings = SETTINGS_CPU if options.device == "cpu" else SETTINGS_GPU
    print("| network | setting | s/epoch | rows/s | speed-up | all-reduced per step |")
    print("| --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for n, (name, args) in enumerate(networks(options.data_dir, options.epochs)):
            base = None
            for k, (setting, launcher, extra) in enumerate(settings):
                seconds, rows, parameters = measure(
                    launcher, [*args, *extra, "--device", options.device], Path(tmp) / f"{n}-{k}")
                base = base or seconds
                print(f"| {name} | {setting} | {seconds:.4g} | {rows / seconds:,.0f} | "
                      f"{base / seconds:.2f}x | {parameters * 4 / 1e6:.3g} MB |", flush=True)


if __name__ == "__main__":
    main()
