"""The entry of a sweep's worker process (``study.run_workers`` starts ``--jobs`` of them):
``python -m mlpkit.sweep.worker SWEEP_JSON DEADLINE``."""

from __future__ import annotations

import sys

from mlpkit.errors import MlpkitError
from mlpkit.sweep.study import Sweep, stop_requests, work


def worker_main(sweep_json: str, deadline: str) -> int:
    """Train trials until the study is full, the deadline passes or Ctrl-C; exit 0, 2 on an
    error (one line), 130 when stopped at once."""
    with stop_requests(announce=False) as stop:
        try:
            work(Sweep.from_json(sweep_json), float(deadline) if deadline else None, stop)
        except KeyboardInterrupt:
            return 130
        except MlpkitError as exc:
            print(f"mlpkit: error: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(*sys.argv[1:3]))
