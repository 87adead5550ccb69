"""The search space of ``mlpkit sweep``: a default one, a small TOML format to replace it, and
how a trial draws its options from it.

Format (docs/sweep.md): one table per searched parameter, either a range or a list::

    [lr]                           # low / high, log = true for a log scale
    low = 1e-4
    high = 0.1
    log = true

    [activation]                   # or a list of choices
    choices = ["relu", "tanh"]

Parameters: ``depth`` and ``width`` (the hidden layers: ``depth`` layers, each with its own
width drawn from ``width``) and the training options of the table that keep trials comparable
(``SEARCHABLE``). Every bound and choice passes the option's own check when the file is read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpkit import options
from mlpkit.errors import InvalidInputError, MlpkitError

SHAPE = ("depth", "width")
# Not searchable: hidden (depth and width are) and per-layer activations (one per layer of a
# depth drawn: activation is), the loss and the validation share (scores on other terms), the
# seed (the split), class weights (the scored loss), and where a run runs.
SEARCHABLE = SHAPE + tuple(
    o.name for o in options.OPTIONS
    if o.section in ("model", "data", "train")
    and o.name not in ("hidden", "activations", "loss", "val_fraction", "seed", "class_weight"))
INTEGER = {"depth", "width", "batch_size", "epochs", "patience", "max_fun"}

DEFAULT_SPACE_TOML = """\
# mlpkit sweep's default search space (docs/sweep.md)
[depth]
low = 1
high = 4

[width]             # each hidden layer's own width
low = 16
high = 1024
log = true

[activation]
choices = ["relu", "tanh"]

[optimizer]
choices = ["adam", "adamw", "sgd", "rmsprop"]

[momentum]          # drawn only for sgd and rmsprop
low = 0.0
high = 0.95

[lr]
low = 1e-4
high = 0.1
log = true

[batch_size]        # choices larger than the training rows are left out
choices = [32, 64, 128, 256]

[dropout]
low = 0.0
high = 0.5

[weight_decay]
low = 1e-6
high = 0.01
log = true

[schedule]
choices = ["constant", "plateau", "cosine"]
"""


@dataclass(frozen=True)
class Parameter:
    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple | None = None

    def describe(self) -> str:
        if self.choices is not None:
            return f"{self.name} in {list(self.choices)}"
        return f"{self.name} in [{self.low}, {self.high}]{' (log)' if self.log else ''}"


class SearchSpace:
    """The parameters a sweep searches, in file order."""

    def __init__(self, parameters: list[Parameter]) -> None:
        self.parameters = {p.name: p for p in parameters}

    @classmethod
    def default(cls) -> SearchSpace:
        return cls.from_toml(DEFAULT_SPACE_TOML, "the default space")

    @classmethod
    def load(cls, path: str | Path) -> SearchSpace:
        path = Path(path)
        if not path.is_file():
            raise InvalidInputError(f"Space file '{path}' does not exist; pass a TOML file to "
                                    "--space (docs/sweep.md shows the format).")
        return cls.from_toml(path.read_text(encoding="utf-8", errors="replace"), f"'{path}'")

    @classmethod
    def from_toml(cls, text: str, where: str) -> SearchSpace:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInputError(f"Space file {where} is not valid TOML ({exc}); fix it "
                                    "(docs/sweep.md shows the format).") from None
        return cls.from_tables(doc, where)

    @classmethod
    def from_tables(cls, doc: dict[str, Any], where: str) -> SearchSpace:
        if not doc:
            raise InvalidInputError(f"Space file {where} names no parameter; add a table "
                                    "such as [lr] low = 1e-4 high = 0.1.")
        return cls([_parameter(name, spec, where) for name, spec in doc.items()])

    def without(self, fixed: set[str]) -> SearchSpace:
        """The space less the parameters the command line fixes (``--hidden`` fixes both
        ``depth`` and ``width``)."""
        if "hidden" in fixed:
            fixed = fixed | set(SHAPE)
        return SearchSpace([p for n, p in self.parameters.items() if n not in fixed])

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The space as its TOML tables (what a study records to recognise its space)."""
        return {p.name: ({"choices": list(p.choices)} if p.choices is not None else
                         {"low": p.low, "high": p.high, "log": p.log})
                for p in self.parameters.values()}

    def suggest(self, trial, n_train_rows: int | None, optimizer: str = "adam",
                ) -> dict[str, Any]:
        """Draw one trial's options (names of the option table) from an Optuna trial.
        Conditional parameters: ``width_i`` for the ``depth`` layers drawn, ``momentum``
        only for an optimizer that uses it, ``nesterov`` only for sgd (``optimizer``: the
        one used when the space does not draw it)."""
        values: dict[str, Any] = {}
        for name, parameter in self.parameters.items():
            if name in SHAPE:
                continue
            chosen = values.get("optimizer", optimizer)
            if name == "momentum" and chosen not in options.MOMENTUM_OPTIMIZERS:
                continue
            if name == "nesterov" and chosen != "sgd":
                continue
            values[name] = _draw(trial, name, parameter, n_train_rows)
        if values.get("nesterov") and not values.get("momentum"):
            values["nesterov"] = False           # nesterov needs momentum; none was drawn
        if "depth" in self.parameters or "width" in self.parameters:
            depth = _draw(trial, "depth", self.parameters["depth"], None) \
                if "depth" in self.parameters else None
            width = self.parameters.get("width", Parameter("width", 16, 1024, True))
            layers = depth if depth is not None else len(options.BY_NAME["hidden"].default)
            values["hidden"] = tuple(_draw(trial, f"width_{i + 1}", width, None)
                                     for i in range(layers))
        if values.get("schedule") == "constant":
            values["schedule"] = None
        return values


    def starting_point(self, base, n_train_rows: int | None) -> dict[str, Any]:
        """The base run's own options (mlpkit's defaults, less what is fixed) as the space's
        parameters, those that lie inside it: the first trial, so a sweep starts from what
        ``mlpkit train`` would do and can only be chosen over it on validation rows."""
        values = base.option_values()
        batch = base.train.batch_for(n_train_rows) if n_train_rows else values["batch_size"]
        start: dict[str, Any] = {"depth": len(base.hidden),
                                 "batch_size": "full" if batch is None else batch,
                                 "schedule": values["schedule"] or "constant"}
        start |= {f"width_{i + 1}": width for i, width in enumerate(base.hidden)}
        start |= {name: values[name] for name in self.parameters
                  if name not in start and name in values}
        if base.train.optimizer not in options.MOMENTUM_OPTIMIZERS:
            start.pop("momentum", None)
        return {name: value for name, value in start.items()
                if self._contains(name.split("_")[0] if name.startswith("width_") else name,
                                  value)}

    def _contains(self, name: str, value: Any) -> bool:
        parameter = self.parameters.get(name)
        if parameter is None:
            return False
        if parameter.choices is not None:
            return value in parameter.choices
        return isinstance(value, (int, float)) and parameter.low <= value <= parameter.high


def _draw(trial, name: str, parameter: Parameter, n_train_rows: int | None) -> Any:
    if parameter.choices is not None:
        choices = parameter.choices
        if parameter.name == "batch_size" and n_train_rows is not None:
            fitting = tuple(c for c in choices if not isinstance(c, int) or c <= n_train_rows)
            choices = fitting or ("full",)
        value = trial.suggest_categorical(name, list(choices))
        return None if parameter.name == "batch_size" and value == "full" else value
    if parameter.name in INTEGER:
        return trial.suggest_int(name, int(parameter.low), int(parameter.high), log=parameter.log)
    return trial.suggest_float(name, parameter.low, parameter.high, log=parameter.log)


def _parameter(name: str, spec: Any, where: str) -> Parameter:
    """One table of the space file, checked: known name, a range or choices, every value one
    the option itself accepts."""
    if name not in SEARCHABLE:
        hint = " (search depth and width instead)" if name == "hidden" else ""
        message = str(options.unknown("parameter", name, list(SEARCHABLE))).rstrip(".")
        raise InvalidInputError(f"Space file {where}: {message}{hint}.")
    if not isinstance(spec, dict):
        raise InvalidInputError(f"Space file {where}: [{name}] must be a table with low/high or "
                                f"choices, e.g. [{name}] choices = [...], got {spec!r}.")
    extra = sorted(set(spec) - {"low", "high", "log", "choices"})
    if extra:
        raise InvalidInputError(f"Space file {where}: [{name}] has unknown key(s) {extra}; "
                                "use low, high and log, or choices.")
    if "choices" in spec:
        if set(spec) != {"choices"}:
            raise InvalidInputError(f"Space file {where}: [{name}] gives both choices and a "
                                    "range; keep one.")
        choices = spec["choices"]
        if not isinstance(choices, list) or not choices:
            raise InvalidInputError(f"Space file {where}: [{name}] choices is empty; list at "
                                    "least one value.")
        for value in choices:
            _check_value(name, value, where)
        return Parameter(name, choices=tuple(choices))
    if "low" not in spec or "high" not in spec:
        raise InvalidInputError(f"Space file {where}: [{name}] needs both low and high (or "
                                "choices).")
    low, high, log = spec["low"], spec["high"], spec.get("log", False)
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidInputError(f"Space file {where}: [{name}] low and high must be "
                                    f"numbers, got {value!r}.")
        _check_value(name, value, where)
    if not isinstance(log, bool):
        raise InvalidInputError(f"Space file {where}: [{name}] log must be true or false.")
    if low > high:
        raise InvalidInputError(f"Space file {where}: [{name}] is an empty range (low {low} > "
                                f"high {high}); swap them.")
    if log and low <= 0:
        raise InvalidInputError(f"Space file {where}: [{name}] on a log scale needs low > 0, "
                                f"got {low}.")
    kind = int if name in INTEGER else float
    return Parameter(name, kind(low), kind(high), log)


def _check_value(name: str, value: Any, where: str) -> None:
    try:
        if name in SHAPE:
            options.POSITIVE_INT(value, name)
        elif name == "schedule" and value == "constant":
            pass
        elif name == "batch_size" and value == "full":
            pass
        else:
            options.BY_NAME[name].validate(value)
    except MlpkitError as exc:
        raise InvalidInputError(f"Space file {where}: [{name}] {str(exc).rstrip('.')}.") from None
