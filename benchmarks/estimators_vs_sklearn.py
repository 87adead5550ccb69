"""mlpkit.MLPClassifier against scikit-learn's MLPClassifier: test accuracy and fit time.

Same splits (mlpkit.data), features standardised in a Pipeline, the same random_state for
both. "defaults": each library's own defaults. "matched": (100,) ReLU, Adam 1e-3, batch 200,
no L2, exactly the same number of epochs (no convergence stop). The small sets are averaged
over --seeds seeds (one test sample of wine is 2.8 %); MNIST gets the first seed only.

    python benchmarks/estimators_vs_sklearn.py --data-dir ../shared/data/mnist --seeds 5
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


def contenders(epochs: int):
    return {
        "defaults": {
            "scikit-learn": lambda seed: SklearnMLP(random_state=seed),
            "mlpkit numpy": lambda seed: MLPClassifier(random_state=seed),
            "mlpkit torch": lambda seed: MLPClassifier(engine="torch", device="cpu",
                                                       random_state=seed),
        },
        "matched": {
            "scikit-learn": lambda seed: SklearnMLP(alpha=0.0, batch_size=200, max_iter=epochs,
                                                    n_iter_no_change=epochs + 1, tol=0.0,
                                                    random_state=seed),
            "mlpkit numpy": lambda seed: MLPClassifier(batch_size=200, max_epochs=epochs,
                                                       tol=None, random_state=seed),
            "mlpkit torch": lambda seed: MLPClassifier(engine="torch", device="cpu",
                                                       batch_size=200, max_epochs=epochs,
                                                       tol=None, random_state=seed),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="MNIST folder; MNIST is skipped without it")
    parser.add_argument("--epochs", type=int, default=30, help="epochs for 'matched'")
    parser.add_argument("--seeds", type=int, default=5, help="seeds for the small sets")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", UserWarning)     # scikit-learn clipping batch_size to n
    sets = {name: {} for name in ("digits", "breast_cancer", "wine")}
    if args.data_dir:
        sets["mnist"] = {"data_dir": args.data_dir}
    print(f"{'dataset':14s} {'settings':9s} {'library':13s} {'accuracy':>8s} {'fit s':>7s} "
          f"{'epochs':>6s} {'seeds':>5s}")
    for name, options in sets.items():
        data = load_dataset(name, **options)
        seeds = range(1 if name == "mnist" else args.seeds)
        for settings, makers in contenders(args.epochs).items():
            for library, make in makers.items():
                accuracy, seconds, epochs = [], [], []
                for seed in seeds:
                    model = make_pipeline(StandardScaler(), make(seed))
                    start = time.perf_counter()
                    model.fit(data.X_train, data.y_train)
                    seconds.append(time.perf_counter() - start)
                    accuracy.append(model.score(data.X_test, data.y_test))
                    epochs.append(model[-1].n_iter_)
                print(f"{name:14s} {settings:9s} {library:13s} {np.mean(accuracy):8.4f} "
                      f"{np.mean(seconds):7.2f} {np.mean(epochs):6.0f} {len(seeds):5d}",
                      flush=True)


if __name__ == "__main__":
    main()
