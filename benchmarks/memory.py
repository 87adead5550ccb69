"""Peak resident memory of a MNIST training run, per engine, in a fresh process each.

Runs `mlpkit train` on MNIST (784-100-10, batch 128) for 1 and for 5 epochs: equal peaks show
that nothing is copied per epoch. The data itself is 219 MB as float32 (60 000 + 10 000
images x 784).

    python benchmarks/memory.py --data-dir ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile


def child(engine: str, epochs: int, data_dir: str) -> None:
    from mlpkit.cli import main

    with tempfile.TemporaryDirectory() as out:
        main(["train", "--dataset", "mnist", "--data-dir", data_dir, "--hidden", "100",
              "--batch-size", "128", "--epochs", str(epochs), "--engine", engine, "--quiet",
              "--out", f"{out}/run"])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)   # KiB -> MiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "EPOCHS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.data_dir)
        return
    print(f"{'engine':8s} {'epochs':>6s} {'peak RSS (MiB)':>15s}")
    for engine in ("numpy", "torch"):
        for epochs in (1, 5):
            out = subprocess.run([sys.executable, __file__, "--data-dir", args.data_dir,
                                  "--child", engine, str(epochs)], capture_output=True, text=True,
                                 check=True)
            print(f"{engine:8s} {epochs:6d} {int(out.stdout.split()[-1]):15d}")


if __name__ == "__main__":
    main()
