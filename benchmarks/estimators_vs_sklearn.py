"""mlpkit.MLPClassifier against scikit-learn's MLPClassifier: test accuracy and fit time.

Same splits (mlpkit.data), features standardised in a Pipeline, the same random_state and
the same keyword arguments for both (scikit-learn's names: ``solver``, ``max_iter``; every
other parameter at its default, which is scikit-learn's), for sgd, adam and lbfgs. The small
sets are averaged over --seeds seeds; MNIST gets the first seed and --mnist-max-iter epochs.

    python benchmarks/estimators_vs_sklearn.py --data-dir ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlpkit import MLPClassifier
from mlpkit.data import load_dataset

SOLVERS = ("sgd", "adam", "lbfgs")


def contenders(solver: str, max_iter: int):
    """The same keyword arguments for both libraries: scikit-learn's names and defaults."""
    params = {"solver": solver, "max_iter": max_iter}
    return {
        "scikit-learn": lambda seed: SklearnMLP(random_state=seed, **params),
        "mlpkit numpy": lambda seed: MLPClassifier(random_state=seed, **params),
        "mlpkit torch": lambda seed: MLPClassifier(engine="torch", device="cpu",
                                                   random_state=seed, **params),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="MNIST folder; MNIST is skipped without it")
    parser.add_argument("--max-iter", type=int, default=200, help="max_iter (both libraries)")
    parser.add_argument("--mnist-max-iter", type=int, default=20, help="max_iter on MNIST")
    parser.add_argument("--seeds", type=int, default=3, help="seeds for the small sets")
    parser.add_argument("--sets", nargs="+", default=["digits", "breast_cancer", "mnist"])
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", UserWarning)     # scikit-learn clipping batch_size to n
    sets = {name: {} for name in args.sets if name != "mnist"}
    if args.data_dir and "mnist" in args.sets:
        sets["mnist"] = {"data_dir": args.data_dir}
    print(f"{'dataset':14s} {'solver':9s} {'library':13s} {'accuracy':>8s} {'fit s':>7s} "
          f"{'epochs':>6s} {'seeds':>5s}")
    for name, options in sets.items():
        data = load_dataset(name, **options)
        seeds = range(1 if name == "mnist" else args.seeds)
        max_iter = args.mnist_max_iter if name == "mnist" else args.max_iter
        for solver in SOLVERS:
            makers = contenders(solver, max_iter)
            for library, make in makers.items():
                accuracy, seconds, epochs = [], [], []
                for seed in seeds:
                    model = make_pipeline(StandardScaler(), make(seed))
                    start = time.perf_counter()
                    model.fit(data.X_train, data.y_train)
                    seconds.append(time.perf_counter() - start)
                    accuracy.append(model.score(data.X_test, data.y_test))
                    epochs.append(model[-1].n_iter_)
                print(f"{name:14s} {solver:9s} {library:13s} {np.mean(accuracy):8.4f} "
                      f"{np.mean(seconds):7.2f} {np.mean(epochs):6.0f} {len(seeds):5d}",
                      flush=True)


if __name__ == "__main__":
    main()
