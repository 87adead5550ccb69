"""THE option table: every training option declared once, for every door.

Each row names the option's config field, its ``config.toml`` section, its command-line flag,
its estimator parameter, its default, how the command line parses it and how it is checked.
``cli.py`` builds its flags from this table, ``RunConfig`` reads and writes ``config.toml``
through it, and the estimators take their parameters from it, so an
option cannot exist in one door and not in another; ``tests/test_options.py`` proves it.

An estimator default differs from the command line's only where scikit-learn's MLP sets the
convention its users expect (``param_default``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlpkit.errors import InvalidParameterError
from mlpkit.validation import check_non_negative, check_positive, resolve, suggest

ACTIVATIONS = ("relu", "sigmoid", "tanh", "identity")
ALIASES = {"logistic": "sigmoid",             # scikit-learn's names for the same things
           "squared_error": "mse", "log_loss": "cross_entropy"}
INITS = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
         "normal", "zeros")
OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw", "lbfgs")
MOMENTUM_OPTIMIZERS = ("sgd", "rmsprop")     # the optimizers momentum applies to
SCHEDULES = ("step", "cosine", "plateau", "invscaling", "adaptive")
LOSSES = ("cross_entropy", "mse")
ENGINES = ("numpy", "torch")
SAME = object()     # param_default: the same default as the command line's

Check = Callable[[Any, str], Any]   # (value, label) -> the value, normalised; raises if invalid


# ---- checks: each returns the (normalised) value or raises a one-line InvalidParameterError
def choice(*names: str, none: str | None = None) -> Check:
    """One of ``names``, a scikit-learn alias of one (``ALIASES``), or the word ``none`` that
    means none of them (normalised to None)."""
    table: dict[str, str | None] = {n: n for n in names}
    table |= {alias: name for alias, name in ALIASES.items() if name in names}
    if none is not None:
        table[none] = None

    def check(value: Any, label: str) -> Any:
        if value is None:
            return None
        return resolve(label, value, table)     # "did you mean" on typos
    return check


def positive_int(value: Any, label: str) -> Any:
    check_positive(value, label, integer=True)
    return value


def optional_positive_int(value: Any, label: str) -> Any:
    return None if value is None else positive_int(value, label)


def positive(value: Any, label: str) -> Any:
    check_positive(value, label)
    return value


def non_negative(value: Any, label: str) -> Any:
    check_non_negative(value, label)
    return value


def fraction(value: Any, label: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise InvalidParameterError(f"{label} must lie in [0, 1), got {value!r}.")
    return float(value)


def fraction_or_one(value: Any, label: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidParameterError(f"{label} must lie in [0, 1], got {value!r}.")
    return float(value)


def flag(value: Any, label: str) -> Any:
    if not isinstance(value, bool):
        raise InvalidParameterError(f"{label} must be True or False, got {value!r}.")
    return value


def layer_sizes(value: Any, label: str) -> Any:
    try:
        sizes = tuple(value)
    except TypeError:
        sizes = (value,)
    for size in sizes:
        check_positive(size, "each hidden layer size", integer=True)
    return tuple(int(s) for s in sizes)


def batch_size(value: Any, label: str) -> Any:
    if value is None or value == "auto":
        return value
    if isinstance(value, str):
        raise InvalidParameterError(
            f"batch_size must be a positive integer, 'auto' or 'full', got {value!r}.")
    return positive_int(value, label)


def seed(value: Any, label: str) -> Any:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidParameterError(f"seed must be a whole number, got {value!r}.")
    return value


def text(value: Any, label: str) -> Any:
    if not isinstance(value, str):
        raise InvalidParameterError(f"{label} must be a string, got {value!r}.")
    return value


def class_weight(value: Any, label: str) -> Any:
    if value is None or isinstance(value, dict):
        return value
    if value != "balanced":
        raise InvalidParameterError(
            f"class_weight must be 'balanced' or a dict, got {value!r}.")
    return value


# ---- how the command line reads a value
def parse_batch_size(text: str) -> int | str:
    if text in ("full", "auto"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid batch size {text!r} (a whole number, 'auto' or 'full')") from None


@dataclass(frozen=True)
class Option:
    name: str                      # the field in MLPSpec / TrainConfig / RunConfig
    section: str                   # config.toml: [model], [data], [train] or [run]
    default: Any
    help: str
    check: Check
    flag: str | None = None        # command line; None: not a command-line option
    param: str | None = None       # estimator parameter; None: not an estimator parameter
    param_default: Any = SAME
    parse: Callable[[str], Any] | None = None   # argparse type; None: a switch (bool)
    choices: tuple[str, ...] | None = None
    label: str | None = None       # the name error messages use
    nargs: str | None = None       # "+": the flag takes several values

    def validate(self, value: Any) -> Any:
        return self.check(value, self.label or self.name)

    @property
    def estimator_default(self) -> Any:
        return self.default if self.param_default is SAME else self.param_default


OPTIONS: tuple[Option, ...] = (
    # [model]: the network
    Option("hidden", "model", (100,), "hidden layer sizes", layer_sizes, "--hidden",
           "hidden_layer_sizes", parse=int, nargs="+"),
    Option("activation", "model", "relu", "relu, sigmoid, tanh or identity",
           choice(*ACTIVATIONS), "--activation", "activation", parse=str),
    Option("init", "model", "default", "weight init: default (PyTorch's), xavier_uniform, "
           "kaiming_uniform, ...", choice(*INITS), "--init", "init", parse=str,
           label="initializer"),
    Option("dropout", "model", 0.0, "dropout after each hidden layer", fraction, "--dropout",
           "dropout", parse=float),
    # [data]: preprocessing fitted on the training rows
    Option("scale", "data", True, "standardise the features with training statistics", flag,
           "--no-scale", "scale"),
    # [train]: how to train
    Option("loss", "train", None, "classification: cross_entropy (default) or mse between "
           "softmax and one-hot targets; regression: mse (scikit-learn: squared_error)",
           choice(*LOSSES), "--loss", "loss", parse=str, choices=LOSSES),
    Option("optimizer", "train", "adam", "sgd, rmsprop, adam, adamw or lbfgs (full-batch "
           "L-BFGS through SciPy, for small data sets)", choice(*OPTIMIZERS), "--optimizer",
           "solver", parse=str),
    Option("lr", "train", 1e-3, "learning rate (the initial one under a schedule)", positive,
           "--lr", "learning_rate_init", parse=float),
    Option("momentum", "train", 0.0, "momentum for sgd / rmsprop", fraction_or_one,
           "--momentum", "momentum", param_default=0.9, parse=float),
    Option("nesterov", "train", False, "Nesterov momentum (sgd)", flag, "--nesterov",
           "nesterovs_momentum", param_default=True),
    Option("weight_decay", "train", 1e-4, "L2 weight decay on every parameter, as torch.optim "
           "(adamw: decoupled)", non_negative, "--weight-decay", "weight_decay",
           param_default=0.0, parse=float),
    Option("alpha", "train", 0.0, "L2 penalty on the weights, scikit-learn's alpha: "
           "alpha/2 ||W||^2 per batch, divided by the batch's rows", non_negative, "--alpha",
           "alpha", param_default=1e-4, parse=float),
    Option("schedule", "train", None, "learning-rate schedule: step, cosine, plateau, "
           "invscaling (lr / (t+1)^power_t, t the samples seen) or adaptive (lr / 5 when "
           "--patience epochs fail to improve, instead of stopping)",
           choice(*SCHEDULES, none="constant"), "--schedule", "learning_rate",
           param_default="constant", parse=str, choices=SCHEDULES),
    Option("power_t", "train", 0.5, "the exponent of the invscaling schedule", non_negative,
           "--power-t", "power_t", parse=float),
    Option("batch_size", "train", "auto", "samples per step; 'auto': n/64 rows, between 32 and "
           "64 (min(200, n) for the estimators, as scikit-learn); 'full': full-batch gradient "
           "descent", batch_size, "--batch-size", "batch_size", parse=parse_batch_size),
    Option("epochs", "train", None, "passes over the training data (lbfgs: iterations); "
           "default: until the validation loss stops improving (--patience), at most 300",
           optional_positive_int, "--epochs", "max_iter", param_default=200, parse=int),
    Option("shuffle", "train", True, "reshuffle the rows every epoch", flag, "--no-shuffle",
           "shuffle"),
    Option("val_fraction", "train", 0.2, "share of the training rows held out for validation "
           "(early stopping watches it)", fraction, "--val-fraction", "validation_fraction",
           param_default=0.1, parse=float),
    Option("patience", "train", None, "stop after N epochs without improvement of the "
           "validation loss (of the training loss when nothing is held out); default: 10 when "
           "--epochs is not given, else off",
           optional_positive_int, "--patience", "n_iter_no_change", param_default=10,
           parse=int),
    Option("tol", "train", 1e-4, "the least improvement that counts, for --patience (lbfgs: "
           "the gradient tolerance)", non_negative, "--tol", "tol", parse=float),
    Option("beta_1", "train", 0.9, "adam / adamw: decay of the gradient's running mean",
           fraction, "--beta-1", "beta_1", parse=float),
    Option("beta_2", "train", 0.999, "adam / adamw: decay of the squared gradient's running "
           "mean", fraction, "--beta-2", "beta_2", parse=float),
    Option("epsilon", "train", 1e-8, "adam / adamw: added to the denominator", positive,
           "--epsilon", "epsilon", parse=float),
    Option("max_fun", "train", 15000, "lbfgs: the most loss evaluations", positive_int,
           "--max-fun", "max_fun", parse=int),
    Option("class_weight", "train", None, "weight classes by rarity ('balanced')",
           class_weight, "--class-weight", "class_weight", parse=str, choices=("balanced",)),
    Option("seed", "train", 0, "seed for weights, batches and splits", seed, "--seed",
           "random_state", param_default=None, parse=int),
    # [run]: where and how it runs
    Option("engine", "run", None, "numpy (default on the CPU: no torch import) or torch "
           "(default for a GPU)", choice(*ENGINES), "--engine", "engine", parse=str,
           choices=ENGINES),
    Option("device", "run", "auto", "auto, cpu, cuda or mps (torch engine)", text,
           "--device", "device", parse=str),
    Option("threads", "run", None, "CPU threads (default: 1 for the numpy engine, all for "
           "torch)", optional_positive_int, "--threads", "threads", parse=int),
    Option("data_loader", "run", False, "torch engine: keep the data in host memory and feed "
           "batches through a DataLoader", flag, "--data-loader", "data_loader"),
    Option("checkpoint_every", "run", 2.0, "seconds between checkpoints (0: every epoch)",
           non_negative, "--checkpoint-every", parse=float),
    Option("animate", "run", False, "also write a GIF of the decision boundary forming (2-D "
           "data)", flag, "--animate"),
)

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}

# Parameters only the estimators have, and flags only `mlpkit train` has: each with the reason.
ESTIMATOR_ONLY = {
    "early_stopping": "scikit-learn's switch: hold out validation_fraction and watch it "
                      "(off: watch the training loss, as scikit-learn does)",
    "warm_start": "scikit-learn's switch: fit starts from the weights of the previous fit "
                  "(the command line's --resume continues a run)",
    "callbacks": "Python objects; the command line has its own (checkpoint, progress)",
    "verbose": "the command line shows progress unless --quiet",
}
COMMAND_LINE_ONLY = {
    "config", "out", "resume", "quiet",                   # where a run is read from / written
    "nproc",                      # how many processes train it (the same result, any number)
    "dataset", "data_dir", "csv", "target", "test_csv", "impute", "task", "features", "drop",
    "stream", "data_option",
}


def section(name: str) -> list[Option]:
    return [o for o in OPTIONS if o.section == name]


def defaults(section_name: str) -> dict[str, Any]:
    return {o.name: o.default for o in section(section_name)}


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Every value checked (and normalised) by its option's rule."""
    return {name: BY_NAME[name].validate(value) for name, value in values.items()}


def unknown(kind: str, name: str, known: list[str]) -> InvalidParameterError:
    return InvalidParameterError(
        f"Unknown {kind} {name!r}.{suggest(name, known)} Known: {', '.join(known)}.")
