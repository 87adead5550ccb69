"""What an option's value may be, as data: each constraint checks (and normalises) a value with
a one-line error, and says the same thing in scikit-learn's terms (``sklearn()``), from which
the estimators' ``_parameter_constraints`` are built. The option table (``options.py``)
declares one per option; nothing else checks a single option's value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlpkit.errors import InvalidParameterError
from mlpkit.validation import check_positive, is_number, resolve


@dataclass(frozen=True)
class Choice:
    """One of ``names``, an alias of one (``aliases``: scikit-learn's spellings), or the word
    ``none`` that means none of them (normalised to None); None itself is accepted."""

    names: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    none: str | None = None

    def __call__(self, value: Any, label: str) -> Any:
        if value is None:
            return None
        table: dict[str, str | None] = {n: n for n in self.names}
        table |= {a: n for a, n in self.aliases.items() if n in self.names}
        if self.none is not None:
            table[self.none] = None
        return resolve(label, value, table)     # "did you mean" on typos

    def sklearn(self) -> list:
        from sklearn.utils._param_validation import StrOptions

        words = set(self.names) | {a for a, n in self.aliases.items() if n in self.names}
        return [StrOptions(words | ({self.none} if self.none else set())), None]


@dataclass(frozen=True)
class Interval:
    """A number of ``kind`` (int, or float which also takes ints; NumPy's as well, kept as
    Python numbers) in [low, high] with each end open or closed; ``optional``: None too;
    ``infinite``: also inf (scikit-learn's "never", as ``n_iter_no_change=np.inf``).
    ``to_float``: the value is kept as a float."""

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"            # "both", "left", "right" or "neither", as scikit-learn
    optional: bool = False
    infinite: bool = False
    to_float: bool = False

    def contains(self, value: float) -> bool:
        above = self.low is None or (value >= self.low if self.closed in ("both", "left")
                                     else value > self.low)
        below = self.high is None or (value <= self.high if self.closed in ("both", "right")
                                      else value < self.high)
        return above and below and not (isinstance(value, float) and math.isnan(value))

    def __call__(self, value: Any, label: str) -> Any:
        if value is None and self.optional:
            return None
        if self.infinite and is_number(value) and value == math.inf:
            return math.inf
        if self.low == 0 and self.high is None and self.closed in ("right", "neither"):
            check_positive(value, label, integer=self.kind is int)   # its words, as ever
        elif not is_number(value, self.kind is int) or not self.contains(value):
            raise InvalidParameterError(f"{label} must {self.words()}, got {value!r}.")
        value = value.item() if isinstance(value, np.generic) else value
        return float(value) if self.to_float else value

    def words(self) -> str:
        if self.high is None:
            return f"be a number >= {self.low:g}" if self.closed in ("both", "left") else \
                f"be a number > {self.low:g}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"lie in {left}{self.low:g}, {self.high:g}{right}"

    def sklearn(self) -> list:
        from numbers import Integral, Real

        from sklearn.utils._param_validation import Interval as Range
        from sklearn.utils._param_validation import Options

        kind = Integral if self.kind is int else Real
        return [Range(kind, self.low, self.high, closed=self.closed)] + \
            ([None] if self.optional else []) + \
            ([Options(Real, {math.inf})] if self.infinite else [])


@dataclass(frozen=True)
class Flag:
    """True or False."""

    def __call__(self, value: Any, label: str) -> Any:
        if not isinstance(value, bool):
            raise InvalidParameterError(f"{label} must be True or False, got {value!r}.")
        return value

    def sklearn(self) -> list:
        return ["boolean"]


@dataclass(frozen=True)
class LayerSizes:
    """Positive whole numbers, one per hidden layer (one number: one layer)."""

    def __call__(self, value: Any, label: str) -> Any:
        try:
            sizes = tuple(value)
        except TypeError:
            sizes = (value,)
        for size in sizes:
            check_positive(size, "each hidden layer size", integer=True)
        return tuple(int(s) for s in sizes)

    def sklearn(self) -> list:
        from numbers import Integral

        from sklearn.utils._param_validation import Interval as Range

        return ["array-like", Range(Integral, 1, None, closed="left")]


@dataclass(frozen=True)
class PerLayer:
    """None (every hidden layer the same), or one of ``choice``'s values per hidden layer."""

    choice: Choice

    def __call__(self, value: Any, label: str) -> Any:
        if value is None:
            return None
        values = (value,) if isinstance(value, str) else tuple(value)
        if not values:
            raise InvalidParameterError(f"{label} names one value per hidden layer; got none.")
        return tuple(self.choice(v, label) for v in values)

    def sklearn(self) -> list:
        return ["array-like", None]


@dataclass(frozen=True)
class BatchSize:
    """A positive whole number, 'auto', 'table', or None (full batch; the command line's
    'full')."""

    def __call__(self, value: Any, label: str) -> Any:
        if value is None or value in ("auto", "table"):
            return value
        if isinstance(value, str):
            raise InvalidParameterError(f"batch_size must be a positive integer, 'auto', "
                                        f"'table' or 'full', got {value!r}.")
        check_positive(value, label, integer=True)
        return value

    def sklearn(self) -> list:
        from numbers import Integral

        from sklearn.utils._param_validation import Interval as Range
        from sklearn.utils._param_validation import StrOptions

        return [StrOptions({"auto", "table"}), Range(Integral, 1, None, closed="left"), None]


@dataclass(frozen=True)
class Members:
    """An ensemble's size, 1 to 64, or 'table': the table recipe's choice for the task
    (``recipe.members``)."""

    def __call__(self, value: Any, label: str) -> Any:
        if value == "table":
            return value
        if isinstance(value, str) or not is_number(value, True) or not 1 <= value <= 64:
            raise InvalidParameterError(f"{label} must lie in [1, 64] or be 'table', "
                                        f"got {value!r}.")
        return value.item() if isinstance(value, np.generic) else value

    def sklearn(self) -> list:
        from numbers import Integral

        from sklearn.utils._param_validation import Interval as Range
        from sklearn.utils._param_validation import StrOptions

        return [StrOptions({"table"}), Range(Integral, 1, 64, closed="both")]


@dataclass(frozen=True)
class Seed:
    """A whole number (the estimators also take None or a RandomState, as scikit-learn)."""

    def __call__(self, value: Any, label: str) -> Any:
        if not is_number(value, integer=True):
            raise InvalidParameterError(f"seed must be a whole number, got {value!r}.")
        return int(value)

    def sklearn(self) -> list:
        return ["random_state"]


@dataclass(frozen=True)
class Text:
    """Any string (a device name: checked by the engine that runs on it)."""

    def __call__(self, value: Any, label: str) -> Any:
        if not isinstance(value, str):
            raise InvalidParameterError(f"{label} must be a string, got {value!r}.")
        return value

    def sklearn(self) -> list:
        return [str]


@dataclass(frozen=True)
class ClassWeight:
    """'balanced', a dict class -> weight, or None."""

    def __call__(self, value: Any, label: str) -> Any:
        if value is None or isinstance(value, dict):
            return value
        if value != "balanced":
            raise InvalidParameterError(
                f"class_weight must be 'balanced' or a dict, got {value!r}.")
        return value

    def sklearn(self) -> list:
        from sklearn.utils._param_validation import StrOptions

        return [StrOptions({"balanced"}), dict, None]
