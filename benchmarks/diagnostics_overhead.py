"""The cost of the per-layer statistics (diagnostics/statistics.py) on an MNIST epoch.

    python benchmarks/diagnostics_overhead.py --data-dir ../shared/data/mnist --engine numpy
    python benchmarks/diagnostics_overhead.py --data-dir ../shared/data/mnist --engine torch

The README's MNIST recipe network (784-512-256-10 ReLU, dropout 0.2, Adam, batch 128) trains
one epoch at a time with and without the ``LayerStatistics`` callback, alternating, in one
process; the overhead is the ratio of the median epoch times minus one (goal: at most 5 %).
"""

from __future__ import annotations

import argparse
import statistics
import time

from mlpkit.config import RunConfig, TrainConfig
from mlpkit.data import load_dataset
from mlpkit.diagnostics.statistics import layer_statistics
from mlpkit.training.session import Session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--engine", default="numpy", choices=["numpy", "torch"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = load_dataset("mnist", data_dir=args.data_dir)
    run = RunConfig(dataset="mnist", hidden=(512, 256), dropout=0.2, engine=args.engine,
                    train=TrainConfig(epochs=1, batch_size=128, optimizer="adam", lr=1e-3,
                                      val_fraction=0.0))
    session = Session(run, data.schema())
    split = session.prepare(data.X_train, data.y_train)
    probe = layer_statistics(session, split)          # 60 000 rows: every epoch probed
    inside: list[float] = []
    measure = probe.on_epoch_end

    def timed(state, record) -> None:       # the callback's own time, epoch by epoch
        started = time.perf_counter()
        measure(state, record)
        inside.append(time.perf_counter() - started)

    probe.on_epoch_end = timed
    times: dict[str, list[float]] = {"without": [], "with": []}
    session.fit(split, epochs=1)                       # warm-up
    for repeat in range(args.repeats):
        pair = [("without", []), ("with", [probe])]
        for name, callbacks in pair if repeat % 2 == 0 else pair[::-1]:
            started = time.perf_counter()
            session.fit(split, callbacks, epochs=len(session.history) + 1)
            times[name].append(time.perf_counter() - started)
    print({k: [round(t, 3) for t in v] for k, v in times.items()})
    without, with_ = statistics.median(times["without"]), statistics.median(times["with"])
    print(f"engine {args.engine}: epoch {without:.3f} s without, {with_:.3f} s with the "
          f"statistics (median of {args.repeats}, alternating): {with_ / without - 1:+.1%}; "
          f"time inside the callback {statistics.median(inside):.4f} s a epoch = "
          f"{statistics.median(inside) / without:.2%} of an epoch")


if __name__ == "__main__":
    main()
