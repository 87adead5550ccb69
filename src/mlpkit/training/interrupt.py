"""Ctrl-C and SIGTERM end training after the current batch, not in the middle of a write."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from mlpkit.training.callbacks import TrainingState


@contextmanager
def stop_after_batch_on_signals(state: TrainingState, escalate: bool = True,
                                ) -> Iterator[None]:
    """First SIGINT/SIGTERM asks the loop to stop (``state.signal`` says which);
    a second SIGINT interrupts at once, unless ``escalate`` is False (a distributed rank: Ctrl-C
    reaches it from the terminal and again from the launcher, and every rank must stop after
    the same batch)."""
    previous = {}

    def request_stop(signum, frame):
        if state.interrupt_requested and signum == signal.SIGINT and escalate:
            raise KeyboardInterrupt
        state.interrupt_requested = True
        state.signal = signum

    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, request_stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
