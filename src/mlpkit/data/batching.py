"""Minibatch indices, shared by both engines so that one seed gives the same batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


def minibatch_indices(n_samples: int, batch_size: int | None, rng: np.random.Generator | None,
                      ) -> Iterator[np.ndarray]:
    """Yield index arrays covering ``range(n_samples)`` once; the last partial batch is kept.

    ``rng`` shuffles (a new permutation per call, i.e. per epoch); ``None`` keeps the order.
    ``batch_size=None`` is full-batch gradient descent.
    """
    order = rng.permutation(n_samples) if rng is not None else np.arange(n_samples)
    step = n_samples if batch_size is None else batch_size
    for start in range(0, n_samples, step):
        yield order[start:start + step]


ALL_ROWS = slice(None)      # a full batch: every row, in place (no permutation, no gathered copy)


def epoch_batches(n_samples: int, batch_size: int | None, rng: np.random.Generator | None,
                  ) -> list[np.ndarray | slice]:
    """One epoch's batches for the training loop. A batch that holds every row is ``ALL_ROWS``:
    the order of the rows cannot change a full-batch gradient, so it is neither permuted nor
    copied (and draws nothing from ``rng``)."""
    if batch_size is None or batch_size >= n_samples:
        return [ALL_ROWS]
    return list(minibatch_indices(n_samples, batch_size, rng))


def batch_rows(batch: np.ndarray | slice, n_samples: int) -> np.ndarray:
    """A batch as row indices (``ALL_ROWS`` -> 0..n-1), for the paths that need them."""
    return np.arange(n_samples)[batch] if isinstance(batch, slice) else batch


@dataclass
class Part:
    """A run of optimizer steps over rows the stepper holds: ``arrays`` (X, y, weights) to
    bind first, or None for the rows bound already. ``local``: under DDP, the batches are this
    rank's own rows (a streamed epoch) rather than global batches each rank slices."""

    arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None
    batches: list[np.ndarray | slice]
    local: bool = False


class ArrayRows:
    """Training rows in memory: bound to the stepper once; an epoch is one part, its batches a
    seeded permutation (``data/stream_rows.py`` is the streamed counterpart)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> None:
        self.X, self.y, self.weights = X, y, weights

    def __len__(self) -> int:
        return len(self.y)

    def bind(self, stepper) -> None:
        stepper.bind(self.X, self.y, self.weights)

    def epoch(self, rng: np.random.Generator | None, batch_size: int | None) -> Iterator[Part]:
        yield Part(None, epoch_batches(len(self.y), batch_size, rng))
