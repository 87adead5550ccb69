"""A rank of a 2-process run whose callbacks disagree on purpose: only rank 1 asks to stop,
after epoch 3. Each rank writes the epochs it trained to OUT/rank<r>.json. Started by
``launcher.launch`` from test_distributed.py."""

import json
import os
import sys
from pathlib import Path

import numpy as np

from mlpkit.config import RunConfig
from mlpkit.data.schema import Schema
from mlpkit.torch_engine import distributed
from mlpkit.training.callbacks import Callback
from mlpkit.training.session import Session


class StopOnRankOne(Callback):
    def __init__(self, rank: int) -> None:
        self.rank = rank

    def on_epoch_end(self, state, record) -> None:
        if self.rank == 1 and record["epoch"] == 3:
            state.stop_training = True


def main(out: Path) -> None:
    group = distributed.join("cpu")
    X = np.random.default_rng(0).normal(size=(200, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    run = RunConfig().with_options({"engine": "torch", "epochs": 10, "batch_size": 16})
    session = Session(run, Schema("classification", ["a", "b", "c"], ["0", "1"]), group=group)
    state = session.fit(session.prepare(X, y), [StopOnRankOne(group.rank)])
    (out / f"rank{group.rank}.json").write_text(json.dumps({"epochs": len(state.history)}))
    distributed.leave(group)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
    os._exit(0)          # as `python -m mlpkit` does on a rank: no finalisation (gloo threads)
