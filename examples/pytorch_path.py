"""The PyTorch refactoring path: one network trained six ways, each stage computing the same
loss curve (raw tensors -> F.cross_entropy -> nn.Parameter -> nn.Linear -> torch.optim ->
nn.Sequential). The same as `mlpkit progression`.

    python examples/pytorch_path.py [--epochs 1000]
"""

import argparse

from mlpkit.classic.progression import progression, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    folder, results = progression("blobs", hidden=(2,), activation="sigmoid", lr=0.2,
                                  epochs=args.epochs, device="auto", out=args.out)
    print(table(results))
    print(f"curves in {folder}")


if __name__ == "__main__":
    main()
