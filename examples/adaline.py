"""Adaline: full-batch gradient descent with two learning rates (one diverges), stochastic
gradient descent with shuffling, and online learning with partial_fit.

    python examples/adaline.py [--out runs/examples]
"""

import argparse
from pathlib import Path

from mlpkit.classic import AdalineGD, AdalineSGD
from mlpkit.data import Standardizer, load_dataset
from mlpkit.viz.plots import plot_series


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    data = load_dataset("blobs", n_samples=600, centers=2, random_state=3)
    scaler = Standardizer.fit(data.X_train)
    X, X_test = scaler.transform(data.X_train), scaler.transform(data.X_test)
    fast = AdalineGD(learning_rate=1.0, n_iter=args.epochs).fit(X, data.y_train)
    slow = AdalineGD(learning_rate=0.1, n_iter=args.epochs).fit(X, data.y_train)
    print(f"AdalineGD lr 1.0: loss {fast.losses_[0]:.3g} -> {fast.losses_[-1]:.3g} (diverges)")
    print(f"AdalineGD lr 0.1: loss {slow.losses_[0]:.3g} -> {slow.losses_[-1]:.3g}; "
          f"test accuracy {slow.score(X_test, data.y_test):.1%}")
    plot_series({"lr 1.0": fast.losses_, "lr 0.1": slow.losses_}, out / "adaline_rates.png",
                "mean squared error", log=True)

    half = len(X) // 2
    sgd = AdalineSGD(learning_rate=0.01, n_iter=args.epochs, random_state=1)
    sgd.fit(X[:half], data.y_train[:half])
    print(f"AdalineSGD: loss {sgd.losses_[0]:.3g} -> {sgd.losses_[-1]:.3g}; test accuracy "
          f"{sgd.score(X_test, data.y_test):.1%} after {half} examples")
    for xi, yi in zip(X[half:], data.y_train[half:]):      # a stream of new examples
        sgd.partial_fit(xi, yi)
    print(f"after partial_fit on {len(X) - half} more examples: test accuracy "
          f"{sgd.score(X_test, data.y_test):.1%}")


if __name__ == "__main__":
    main()
