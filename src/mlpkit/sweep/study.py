"""The study behind ``mlpkit sweep``: Optuna's storage, sampler and pruner, and the workers that
fill it with trials.

The study lives in a database (``DIR/study.db``, SQLite, or ``--storage URL``), so running the
same command again continues it and workers on several machines can fill one study. A study
records the settings it was made with; a command with other data, options or space is refused
rather than mixed in. Each worker draws and trains trials until the study holds ``--trials``
trials or the deadline passes; with one job the trials follow from the seed alone (the sampler
is reseeded from the seed and the trial's number), so the same command gives the same trials.
``--jobs J`` starts J worker processes, each with its share of the cores.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from mlpkit.config import RunConfig
from mlpkit.errors import InvalidInputError, MlpkitError
from mlpkit.sweep.space import SearchSpace

STUDY_DB = "study.db"
FAILURES_IN_A_ROW = 3          # a worker gives up after this many failed trials in a row
STALE_SECONDS = 120            # a RUNNING trial silent this long is failed (its worker died)
RETRIES = 2                    # ... and its options tried again, up to this many times


@dataclass
class Sweep:
    """One ``mlpkit sweep`` command: the base run every trial starts from, the space, the
    budget and where the study lives."""

    base: RunConfig
    space: SearchSpace
    out: Path
    trials: int | None
    timeout: float | None
    jobs: int = 1
    seed: int = 0
    storage: str | None = None
    study_name: str = "mlpkit-sweep"
    stale_after: float = STALE_SECONDS      # with a heartbeat every quarter of it

    @property
    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{(self.out / STUDY_DB).resolve()}"

    def settings(self) -> dict[str, Any]:
        """What makes trials comparable: a study accepts only commands that agree on it (the
        data, the fixed options, the engine and the space; not threads or the device)."""
        run = self.base.to_toml_dict()
        run["run"] = {k: v for k, v in run["run"].items() if k == "engine"}
        return json.loads(json.dumps({"run": run, "space": self.space.to_dict(),
                                      "seed": self.seed}))

    def to_json(self) -> str:
        fields = asdict(self) | {"base": self.base.to_toml_dict(), "out": str(self.out),
                                 "space": self.space.to_dict()}
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str) -> Sweep:
        fields = json.loads(text)
        return cls(**fields | {"base": RunConfig.from_toml_dict(fields["base"]),
                               "out": Path(fields["out"]),
                               "space": SearchSpace.from_tables(fields["space"], "the sweep")})


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)     # the sweep says it in one line
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def open_study(sweep: Sweep):
    """The sweep's study, created on first use; refused when made with other settings."""
    import optuna
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    _quiet_optuna()
    url = sweep.storage_url
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    from sqlalchemy.exc import DBAPIError

    for attempt in range(5):        # workers starting together race to create the tables
        try:
            storage = optuna.storages.RDBStorage(
                url, engine_kwargs=engine,
                heartbeat_interval=max(1, round(sweep.stale_after / 4)),
                grace_period=max(1, round(sweep.stale_after)),
                heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=RETRIES))
            study = optuna.create_study(
                storage=storage, study_name=sweep.study_name, direction="minimize",
                load_if_exists=True,
                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=5))
            break
        except DBAPIError as exc:        # e.g. both create the tables at once
            if attempt == 4:
                raise InvalidInputError(f"Cannot open the study storage {url!r} "
                                        f"({str(exc).splitlines()[0]}); check --storage.") \
                    from None
            time.sleep(0.5 + random.random())
        except (ImportError, ValueError) as exc:
            raise InvalidInputError(f"Cannot open the study storage {url!r} ({exc}); check "
                                    "--storage (e.g. sqlite:///path/study.db or "
                                    "postgresql://user@host/db).") from None
    settings, recorded = sweep.settings(), study.user_attrs.get("settings")
    if recorded is None:
        study.set_user_attr("settings", settings)
    elif recorded != settings:
        raise InvalidInputError(
            f"The study {sweep.study_name!r} in {_where(sweep)} was made with other settings "
            f"({_difference(recorded, settings)}); run the same command as before, or choose "
            "another --out (or --study-name).")
    return study


def _where(sweep: Sweep) -> str:
    return f"'{sweep.out / STUDY_DB}'" if sweep.storage is None else repr(sweep.storage)


def _difference(old: dict, new: dict, prefix: str = "") -> str:
    """The first setting that differs, as 'train.lr: 0.01 then, 0.1 now'."""
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            found = _difference(a, b, f"{prefix}{key}.")
            if found:
                return found
        elif a != b:
            return f"{prefix}{key}: {a!r} then, {b!r} now"
    return ""


def counted(study) -> int:
    """Trials that count towards --trials: finished, pruned or running (failed ones are
    tried again)."""
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED,
                                                        TrialState.RUNNING)))


def _sampler(sweep: Sweep, number: int):
    """TPE, seeded by the sweep's seed and the trial's number: the same study history and
    seed give the same draw, however often the sweep was stopped and continued. Where several
    processes fill the study (--jobs, --storage) each adds its process id, or two of them
    would draw the same options."""
    import optuna

    salt = 0 if sweep.jobs == 1 and sweep.storage is None else os.getpid()
    return optuna.samplers.TPESampler(seed=(sweep.seed * 1_000_003 + number + salt * 7919)
                                      % 2**32, multivariate=True, group=True, constant_liar=True)


class StopRequest:
    """Ctrl-C once: finish the running trials, start no new one. Twice (or SIGTERM): stop
    now (the running trial is recorded as failed and tried again next time)."""

    def __init__(self) -> None:
        self.requested = False
        self.on_first: list = []

    def handle(self, signum, frame) -> None:
        if signum == signal.SIGINT and not self.requested:
            self.requested = True
            for action in self.on_first:
                action()
            return
        raise KeyboardInterrupt


@contextmanager
def stop_requests(announce: bool) -> Iterator[StopRequest]:
    request = StopRequest()
    if announce:
        request.on_first.append(lambda: print(
            "mlpkit: stopping after the running trials (Ctrl-C again to stop now)",
            file=sys.stderr, flush=True))
    previous = {s: signal.signal(s, request.handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def work(sweep: Sweep, deadline: float | None, stop: StopRequest, data=None) -> None:
    """One worker: train trials until the study is full, the deadline passes or a stop is
    requested. Trials whose options the engines refuse are failed (and said); after
    FAILURES_IN_A_ROW in a row the worker gives up with the last error."""
    import optuna

    from mlpkit.data import load_dataset
    from mlpkit.sweep.trial import run_trial

    study = open_study(sweep)
    optuna.storages.fail_stale_trials(study)
    if data is None:
        data = load_dataset(sweep.base.dataset, **sweep.base.dataset_options)
    failures: list[str] = []

    def objective(trial) -> float:
        try:
            return run_trial(trial, sweep.base, sweep.space, data, sweep.out, deadline)
        except MlpkitError as exc:
            failures.append(str(exc))
            raise

    def said(study, frozen) -> None:
        failed = frozen.state == optuna.trial.TrialState.FAIL
        print(describe(frozen, failures[-1] if failed and failures else ""), flush=True)
        if not failed:
            failures.clear()

    while not stop.requested and (deadline is None or time.time() < deadline):
        if sweep.trials is not None and counted(study) >= sweep.trials:
            break
        study.sampler = _sampler(sweep, len(study.get_trials(deepcopy=False)))
        study.optimize(objective, n_trials=1, catch=(MlpkitError,), callbacks=[said])
        if len(failures) >= FAILURES_IN_A_ROW:
            raise MlpkitError(f"{len(failures)} trials in a row failed; the last: "
                              f"{failures[-1]}")


def describe(frozen, failure: str = "") -> str:
    """One line per finished trial, as the sweep prints it."""
    attrs, state = frozen.user_attrs, frozen.state.name.lower()
    params = " ".join(f"{k}={_short(v)}" for k, v in frozen.params.items())
    if state == "complete":
        score = f"val accuracy {attrs['val_accuracy']:.4f}" if "val_accuracy" in attrs \
            else f"val RMSE {frozen.value:.4g}"
        head = f"{score} in {attrs.get('epochs')} epochs, {attrs.get('seconds', 0):.1f} s"
    elif state == "pruned":
        head = attrs.get("stopped", "pruned")
    else:
        head = f"failed: {failure}" if failure else "failed"
    return f"trial {frozen.number:3d}: {head}  [{params}]"


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def run_workers(sweep: Sweep, deadline: float | None, stop: StopRequest) -> list[int]:
    """``--jobs J`` worker processes (each in its own session: a Ctrl-C reaches them through
    this process, once), each limited to its share of the cores. Returns their exit codes."""
    threads = sweep.base.threads or max(1, (os.cpu_count() or 1) // sweep.jobs)
    worker = replace(sweep, base=sweep.base.with_options({"threads": threads}))
    env = os.environ | {name: str(threads) for name in (
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    arguments = [sys.executable, "-m", "mlpkit.sweep.worker", worker.to_json(),
                 "" if deadline is None else repr(deadline)]
    processes = [subprocess.Popen(arguments, env=env, start_new_session=True)
                 for _ in range(sweep.jobs)]

    def forward() -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)

    stop.on_first.append(forward)
    try:
        return [process.wait() for process in processes]
    except KeyboardInterrupt:             # the second Ctrl-C: stop the workers now
        forward()
        for process in processes:
            process.wait()
        raise
