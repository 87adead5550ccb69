"""The page's trainer: one thread that owns the session, trains it through the one loop and
publishes the latest state; the page only sends commands and draws.

The run is ``runs.train.start`` + ``Session.fit`` — the same assembly as ``mlpkit train``. A
callback (``Live``) is the page's hand on the loop: after every optimizer step and epoch it
applies live settings, publishes the weights (at most 60 times a second: drawing never slows
training), holds the loop while paused (so "step" is exactly one batch or one epoch) and ends
the fit on a reset. Every use of the network happens on this thread; the server's threads
read only the published ``Snapshot``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mlpkit.diagnostics.statistics import layer_statistics
from mlpkit.errors import MlpkitError
from mlpkit.playground import actions
from mlpkit.playground.data import Canvas, load
from mlpkit.playground.frames import make_view
from mlpkit.playground.settings import FOREVER, Settings
from mlpkit.runs.train import start
from mlpkit.training.callbacks import Callback

PUBLISH_EVERY = 1 / 60      # seconds between published weights while training runs
FRAMES_PER_SECOND = 30      # the speed setting's unit: epochs per frame
DOCTOR_EVERY = 0.5          # seconds between the live doctor's looks


@dataclass(frozen=True)
class Snapshot:
    """What the page draws, as of one moment: everything immutable or append-only."""

    version: int
    build: int                          # which network (a reset makes a new one)
    weights: dict[str, np.ndarray]
    epoch: int
    batches: int
    running: bool
    finished: str | None                # why training ended, if it did
    curve: list      # per epoch: train/test loss and score (append-only: read [:epoch])
    findings: list = field(default_factory=list)
    error: str | None = None


class Worker:
    """The training thread and its commands (``send``)."""

    def __init__(self, settings: Settings, csv: dict | None, exports: str) -> None:
        self.csv, self.exports = csv, exports
        self.settings = settings
        self.cond = threading.Condition()
        self.queue: deque = deque()
        self.budget: tuple[str, int] | None = None   # ("play", 0), ("batch", n), ("epoch", n)
        self.closing = False
        self.build = 0
        self.session = self.run = self.live = self.view = None
        self.restart = False
        self.finished: str | None = None
        self.snapshot: Snapshot | None = None
        self.changed_live: list[str] = []          # live changes since the last reset
        self.error: str | None = None
        self.reset_asked = True         # the first network: built on the thread, unless a
        if csv is not None:             # table is given (its errors are the command's)
            self._rebuild()
        self.thread = threading.Thread(target=self._main, name="playground-trainer",
                                       daemon=True)
        self.thread.start()

    # ---- from the server's threads
    def send(self, op: str, args: dict[str, Any]) -> Future:
        """Queue a command for the training thread; its answer comes in the future."""
        future: Future = Future()
        with self.cond:
            self.queue.append((op, args, future))
            self.cond.notify_all()
        return future

    def close(self) -> None:
        """Ask the thread to stop and give it a second: a step ends well within one, and
        Ctrl-C must not wait for a first network still being built (its imports take
        seconds on a busy machine); the thread is a daemon, and exports are atomic."""
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        self.thread.join(timeout=1)

    # ---- the training thread
    def _main(self) -> None:
        while True:
            with self.cond:
                while not (self.closing or self.queue or self.reset_asked or
                           self._wants_training()):
                    self.cond.wait()
                if self.closing:
                    return
            self._serve(None)
            if self.reset_asked:
                self._rebuild()
            if self._wants_training():
                self._fit()
            if self.reset_asked:
                self._rebuild()

    def _wants_training(self) -> bool:
        return self.budget is not None and self.finished is None and self.error is None

    def _fit(self) -> None:
        settings, session = self.settings, self.session
        self.restart = False
        state = session.fit(self.split, [c for c in (self.statistics, self.live) if c],
                            epochs=settings.epochs or FOREVER)
        if self.restart or self.reset_asked:
            return
        self.finished = state.stop_reason or "the stop condition was reached"
        self.budget = None
        self._publish(force=True)

    def _serve(self, state) -> None:
        """Answer every queued command (on this thread: it owns the network)."""
        while True:
            with self.cond:
                if not self.queue:
                    return
                op, args, future = self.queue.popleft()
            try:
                future.set_result(actions.perform(self, op, args, state))
            except MlpkitError as exc:
                future.set_exception(exc)
            except Exception as exc:        # a bug must not kill the trainer: say it
                future.set_exception(MlpkitError(f"{type(exc).__name__}: {exc}"))

    def between_steps(self, state, epoch_end: bool) -> None:
        """The loop's pause point: after every batch (and again at each epoch's end)."""
        self._serve(state)
        if self.budget is not None and self.budget[0] != "play":
            kind, left = self.budget
            if kind == ("epoch" if epoch_end else "batch"):
                left -= 1
                self.budget = (kind, left) if left > 0 else None
        if epoch_end and self.settings.speed and self.budget is not None:
            self._keep_pace()
        self._publish(force=self.budget is None or epoch_end)
        while self.budget is None and not (self.reset_asked or self.restart or self.closing):
            with self.cond:
                if not self.queue:
                    self.cond.wait(timeout=0.5)
            self._serve(state)
        if self.reset_asked or self.restart or self.closing:
            state.interrupt_requested = True
            state.stop_training = True

    def _keep_pace(self) -> None:
        """At most ``speed`` epochs per frame."""
        interval = 1.0 / (self.settings.speed * FRAMES_PER_SECOND)
        wait = self._last_epoch + interval - time.perf_counter()
        if wait > 0:
            time.sleep(min(wait, 1.0))
        self._last_epoch = time.perf_counter()

    def _rebuild(self) -> None:
        """A new network from the settings: the same seed gives the same initial weights."""
        self.reset_asked = False
        self.finished = None
        self.budget = None
        self.changed_live = []
        self._last_epoch = 0.0
        self.curve: list[dict] = []
        self.findings: list = []
        try:
            run = self.settings.run_config(self.csv)
            data, canvas = load(self.settings, self.csv)
            data, session, split = start(run, data=data)
        except MlpkitError as exc:
            self.error = str(exc)       # the page shows it; the last good network stays
            self._publish(force=True)
            return
        self.error = None
        self.build += 1
        self.run, self.data, self.canvas, self.session, self.split = \
            run, data, canvas, session, split
        self.statistics = layer_statistics(session, split, every=1)   # a live view: each epoch
        self.live = Live(self)
        scaler = session.scaler
        self.test_rows = (scaler.transform(data.X_test, dtype=session.dtype),
                          session._scaled_target(data.y_test)
                          if session.target_scaler is not None else data.y_test)
        self.train_rows = (split.X, split.y)
        self.view = make_view(self)
        self._publish(force=True)

    def _publish(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - getattr(self, "_published", 0.0) < PUBLISH_EVERY:
            return
        self._published = now
        weights = self.session.stepper.state_dict() if self.session is not None else {}
        previous = self.snapshot
        snapshot = Snapshot(
            version=(previous.version + 1) if previous else 1, build=self.build,
            weights={k: np.array(v, np.float32) for k, v in weights.items()},
            epoch=len(self.curve), batches=self.live.batches if self.live else 0,
            running=self.budget is not None, finished=self.finished,
            curve=self.curve, findings=list(self.findings), error=self.error)
        with self.cond:
            self.snapshot = snapshot
            self.cond.notify_all()

    def wait_for(self, version: int, timeout: float) -> Snapshot | None:
        """The first snapshot newer than ``version`` (None after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while (self.snapshot is None or self.snapshot.version <= version) and \
                    not self.closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(timeout=left)
            return self.snapshot

    def apply(self, values: dict[str, Any]) -> str:
        """New settings: live ones now, a new stop condition by restarting the fit, anything
        else by a new network."""
        new = self.settings.changed(values)
        old, self.settings = self.settings, new
        if new.structure_differs(old):
            self.reset_asked = True
            return "reset"
        if (new.epochs, new.patience) != (old.epochs, old.patience):
            self.restart = True
            if self.finished is not None:
                self.finished = None
        if self.session is not None:
            self._apply_live(old, new)
        return "live"

    def _apply_live(self, old: Settings, new: Settings) -> None:
        stepper = self.session.stepper
        for name, key in (("lr", "lr"), ("momentum", "momentum"),
                          ("weight_decay", "weight_decay")):
            value = getattr(new, name)
            if value != getattr(old, name):
                self.changed_live.append(name)
                for group in stepper.optimizer.param_groups:
                    if key in group:
                        group[key] = value
        for name in ("alpha", "l1"):
            if getattr(new, name) != getattr(old, name):
                self.changed_live.append(name)
                setattr(stepper, name, getattr(new, name))
        self.session.config = self.session.config.with_options(
            {"lr": new.lr, "momentum": new.momentum, "weight_decay": new.weight_decay,
             "alpha": new.alpha, "l1": new.l1})
        if new.schedule and new.lr != old.lr:     # the schedule starts again from the new lr
            self.restart = True


class Live(Callback):
    """The page's hand on the loop (see the module's docstring)."""

    key = "playground"

    def __init__(self, worker: Worker) -> None:
        self.worker, self.batches, self._doctor_at = worker, 0, 0.0

    def on_batch_end(self, state) -> None:
        self.batches += 1
        self.worker.between_steps(state, epoch_end=False)

    def on_epoch_end(self, state, record: dict) -> None:
        worker = self.worker
        stepper = state.stepper
        train = stepper.evaluate(*worker.train_rows)
        test = stepper.evaluate(*worker.test_rows)
        worker.curve.append(actions.curve_point(worker, record, train, test))
        now = time.perf_counter()
        if now - self._doctor_at > DOCTOR_EVERY or state.stop_training:
            self._doctor_at = now
            worker.findings = actions.live_findings(worker, state)
        worker.between_steps(state, epoch_end=True)

    def on_train_end(self, state) -> None:
        self.worker.findings = actions.live_findings(self.worker, state)


def replaced_seed(settings: Settings) -> Settings:
    """The same settings with a new seed for the initial weights and the batch order."""
    return replace(settings, seed=(settings.seed + 1) % 2 ** 31)


__all__ = ["Canvas", "Snapshot", "Worker", "replaced_seed"]
