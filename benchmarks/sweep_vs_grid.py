"""What a time budget buys: `mlpkit sweep` against mlpkit's defaults and against scikit-learn's
GridSearchCV over its MLP, on one data set, side by side in one run (RESULTS.md, "Sweep").

    python benchmarks/sweep_vs_grid.py --dataset digits --budget 600
    python benchmarks/sweep_vs_grid.py --dataset fashion-mnist \
        --data-dir ../shared/data/fashion-mnist

Each contender gets the whole machine (--jobs processes, one thread each) in turn:
1. defaults: `mlpkit train --dataset D` (no tuning flag);
2. sweep: `mlpkit sweep --dataset D --timeout BUDGET --jobs J` (the wall time printed includes
   training the best trial again for best/ and its test score);
3. grid: GridSearchCV(StandardScaler + MLPClassifier, cv=3, n_jobs=J) over a grid sized to
   take about the budget on this machine (GridSearchCV cannot stop at a deadline; its wall
   time is printed), refit on all training rows.
Test accuracy is on each data set's own test split, scored once per contender.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

GRIDS = {      # sized to about 10 minutes on the 2-core build machine (times: RESULTS.md)
    "digits": {"mlp__hidden_layer_sizes": [(64,), (128,), (256,), (512,), (128, 64),
                                           (256, 128), (512, 256), (256, 256, 128)],
               "mlp__activation": ["relu", "tanh"],
               "mlp__alpha": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
               "mlp__learning_rate_init": [1e-3, 3e-3, 1e-2],
               "mlp__batch_size": [32, 64, 200]},
    "fashion-mnist": {"mlp__hidden_layer_sizes": [(100,), (256,), (512,), (256, 128)],
                      "mlp__alpha": [1e-4, 1e-3, 1e-2],
                      "mlp__learning_rate_init": [1e-3, 2e-3]},
}


def mlpkit(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mlpkit", *args], capture_output=True,
                          text=True, check=True)
    return time.perf_counter() - started, done.stdout


def test_accuracy(folder: Path) -> float:
    return json.loads((folder / "metrics.json").read_text())["test"]["accuracy"]


def grid_search(dataset: str, data_options: dict, jobs: int) -> dict:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from mlpkit.data import load_dataset

    data = load_dataset(dataset, **data_options)
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("mlp", MLPClassifier(max_iter=200, early_stopping=True,
                                               random_state=0))])
    search = GridSearchCV(pipeline, GRIDS[dataset], cv=3, n_jobs=jobs)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(data.X_train, data.y_train)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "candidates": len(search.cv_results_["params"]),
            "best": {k.removeprefix("mlp__"): v for k, v in search.best_params_.items()},
            "test_accuracy": float(search.score(data.X_test, data.y_test))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits", choices=sorted(GRIDS))
    parser.add_argument("--data-dir")
    parser.add_argument("--budget", type=float, default=600)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip", nargs="*", default=[], choices=["defaults", "sweep", "grid"])
    args = parser.parse_args()
    data_args = ["--dataset", args.dataset] + (["--data-dir", args.data_dir]
                                               if args.data_dir else [])
    work = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    results: dict[str, dict] = {}
    if "defaults" not in args.skip:
        seconds, _ = mlpkit("train", *data_args, "--quiet", "--out", str(work / "defaults"))
        results["defaults"] = {"seconds": seconds,
                               "test_accuracy": test_accuracy(work / "defaults")}
        print("defaults", results["defaults"], flush=True)
    if "sweep" not in args.skip:
        seconds, out = mlpkit("sweep", *data_args, "--timeout", str(args.budget), "--jobs",
                              str(args.jobs), "--quiet", "--out", str(work / "sweep"))
        trials = (work / "sweep" / "trials.csv").read_text().splitlines()[1:]
        states = [line.split(",")[1] for line in trials]
        results["sweep"] = {"seconds": seconds, "trials": len(trials),
                            "complete": states.count("complete"),
                            "pruned": states.count("pruned"),
                            "best": trials[0].split(",")[7:],
                            "test_accuracy": test_accuracy(work / "sweep" / "best")}
        print("sweep", results["sweep"], flush=True)
    if "grid" not in args.skip:
        options = {"data_dir": args.data_dir} if args.data_dir else {}
        results["grid"] = grid_search(args.dataset, options, args.jobs)
        print("grid", results["grid"], flush=True)
    print(f"\n| {args.dataset} | test accuracy | wall time (s) | searched |")
    print("|---|---|---|---|")
    for name, row in results.items():
        searched = {"defaults": "-", "sweep": f"{row.get('trials')} trials "
                    f"({row.get('complete')} finished, {row.get('pruned')} pruned)",
                    "grid": f"{row.get('candidates')} candidates x 3 folds"}[name]
        print(f"| {name} | {row['test_accuracy']:.4f} | {row['seconds']:.0f} | {searched} |")
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
