"""What a sweep leaves in ``DIR``: ``trials.csv`` (every trial, best first), ``best/`` (an
ordinary run folder: the best trial trained again from its config.toml, its test set scored
once) and ``sweep.html``.

The best trial is the lowest objective (validation error or RMSE), ties broken by the lower
validation loss, then the earlier trial: validation rows only, never the test rows.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

from mlpkit.config import RunConfig
from mlpkit.errors import MlpkitError
from mlpkit.io import atomic
from mlpkit.runs.folder import read_config

BEST = "best"
TRIALS_CSV = "trials.csv"


def finished(study) -> list:
    """The complete trials, best first."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return sorted(trials, key=lambda t: (t.value, _or_inf(t.user_attrs.get("val_loss")),
                                         t.number))


def _or_inf(value: float | None) -> float:
    return math.inf if value is None else value


def table(study) -> list[dict[str, Any]]:
    """One row per trial: complete ones best first, then pruned, then failed; the score, the
    validation loss, epochs, seconds, why it stopped, then the options drawn."""
    order = {t.number: i for i, t in enumerate(finished(study))}
    states = {"COMPLETE": 0, "PRUNED": 1, "RUNNING": 2, "WAITING": 2, "FAIL": 3}
    trials = sorted(study.get_trials(deepcopy=False),
                    key=lambda t: (states[t.state.name], order.get(t.number, 0), t.number))
    rows = []
    for trial in trials:
        attrs = trial.user_attrs
        row = {"trial": trial.number, "state": trial.state.name.lower()}
        for key in ("val_accuracy", "val_r2"):
            if key in attrs:
                row[key] = attrs[key]
        if "val_r2" in attrs and trial.value is not None:
            row["val_rmse"] = trial.value
        row |= {"val_loss": attrs.get("val_loss"), "epochs": attrs.get("epochs"),
                "seconds": attrs.get("seconds"), "stopped": attrs.get("stopped", "")}
        rows.append(row | trial.params)
    return rows


def write_trials_csv(study, out: Path) -> Path:
    import pandas as pd

    path = out / TRIALS_CSV
    trials = table(study)
    frame = pd.DataFrame(trials)
    for name in frame.columns:      # whole numbers stay whole where a trial has none
        values = [r[name] for r in trials if r.get(name) is not None]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            frame[name] = frame[name].astype("Int64")
    atomic.write_text(path, frame.to_csv(index=False))
    return path


def make_best(best_trial, out: Path, progress: bool | None) -> tuple[Path, dict[str, Any]]:
    """``DIR/best``: the best trial trained again from its config (same seed, same split, so
    the same network) by ``mlpkit train``'s own path, which scores the test set, draws the
    plots and writes the report. Skipped when ``best/`` already holds that config. The new
    folder is built beside the old one and swapped in whole."""
    from mlpkit.runs.train import train

    config = RunConfig.from_toml_dict(best_trial.user_attrs["config"])
    best = out / BEST
    if (best / "metrics.json").is_file() and \
            RunConfig.from_toml_dict(read_config(best)) == config:
        return best, _metrics(best)
    staging = out / f".best-{best_trial.number:04d}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        outcome = train(config, out=staging, progress=progress)
        if outcome.metrics is None:
            raise KeyboardInterrupt
        if best.exists():
            old = out / ".best-replaced"
            shutil.rmtree(old, ignore_errors=True)
            best.rename(old)
            shutil.rmtree(old)
        staging.rename(best)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return best, _metrics(best)


def _metrics(folder: Path) -> dict[str, Any]:
    import json

    return json.loads((folder / "metrics.json").read_text())


def same_score(best_trial, metrics: dict[str, Any]) -> bool:
    """Whether the retrained best run reproduced the trial's validation score (it does with
    one thread; several threads may add in another order)."""
    val = metrics.get("val", {})
    trial = best_trial.user_attrs
    key = "accuracy" if "val_accuracy" in trial else "r2"
    recorded = trial.get("val_accuracy" if key == "accuracy" else "val_r2")
    return recorded is not None and key in val and abs(val[key] - recorded) <= 1e-9


def check_any(study) -> None:
    if not finished(study):
        counts: dict[str, int] = {}
        for trial in study.get_trials(deepcopy=False):
            counts[trial.state.name.lower()] = counts.get(trial.state.name.lower(), 0) + 1
        seen = ", ".join(f"{n} {state}" for state, n in counts.items()) or "none"
        raise MlpkitError(f"No trial has finished yet ({seen}); give the sweep more time "
                          "(--timeout) or trials (--trials), or fix the options the failed "
                          "trials report.")
