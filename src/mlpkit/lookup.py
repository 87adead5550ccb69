"""Name -> object lookup with a "did you mean" for typos: the one place names are resolved.

Each engine keeps its own tables (activations, losses, optimizers, initialisers) next to the
classes they name and resolves through ``resolve``, so every typo gets the same message.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TypeVar

from mlpkit.errors import InvalidParameterError

T = TypeVar("T")


def resolve(kind: str, name: str, table: Mapping[str, T]) -> T:
    """Return ``table[name]`` (case-insensitive) or raise a one-line error that suggests a fix."""
    key = name.lower().replace("-", "_") if isinstance(name, str) else name
    if key in table:
        return table[key]
    known = ", ".join(sorted(table))
    close = difflib.get_close_matches(str(key), list(table), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InvalidParameterError(f"Unknown {kind} {name!r}.{hint} Known: {known}.")
