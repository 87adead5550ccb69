"""What prediction rows hold that their training rows never had, said once per file.

A gap in a column that had none in training is filled with the training's value (a category
column's gap encodes as all zeros), and a category never seen encodes as all zeros: the
prediction is still made, so the user must hear of it — once for a whole file, streamed in
chunks or not — or, with ``strict``, gets an error at the first such row, before anything is
written.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from mlpkit.data.tables.lines import file_lines
from mlpkit.errors import InvalidInputError, NewGapsWarning, UnseenCategoryWarning

SHOWN = 5       # values and lines named in a message


@dataclass
class Rows:
    """The first few index labels of some rows, and how many there are."""
    first: list = field(default_factory=list)
    count: int = 0

    def add(self, labels) -> None:
        self.first += list(labels[:SHOWN - len(self.first)])
        self.count += len(labels)

    def __str__(self) -> str:
        return file_lines(self.first, SHOWN, self.count)


@dataclass
class Surprises:
    """A tally over one file's chunks; ``say`` warns once per kind (and per column)."""
    strict: bool = False
    gaps: dict[str, int] = field(default_factory=dict)      # column -> rows with a new gap
    gap_rows: Rows = field(default_factory=Rows)
    unseen: dict[str, tuple[set, Rows]] = field(default_factory=dict)

    def note_gaps(self, masks: dict[str, np.ndarray], index, path: str) -> None:
        """``masks``: column -> which rows have a gap that training never had."""
        masks = {name: mask for name, mask in masks.items() if mask.any()}
        if not masks:
            return
        rows = index[np.logical_or.reduce(list(masks.values()))]
        if self.strict:
            raise InvalidInputError(
                f"Column(s) {', '.join(map(repr, masks))} in '{path}' have missing values "
                f"({file_lines(rows)}) but had none in training; fill them, or leave out "
                "--strict to use the training's fill values.")
        for name, mask in masks.items():
            self.gaps[name] = self.gaps.get(name, 0) + int(mask.sum())
        self.gap_rows.add(rows)

    def note_unseen(self, name: str, values: list[str], rows, path: str) -> None:
        """``values`` of column ``name`` never seen in training, at index labels ``rows``."""
        if self.strict:
            raise InvalidInputError(
                f"Column {name!r} in '{path}' has value(s) {values[:SHOWN]} not seen in training "
                f"({file_lines(rows)}); fix them, or leave out --strict to encode them as all "
                "zeros.")
        seen, where = self.unseen.setdefault(name, (set(), Rows()))
        seen.update(values)
        where.add(rows)

    def say(self, path: str, stacklevel: int = 3, gaps: bool = True) -> None:
        """One warning line per kind of surprise, for the whole of ``path`` (``gaps``: the
        new gaps' too)."""
        if self.gaps and gaps:
            columns = ", ".join(f"{name!r} ({count})" for name, count in self.gaps.items())
            warnings.warn(
                f"{self.gap_rows.count} row(s) of '{path}' have missing values in column(s) "
                f"{columns} that had none in training ({self.gap_rows}); filled with the "
                "training's values (--strict refuses them).", NewGapsWarning,
                stacklevel=stacklevel)
        for name, (values, rows) in self.unseen.items():
            shown = sorted(values)
            more = f" and {len(shown) - SHOWN} more" if len(shown) > SHOWN else ""
            warnings.warn(
                f"Column {name!r} in '{path}' has value(s) {shown[:SHOWN]}{more} not seen in "
                f"training ({rows}); encoded as all zeros.", UnseenCategoryWarning,
                stacklevel=stacklevel)
