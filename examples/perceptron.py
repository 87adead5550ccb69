"""The perceptron on linearly separable blobs: errors per epoch, decision regions, and the
zero-initialisation experiment (with zero weights the learning rate only scales w).

    python examples/perceptron.py [--out runs/examples]
"""

import argparse
import math
from pathlib import Path

import numpy as np

from mlpkit.classic import Perceptron
from mlpkit.data import Standardizer, load_dataset
from mlpkit.viz.plots import plot_decision_regions, plot_series


def angle(a: np.ndarray, b: np.ndarray) -> float:
    cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    return math.degrees(math.acos(np.clip(cosine, -1.0, 1.0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    data = load_dataset("blobs", centers=2, cluster_std=0.8, random_state=1)   # separable
    scaler = Standardizer.fit(data.X_train)
    X, X_test = scaler.transform(data.X_train), scaler.transform(data.X_test)
    model = Perceptron(learning_rate=0.1, n_iter=args.epochs).fit(X, data.y_train)
    print("updates per epoch:", model.errors_)
    print(f"test accuracy: {model.score(X_test, data.y_test):.1%}")
    plot_series({"updates": model.errors_}, out / "perceptron_errors.png", "updates")
    plot_decision_regions(model.predict, X_test, data.y_test, data.class_names,
                          out / "perceptron_regions.png", title="perceptron")

    zero = [Perceptron(learning_rate=lr, n_iter=args.epochs, init="zeros").fit(X, data.y_train)
            for lr in (0.0001, 1.0)]
    small = [Perceptron(learning_rate=lr, n_iter=args.epochs).fit(X, data.y_train)
             for lr in (0.0001, 1.0)]
    print(f"zero init: angle between w (lr 0.0001) and w (lr 1) = "
          f"{angle(zero[0].w_, zero[1].w_):.2f} degrees; ratio of norms "
          f"{np.linalg.norm(zero[1].w_) / np.linalg.norm(zero[0].w_):.1f}")
    print(f"random init: angle = {angle(small[0].w_, small[1].w_):.2f} degrees")


if __name__ == "__main__":
    main()
