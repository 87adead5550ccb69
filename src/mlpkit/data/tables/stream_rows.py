"""A streamed table's training rows as the loop's epochs: chunks in a seeded order, rows
shuffled within a bounded buffer.

Each epoch draws one number from the loop's generator; the chunk order and every buffer's
shuffle come from it, so the same seed gives the same run and a checkpoint (which saves the
loop's generator) resumes it exactly. A buffer of about ``BUFFER_BYTES`` of features is bound
to the stepper and cut into full batches; the rows left over start the next buffer, so every
batch but the epoch's last has ``batch_size`` rows, as in memory.

Under DDP (torchrun) each rank reads its own share of the chunks (every ``world``-th of the
epoch's order) and takes its slice of the global batch from its own rows. Every rank knows
every chunk's row count (the second pass), so all of them know how many steps the epoch has:
a rank whose rows run out first steps on empty batches, and the loss of each step is divided
by the rows (or weight) of all ranks together, so the update is the global batch's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from mlpkit.data.batching import Part
from mlpkit.data.tables.stream import Statistics, StreamedTable

BUFFER_BYTES = 16 << 20       # the shuffle buffer: rows x features x 4 bytes, about this much
EMPTY = np.zeros(0, np.int64)

Prepare = Callable[[object, str], tuple[np.ndarray, np.ndarray, np.ndarray | None]]


class StreamRows:
    """The training rows of a ``StreamedTable``: ``prepare`` turns a chunk's training rows into
    the stepper's (X, y, weights): encoded, scaled and weighted as the session decided."""

    def __init__(self, stream: StreamedTable, statistics: Statistics, prepare: Prepare,
                 seed: int, rank: int = 0, world: int = 1) -> None:
        self.stream, self.statistics, self.prepare = stream, statistics, prepare
        self.seed, self.rank, self.world = seed, rank, world

    def __len__(self) -> int:
        return int(sum(self.statistics.train_rows))

    def bind(self, stepper) -> None:
        """Nothing to bind up front: each part brings its rows."""

    def epoch(self, rng: np.random.Generator | None, batch_size: int | None) -> Iterator[Part]:
        n_chunks = len(self.stream.table.chunks)
        draw = None if rng is None else int(rng.integers(2**62))    # one draw, every rank
        order = np.arange(n_chunks) if draw is None else \
            np.random.default_rng(draw).permutation(n_chunks)
        shuffle = None if draw is None else np.random.default_rng([draw, self.rank])
        sizes = [len(s) for s in np.array_split(np.arange(batch_size), self.world)]
        steps = max(-(-sum(self.statistics.train_rows[c] for c in order[r::self.world])
                      // sizes[r]) for r in range(self.world))
        yield from self._parts(order[self.rank::self.world], sizes[self.rank], steps, shuffle)

    def _parts(self, chunks: np.ndarray, batch: int, steps: int,
               shuffle: np.random.Generator | None) -> Iterator[Part]:
        """This rank's parts: full buffers, then the last rows, then empty steps (DDP)."""
        table = self.stream.table
        local = self.world > 1
        width = self.stream.n_features
        limit = max(4 * batch, BUFFER_BYTES // (4 * max(width, 1)))
        held: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
        n_held = taken = 0
        for index in chunks:
            chunk = table.chunks[index]
            frame = self.stream.usable(table.read(chunk, self.stream.dtypes))
            train, _ = self.stream.split_chunk(chunk, frame, self.statistics.validation_share,
                                               self.seed)
            if len(train):
                held.append(self.prepare(train, table.where(chunk)))
                n_held += len(train)
            if n_held >= limit:
                part, held = _cut(held, batch, shuffle, keep_rest=True)
                n_held = len(held[0][1]) if held else 0
                taken += len(part.batches)
                part.local = local
                yield part
        if n_held:
            part, _ = _cut(held, batch, shuffle, keep_rest=False)
            taken += len(part.batches)
            part.local = local
            yield part
        if taken < steps:        # DDP: this rank ran out of rows first
            X = np.zeros((0, width), np.float32)
            yield Part((X, np.zeros(0, np.int64), None), [EMPTY] * (steps - taken), local)


def _cut(held: list, batch: int, shuffle: np.random.Generator | None, keep_rest: bool):
    """The held rows as one shuffled part of full batches (and the last partial one unless
    ``keep_rest``), plus the rows kept for the next buffer."""
    X = np.concatenate([h[0] for h in held])
    y = np.concatenate([h[1] for h in held])
    w = None if held[0][2] is None else np.concatenate([h[2] for h in held])
    order = np.arange(len(y)) if shuffle is None else shuffle.permutation(len(y))
    end = len(y) // batch * batch if keep_rest else len(y)
    batches = [order[i:i + batch] for i in range(0, end, batch)]
    rest = order[end:]
    kept = [(X[rest], y[rest], None if w is None else w[rest])] if len(rest) else []
    return Part((X, y, w), batches), kept
