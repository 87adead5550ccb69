"""Minibatch indices, shared by both engines so that one seed gives the same batches."""

from __future__ import annotations

from collections.abc import Iterator

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
