"""mlpkit's defaults against what a user would write instead, on real tables.

For each table: one fixed train/test split written as two CSV files; then, for seeds 0, 1, 2,
- mlpkit: `mlpkit train --csv train.csv --test-csv test.csv --target T --seed S` (no other
  flag), its test score and training seconds from metrics.json;
- scikit-learn's MLPClassifier / MLPRegressor (defaults) in the pipeline a user writes: a
  ColumnTransformer with median imputation + StandardScaler for numbers and most-frequent
  imputation + OneHotEncoder for text; columns scikit-learn cannot take as they are (dates,
  IDs, free text) are dropped, as that user would;
- a linear model (LogisticRegression / Ridge) in the same pipeline.
Scores are test accuracy (classification) or R² (regression), mean of 3 seeds.

    python benchmarks/real_tables.py [--tables diabetes,cars] [--seeds 3]

The real tables ship inside two small packages (pip install vega_datasets palmerpenguins,
part of the dev extras): vega's `cars` (fuel economy: missing values, a date, text) and
`seattle-weather` (a date column), and Palmer penguins' raw table (dates, IDs, free-text
comments, missing values).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd


def builtin(name: str):
    def load():
        from mlpkit.data import load_dataset

        data = load_dataset(name)
        target = "target"
        train = pd.DataFrame(data.X_train, columns=data.feature_names)
        test = pd.DataFrame(data.X_test, columns=data.feature_names)
        train[target], test[target] = data.y_train, data.y_test
        return train, test, target, []
    return load


def split(frame: pd.DataFrame, target: str, classification: bool, seed: int = 0):
    from sklearn.model_selection import train_test_split

    frame = frame.dropna(subset=[target])
    return train_test_split(frame, test_size=0.2, random_state=seed,
                            stratify=frame[target] if classification else None)


def cars():
    frame = pd.read_json(resources.files("vega_datasets") / "_data" / "cars.json")
    frame["Year"] = frame["Year"].astype(str)
    train, test = split(frame, "Miles_per_Gallon", False)
    return train, test, "Miles_per_Gallon", ["Name", "Year"]


def seattle():
    frame = pd.read_csv(resources.files("vega_datasets") / "_data" / "seattle-weather.csv")
    train, test = split(frame, "weather", True)
    return train, test, "weather", ["date"]


def penguins(target: str, classification: bool):
    def load():
        path = resources.files("palmerpenguins") / "data" / "penguins-raw.csv"
        frame = pd.read_csv(path)
        train, test = split(frame, target, classification)
        return train, test, target, ["Individual ID", "Date Egg", "Comments", "Sample Number"]
    return load


TABLES = {
    "breast_cancer": builtin("breast_cancer"), "wine": builtin("wine"),
    "digits": builtin("digits"), "iris": builtin("iris"), "diabetes": builtin("diabetes"),
    "cars (mpg)": cars, "seattle-weather": seattle,
    "penguins-raw (species)": penguins("Species", True),
    "penguins-raw (body mass)": penguins("Body Mass (g)", False),
}


def mlpkit_run(train_csv: Path, test_csv: Path, target: str, seed: int,
               folder: Path) -> tuple[float, float]:
    out = folder / f"run-{seed}"
    subprocess.run([sys.executable, "-m", "mlpkit", "train", "--csv", str(train_csv),
                    "--test-csv", str(test_csv), "--target", target, "--seed", str(seed),
                    "--quiet", "--out", str(out)], check=True, capture_output=True, text=True)
    metrics = json.loads((out / "metrics.json").read_text())
    test = metrics["test"]
    return test.get("accuracy", test.get("r2")), metrics["run"]["seconds"]


def sklearn_run(train: pd.DataFrame, test: pd.DataFrame, target: str, dropped: list[str],
                classification: bool, seed: int, linear: bool) -> tuple[float, float]:
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = [c for c in train.columns if c != target and c not in dropped]
    prepare = ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         make_column_selector(dtype_include="number")),
        ("text", make_pipeline(SimpleImputer(strategy="most_frequent"),
                               OneHotEncoder(handle_unknown="ignore")),
         make_column_selector(dtype_exclude="number"))])
    if linear:
        model = LogisticRegression(max_iter=2000) if classification else Ridge()
    else:
        model = (MLPClassifier if classification else MLPRegressor)(random_state=seed)
    pipe = make_pipeline(prepare, model)
    started = time.perf_counter()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # ConvergenceWarning at max_iter: its default
        pipe.fit(train[features], train[target])
    seconds = time.perf_counter() - started
    return pipe.score(test[features], test[target]), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", help="comma-separated names (default: all)")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    names = args.tables.split(",") if args.tables else list(TABLES)
    seeds = range(args.seeds)
    print("| table | rows | metric | mlpkit defaults | sklearn MLP pipeline | linear pipeline | "
          "mlpkit s | sklearn MLP s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in names:
        train, test, target, dropped = TABLES[name]()
        from mlpkit.data.tables.in_memory import infer_task

        classification = infer_task(train[target])[0] == "classification"
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            train.to_csv(folder / "train.csv", index=False)
            test.to_csv(folder / "test.csv", index=False)
            ours = [mlpkit_run(folder / "train.csv", folder / "test.csv", target, s, folder)
                    for s in seeds]
        theirs = [sklearn_run(train, test, target, dropped, classification, s, False)
                  for s in seeds]
        linear = sklearn_run(train, test, target, dropped, classification, 0, True)
        metric = "accuracy" if classification else "R²"
        mean = lambda runs, k: float(np.mean([r[k] for r in runs]))   # noqa: E731
        print(f"| {name} | {len(train)}+{len(test)} | {metric} | {mean(ours, 0):.4f} | "
              f"{mean(theirs, 0):.4f} | {linear[0]:.4f} | {mean(ours, 1):.2f} | "
              f"{mean(theirs, 1):.2f} |", flush=True)


if __name__ == "__main__":
    main()
