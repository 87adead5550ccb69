"""The page's whole state in one flat record: what the URL carries and every command changes.

The training options among them are checked by the option table (``RunConfig``), as every
door's are; the page's own (data, view, speed) are checked here. Nothing the page sends is
trusted: unknown names, wrong types and out-of-range values are refused in one line, and every
size is bounded before anything is built from it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from mlpkit.config import RunConfig
from mlpkit.data.sets.synthetic import GENERATORS
from mlpkit.errors import InvalidParameterError

DATASETS = (*GENERATORS, "csv")
MAX_POINTS = 20000          # generated points
MAX_ADDED = 2000            # points clicked in
MAX_WIDTH = 4096            # neurons in a layer, and layers: a bound on the request, not a cap
MAX_LAYERS = 64             # on the design (the page warns about the cost far below these)
FOREVER = 10 ** 6           # the epochs of a run with no stop condition
LIVE = ("lr", "momentum", "alpha", "l1", "weight_decay", "speed")   # changed without a reset
VIEW = ("discretize", "show_test", "hide")                     # the page's alone
RESTART = ("epochs", "patience")      # the stop condition: the same model trains on


@dataclass(frozen=True)
class Settings:
    # data
    dataset: str = "circles"
    points: int = 500
    noise: float = 0.1
    test_share: float = 0.5
    data_seed: int = 0
    classes: int = 3                  # blobs' centres, spirals' arms
    x_column: str | None = None       # a CSV's two columns drawn (default: its first two)
    y_column: str | None = None
    squares: bool = False             # engineered inputs: x², y²
    product: bool = False             # x·y
    sines: bool = False               # sin x, sin y
    added: tuple = ()                 # clicked points: (x, y, class or value)
    erased: tuple = ()                # generated points removed: their indices
    # network
    hidden: tuple = (4, 2)
    activation: str = "tanh"
    activations: tuple | None = None  # one per hidden layer, instead of ``activation``
    loss: str | None = None           # None: cross_entropy, or mse for regression
    dropout: float = 0.0
    # training
    engine: str = "numpy"
    optimizer: str = "sgd"
    lr: float = 0.03
    momentum: float = 0.0
    nesterov: bool = False
    schedule: str | None = None
    alpha: float = 0.0                # L2 penalty on the weights (scikit-learn's alpha)
    l1: float = 0.0                   # L1 penalty on the weights
    weight_decay: float = 0.0
    batch_size: int = 10
    seed: int = 0
    epochs: int | None = None         # stop after this many (None: never)
    patience: int | None = None       # stop when the training loss stalls this many epochs
    speed: float = 0.0                # epochs per frame (30 frames/s); 0: as fast as it goes
    # view
    discretize: bool = False
    show_test: bool = True
    hide: tuple = field(default=())   # classroom mode: controls not shown

    def changed(self, values: dict[str, Any]) -> Settings:
        """A copy with ``values`` (from the page) checked and applied."""
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InvalidParameterError(f"Unknown setting(s) {unknown}; the page sends "
                                        f"{', '.join(known)}.")
        clean = {name: _checked(name, value, getattr(self, name))
                 for name, value in values.items()}
        new = replace(self, **clean)
        new.run_config()        # the option table's checks (and the rules between options)
        return new

    def run_config(self, csv: dict[str, Any] | None = None) -> RunConfig:
        """The run these settings train: the same RunConfig ``mlpkit train`` builds."""
        options = {"hidden": self.hidden, "activation": self.activation,
                   "activations": self.activations, "loss": self.loss, "l1": self.l1,
                   "dropout": self.dropout, "engine": self.engine,
                   "optimizer": self.optimizer, "lr": self.lr, "momentum": self.momentum,
                   "nesterov": self.nesterov, "schedule": self.schedule, "alpha": self.alpha,
                   "weight_decay": self.weight_decay, "batch_size": self.batch_size,
                   "seed": self.seed, "epochs": self.epochs or FOREVER,
                   "patience": self.patience, "val_fraction": 0.0, "scale": True,
                   "threads": 1}
        return RunConfig(*self.data_source(csv)).with_options(options)

    def data_source(self, csv: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """(dataset, options) as config.toml names them."""
        if self.dataset == "csv":
            if csv is None:
                raise InvalidParameterError("No CSV was given: start the playground with "
                                            "--csv FILE --target COLUMN.")
            return "csv", {**csv, "test_size": self.test_share, "random_state": self.data_seed}
        options: dict[str, Any] = {"n_samples": self.points, "random_state": self.data_seed,
                                   "test_size": self.test_share}
        if self.dataset != "blobs":
            options["noise"] = self.noise
        else:
            options["cluster_std"] = max(self.noise * 10, 0.1)
        if self.dataset == "blobs":
            options["centers"] = self.classes
        if self.dataset == "spirals":
            options["n_classes"] = self.classes
        return self.dataset, options

    def structure_differs(self, other: Settings) -> bool:
        """Whether going from ``other`` to self needs a new network (a reset)."""
        same = set(LIVE) | set(VIEW) | set(RESTART)
        return any(getattr(self, f.name) != getattr(other, f.name)
                   for f in fields(self) if f.name not in same)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _checked(name: str, value: Any, current: Any) -> Any:
    """One value from the page, of the type and within the bounds of its setting."""
    def fail(why: str) -> InvalidParameterError:
        return InvalidParameterError(f"Setting {name!r}: {why} (got {str(value)[:60]!r}).")

    if name == "activations" and value is not None:
        if not isinstance(value, list | tuple) or len(value) > MAX_LAYERS:
            raise fail(f"one activation per hidden layer (at most {MAX_LAYERS})")
        return tuple(value)        # (each name: the option table's check)
    if name in ("added", "erased", "hide", "hidden"):
        if not isinstance(value, list | tuple) or len(value) > MAX_ADDED:
            raise fail(f"a list of at most {MAX_ADDED} items")
        if name == "hidden":
            if len(value) > MAX_LAYERS or not all(_int(v) and 1 <= v <= MAX_WIDTH for v in value):
                raise fail(f"at most {MAX_LAYERS} layers of 1 to {MAX_WIDTH} neurons")
            return tuple(value)
        if name == "added":
            if not all(isinstance(p, list | tuple) and len(p) == 3 and
                       all(_number(v) for v in p) for p in value):
                raise fail("points as [x, y, class or value]")
            return tuple(tuple(float(v) for v in p) for p in value)
        if name == "erased":
            if not all(_int(v) and 0 <= v < MAX_POINTS for v in value):
                raise fail(f"point indices from 0 to {MAX_POINTS - 1}")
            return tuple(sorted(set(value)))
        if not all(isinstance(v, str) and len(v) <= 40 for v in value):
            raise fail("control names")
        return tuple(value)
    if name == "dataset" and value not in DATASETS:
        raise fail(f"one of {', '.join(DATASETS)}")
    if name in ("x_column", "y_column"):
        if value is not None and not (isinstance(value, str) and len(value) <= 200):
            raise fail("a column name")
        return value
    if name == "points" and not (_int(value) and 10 <= value <= MAX_POINTS):
        raise fail(f"a whole number from 10 to {MAX_POINTS}")
    if name == "classes" and not (_int(value) and 2 <= value <= 10):
        raise fail("a whole number from 2 to 10")
    if name == "data_seed" and not (_int(value) and 0 <= value < 2 ** 32):
        raise fail("a whole number from 0 to 2^32 - 1")
    if name in ("noise", "test_share", "speed"):
        top = {"noise": 2.0, "test_share": 0.9, "speed": 1000.0}[name]
        if not (_number(value) and 0 <= value <= top) or (name == "test_share" and value < 0.1):
            raise fail(f"a number from {0.1 if name == 'test_share' else 0} to {top}")
        return float(value)
    if isinstance(current, bool) and not isinstance(value, bool):
        raise fail("true or false")
    if name in ("lr", "momentum", "alpha", "l1", "weight_decay", "dropout") and \
            not _number(value):
        raise fail("a number")
    if name in ("batch_size", "seed", "epochs", "patience") and \
            not (value is None and name in ("epochs", "patience")) and not _int(value):
        raise fail("a whole number")
    return value


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
