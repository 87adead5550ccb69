"""mlpkit.MLPClassifier against scikit-learn's MLPClassifier: test accuracy and fit time.

Same splits (mlpkit.data), features standardised in a Pipeline, the same random_state and
the same keyword arguments for both (scikit-learn's names: ``solver``, ``max_iter``; every
other parameter at its default, which is scikit-learn's), for sgd, adam and lbfgs. Each row
is the mean over --seeds seeds (MNIST: --mnist-seeds, at --mnist-max-iter epochs) with its
standard deviation; "noise" says whether mlpkit's mean lies within two standard errors of
the difference from scikit-learn's (each library draws its own initial weights, so the
seeds are not paired).

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
    parser.add_argument("--seeds", type=int, default=10, help="seeds for the small sets")
    parser.add_argument("--mnist-seeds", type=int, default=3, help="seeds for MNIST")
    parser.add_argument("--sets", nargs="+",
                        default=["digits", "breast_cancer", "wine", "mnist"])
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", UserWarning)     # scikit-learn clipping batch_size to n
    sets = {name: {} for name in args.sets if name != "mnist"}
    if args.data_dir and "mnist" in args.sets:
        sets["mnist"] = {"data_dir": args.data_dir}
    print(f"{'dataset':14s} {'solver':9s} {'library':13s} {'accuracy':>8s} {'std':>6s} "
          f"{'fit s':>7s} {'epochs':>6s} {'seeds':>5s} {'noise':>6s}")
    for name, options in sets.items():
        data = load_dataset(name, **options)
        seeds = range(args.mnist_seeds if name == "mnist" else args.seeds)
        max_iter = args.mnist_max_iter if name == "mnist" else args.max_iter
        for solver in SOLVERS:
            reference = None
            for library, make in contenders(solver, max_iter).items():
                accuracy, seconds, epochs = [], [], []
                for seed in seeds:
                    model = make_pipeline(StandardScaler(), make(seed))
                    start = time.perf_counter()
                    model.fit(data.X_train, data.y_train)
                    seconds.append(time.perf_counter() - start)
                    accuracy.append(model.score(data.X_test, data.y_test))
                    epochs.append(model[-1].n_iter_)
                reference = reference or accuracy
                print(f"{name:14s} {solver:9s} {library:13s} {np.mean(accuracy):8.4f} "
                      f"{np.std(accuracy, ddof=1) if len(seeds) > 1 else 0:6.4f} "
                      f"{np.mean(seconds):7.2f} {np.mean(epochs):6.0f} {len(seeds):5d} "
                      f"{within_noise(accuracy, reference):>6s}", flush=True)


def within_noise(ours: list[float], theirs: list[float]) -> str:
    """"yes" when the means differ by at most two standard errors of their difference."""
    if ours is theirs:
        return "-"
    if len(ours) < 2:
        return "?"
    error = np.sqrt(np.var(ours, ddof=1) / len(ours) + np.var(theirs, ddof=1) / len(theirs))
    return "yes" if abs(np.mean(ours) - np.mean(theirs)) <= 2 * max(error, 1e-12) else "no"


if __name__ == "__main__":
    main()
