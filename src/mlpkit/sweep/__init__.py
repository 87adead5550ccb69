"""``mlpkit sweep``: hyperparameter search with Optuna over ordinary mlpkit training runs.

``run_sweep`` checks the command, fills the study with trials (``study.py``: in this process,
or ``--jobs`` worker processes), then writes the results (``results.py``): ``trials.csv``,
``best/`` and ``sweep.html``. The pieces: ``space.py`` (what is searched), ``trial.py`` (one
trial, scored on validation rows).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpkit.errors import InvalidInputError, InvalidParameterError
from mlpkit.sweep.space import SearchSpace
from mlpkit.sweep.study import Sweep, counted, open_study, run_workers, stop_requests

DEFAULT_TRIALS = 50           # when neither --trials nor --timeout is given
MARK = ".mlpkit-sweep"        # a sweep folder, which a later command may continue


@dataclass
class SweepOutcome:
    out: Path
    trials: int                   # in the study now
    new: int                      # added by this command
    best_number: int
    best: Path
    best_metrics: dict[str, Any]
    reproduced: bool              # best/ retrained to the trial's own validation score
    report: Path
    stopped: bool                 # Ctrl-C: stopped after the running trials


def check(sweep: Sweep) -> None:
    """The checks that need no data: budget, jobs, and a validation set to score on."""
    if sweep.timeout is not None and not sweep.timeout > 0:
        raise InvalidParameterError(f"--timeout must be more than 0 seconds, got "
                                    f"{sweep.timeout:g}.")
    if sweep.trials is not None and sweep.trials < 1:
        raise InvalidParameterError(f"--trials must be 1 or more, got {sweep.trials}.")
    if sweep.jobs < 1:
        raise InvalidParameterError(f"--jobs must be 1 or more, got {sweep.jobs}.")
    if not sweep.base.train.val_fraction > 0:
        raise InvalidParameterError("A sweep scores its trials on validation rows; "
                                    "--val-fraction must be more than 0 (default 0.2).")
    if sweep.out.exists() and not sweep.out.is_dir():
        raise InvalidInputError(f"'{sweep.out}' is a file; choose another --out.")
    if sweep.out.is_dir() and any(sweep.out.iterdir()) and not (sweep.out / MARK).exists():
        raise InvalidInputError(f"'{sweep.out}' holds other files and no sweep; choose another "
                                "--out (a sweep folder is continued, never anything else).")


def run_sweep(sweep: Sweep, command: str, progress: bool | None = None) -> SweepOutcome:
    """Run (or continue) the sweep, then write trials.csv, best/ and sweep.html."""
    from mlpkit.data import load_dataset
    from mlpkit.sweep import results
    from mlpkit.sweep.study import work
    from mlpkit.viz.sweep_report import build_sweep_report

    if sweep.trials is None and sweep.timeout is None:
        sweep.trials = DEFAULT_TRIALS
    check(sweep)
    data = load_dataset(sweep.base.dataset, **sweep.base.dataset_options)   # fails early
    fresh = not sweep.out.exists()
    sweep.out.mkdir(parents=True, exist_ok=True)
    try:
        study = open_study(sweep)
    except BaseException:
        if fresh:
            shutil.rmtree(sweep.out, ignore_errors=True)
        raise
    (sweep.out / MARK).touch()
    before = len(study.get_trials(deepcopy=False))
    if not before:                  # the first trial: what `mlpkit train` would do
        from mlpkit.sweep.trial import training_rows

        study.enqueue_trial(sweep.space.starting_point(sweep.base,
                                                       training_rows(data, sweep.base)),
                            skip_if_exists=True)
    if sweep.trials is not None and counted(study) >= sweep.trials:
        print(f"The study already holds {counted(study)} trials (--trials {sweep.trials}); "
              "pass a larger --trials, or --timeout, to continue it.")
    deadline = None if sweep.timeout is None else time.time() + sweep.timeout
    with stop_requests(announce=True) as stop:
        if sweep.jobs == 1:
            work(sweep, deadline, stop, data)
        else:
            del data                       # the workers load their own
            run_workers(sweep, deadline, stop)
        results.check_any(study)
        results.write_trials_csv(study, sweep.out)
        best_trial = results.finished(study)[0]
        best, metrics = results.make_best(best_trial, sweep.out, progress)
        rows = results.table(study)
        report = build_sweep_report(sweep.out, study, rows, best, metrics, command)
    total = len(study.get_trials(deepcopy=False))
    return SweepOutcome(sweep.out, total, total - before, best_trial.number, best, metrics,
                        results.same_score(best_trial, metrics), report, stop.requested)


__all__ = ["SearchSpace", "Sweep", "SweepOutcome", "run_sweep"]
