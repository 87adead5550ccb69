"""THE option table: every training option declared once, for every door.

Each row names the option's config field, its ``config.toml`` section, its command-line FLAG,
its estimator parameter, its default, how the command line parses it and its constraint
(``constraints.py``: data, which checks a value and says the same in scikit-learn's terms).
``cli/arguments.py`` builds its flags from this table, ``RunConfig`` reads and writes
``config.toml`` through it, and the estimators take their parameters and their
``_parameter_constraints`` from it, so an option cannot exist in one door and not in another;
``tests/test_options.py`` proves it. The rules that tie options together are in ``config.py``.

An estimator default differs from the command line's only where scikit-learn's MLP sets the
convention its users expect (``param_default``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlpkit.constraints import (
    BatchSize,
    Choice,
    ClassWeight,
    Flag,
    Interval,
    LayerSizes,
    Members,
    PerLayer,
    Seed,
    Text,
)
from mlpkit.errors import InvalidParameterError
from mlpkit.option_parsing import parse_batch_size, parse_members, parse_patience
from mlpkit.validation import suggest

ACTIVATIONS = ("relu", "sigmoid", "tanh", "identity", "selu", "mish")
ALIASES = {"logistic": "sigmoid",             # scikit-learn's names for the same things
           "log_loss": "cross_entropy"}
INITS = ("default", "sklearn", "xavier_uniform", "xavier_normal", "kaiming_uniform",
         "kaiming_normal", "normal", "zeros")
OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw", "lbfgs")
MOMENTUM_OPTIMIZERS = ("sgd", "rmsprop")     # the optimizers momentum applies to
SCHEDULES = ("step", "cosine", "coslog4", "plateau", "invscaling", "adaptive")
SCALERS = ("standard", "robust")
LOSSES = ("cross_entropy", "mse", "squared_error", "poisson")
ENGINES = ("numpy", "torch")
SAME = object()     # param_default: the same default as the command line's

Check = Callable[[Any, str], Any]   # (value, label) -> the value, normalised; raises if invalid

# The constraints the table uses more than once
POSITIVE_INT = Interval(int, 0, None, closed="neither")
OPTIONAL_POSITIVE_INT = Interval(int, 0, None, closed="neither", optional=True)
POSITIVE = Interval(float, 0, None, closed="neither")
NON_NEGATIVE = Interval(float, 0, None, closed="left")
FRACTION = Interval(float, 0, 1, closed="left", to_float=True)          # [0, 1)
FRACTION_OR_ONE = Interval(float, 0, 1, closed="both", to_float=True)   # [0, 1]
FLAG = Flag()
MEMBERS = Members()


def choice(*names: str, none: str | None = None) -> Choice:
    """One of ``names`` or scikit-learn's alias of one; ``none``: the word for None."""
    return Choice(names, ALIASES, none)


@dataclass(frozen=True)
class Option:
    name: str                      # the field in MLPSpec / TrainConfig / RunConfig
    section: str                   # config.toml: [model], [data], [train] or [run]
    default: Any
    help: str
    check: Check                   # a constraint (constraints.py)
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
    Option("hidden", "model", (100,), "hidden layer sizes", LayerSizes(), "--hidden",
           "hidden_layer_sizes", parse=int, nargs="+"),
    Option("activation", "model", "relu", "relu, sigmoid, tanh, identity, selu or mish",
           choice(*ACTIVATIONS), "--activation", "activation", parse=str),
    Option("activations", "model", None, "one activation per hidden layer, in order (instead "
           "of --activation for all), e.g. relu tanh", PerLayer(choice(*ACTIVATIONS)),
           "--activations", parse=str, nargs="+"),
    Option("embedding", "model", None, "piecewise: each number becomes 16 values, one per "
           "bin between its training quantiles (1 below it, 0 above, the fraction inside; "
           "each scaled as the robust scaler scales a number): a threshold is one weight "
           "away; periodic: each number also goes through 16 cosines of learned frequencies "
           "and a small linear map to 3 values, put beside it (RealMLP's embedding); table: "
           "the table recipe's, piecewise for a regression of 1000 training rows or more, "
           "else periodic; "
           "none: the inputs as they are", choice("periodic", "piecewise", "table", none="none"),
           "--embedding", "embedding", parse=str,
           choices=("none", "periodic", "piecewise", "table")),
    Option("ensemble", "model", 1, "K members trained side by side in one network (each its own "
           "weights from its own draw, the periodic embedding shared), their predictions "
           "averaged: K seeds' ensemble at the cost of one run's steps; 'table': the table "
           "recipe's, 4 for regression and 1 for classification", MEMBERS, "--ensemble",
           "ensemble", parse=parse_members),
    Option("input_scaling", "model", False, "a learned scale per input before the network "
           "(RealMLP's scaling layer; it learns 6 times as fast as the weights): how much each "
           "column counts is learned", FLAG, "--input-scaling", "input_scaling"),
    Option("parametric_activation", "model", False, "each hidden unit learns how much of its "
           "activation f to apply: x + a (f(x) - x), a from 1 (RealMLP's parametric "
           "activation)", FLAG, "--parametric-activation", "parametric_activation"),
    Option("parametrization", "model", "standard", "standard: a layer computes x W^T + b; "
           "ntk: x W^T / sqrt(fan_in) + b with the weights drawn sqrt(fan_in) times as large "
           "(the same network at first, but under adam a weight moves 1/sqrt(fan_in) as fast "
           "as a bias; RealMLP's)", choice("standard", "ntk"), "--parametrization",
           "parametrization", parse=str, choices=("standard", "ntk")),
    Option("category_embedding", "model", 0, "a text column of more than 9 values: each value "
           "a learned vector of N numbers instead of a 0/1 input each (RealMLP's 8); 0: every "
           "category one-hot", Interval(int, 0, None, closed="left"), "--category-embedding",
           "category_embedding", parse=int),
    Option("init", "model", "default", "weight init: default (PyTorch's), sklearn "
           "(scikit-learn's Glorot range, biases too), xavier_uniform, kaiming_uniform, ...",
           choice(*INITS), "--init", "init", param_default="sklearn", parse=str,
           label="initializer"),
    Option("dropout", "model", 0.0, "dropout after each hidden layer", FRACTION, "--dropout",
           "dropout", parse=float),
    # [data]: preprocessing fitted on the training rows
    Option("scale", "data", True, "standardise the features (and a regression target) with "
           "training statistics", FLAG, "--no-scale", "scale", param_default=False),
    Option("scaler", "data", "standard", "how features are scaled: standard (mean and standard "
           "deviation) or robust (median and interquartile range, then a smooth clip to "
           "(-3, 3): outliers and long tails no longer dominate)", choice(*SCALERS),
           "--scaler", "scaler", parse=str, choices=SCALERS),
    Option("clip_output", "data", False, "regression: clip every prediction to the range of "
           "the training targets (an extrapolating network cannot answer far outside it)",
           FLAG, "--clip-output", "clip_output"),
    # [train]: how to train
    Option("loss", "train", None, "classification: cross_entropy (default) or mse between "
           "softmax and one-hot targets; regression: mse, squared_error (half the MSE, "
           "scikit-learn's) or poisson (half the Poisson deviance through a log link, for "
           "counts y >= 0)",
           choice(*LOSSES), "--loss", "loss", parse=str, choices=LOSSES),
    Option("optimizer", "train", "adam", "sgd, rmsprop, adam, adamw or lbfgs (full-batch "
           "L-BFGS through SciPy, for small data sets)", choice(*OPTIMIZERS), "--optimizer",
           "solver", parse=str),
    Option("lr", "train", 1e-3, "learning rate (the initial one under a schedule)", POSITIVE,
           "--lr", "learning_rate_init", parse=float),
    Option("bias_lr_factor", "train", 1.0, "the biases' learning rate as a multiple of --lr "
           "(RealMLP's 0.1: a bias moves a unit's whole output at once)", POSITIVE,
           "--bias-lr-factor", "bias_lr_factor", parse=float),
    Option("momentum", "train", 0.0, "momentum for sgd / rmsprop", FRACTION_OR_ONE,
           "--momentum", "momentum", param_default=0.9, parse=float),
    Option("nesterov", "train", False, "Nesterov momentum (sgd)", FLAG, "--nesterov",
           "nesterovs_momentum", param_default=True),
    Option("weight_decay", "train", 1e-4, "L2 weight decay on every parameter, as torch.optim "
           "(adamw: decoupled)", NON_NEGATIVE, "--weight-decay", "weight_decay",
           param_default=0.0, parse=float),
    Option("alpha", "train", 0.0, "L2 penalty on the weights, scikit-learn's alpha: "
           "alpha/2 ||W||^2 per batch, divided by the batch's rows", NON_NEGATIVE, "--alpha",
           "alpha", param_default=1e-4, parse=float),
    Option("l1", "train", 0.0, "L1 penalty on the weights: l1 ||W||_1 per batch, divided by "
           "the batch's rows (drives weights to exactly zero)", NON_NEGATIVE, "--l1",
           parse=float),
    Option("label_smoothing", "train", 0.0, "classification: train against (1 - e) one-hot "
           "+ e / classes instead of one-hot (cross-entropy; as torch's label_smoothing)",
           FRACTION, "--label-smoothing", "label_smoothing", parse=float),
    Option("schedule", "train", None, "learning-rate schedule: step, cosine, coslog4 (four "
           "cosine cycles on a log time axis, each from 0 up to lr and back; RealMLP's), "
           "plateau, invscaling (lr / (t+1)^power_t, t the samples seen) or adaptive (lr / 5 when "
           "--patience epochs fail to improve, instead of stopping)",
           choice(*SCHEDULES, none="constant"), "--schedule", "learning_rate",
           param_default="constant", parse=str, choices=("constant", *SCHEDULES)),
    Option("regularization_schedule", "train", None, "dropout and weight decay: flat_cos "
           "(RealMLP's) keeps them for half the planned epochs (under early stopping, of "
           "--min-epochs), then takes them to 0 along half a cosine",
           choice("flat_cos", none="constant"), "--regularization-schedule",
           "regularization_schedule", parse=str, choices=("constant", "flat_cos")),
    Option("power_t", "train", 0.5, "the exponent of the invscaling schedule", NON_NEGATIVE,
           "--power-t", "power_t", parse=float),
    Option("batch_size", "train", "auto", "samples per step; 'auto': n/64 rows, between 32 and "
           "64 (min(200, n) for the estimators, as scikit-learn); 'table' (the table recipe's): "
           "n/8 rows, between 32 and 128; 'full': full-batch gradient descent", BatchSize(),
           "--batch-size", "batch_size", parse=parse_batch_size),
    Option("epochs", "train", None, "passes over the training data (lbfgs: iterations); "
           "default: until the validation loss stops improving (--patience), at most 300",
           OPTIONAL_POSITIVE_INT, "--epochs", "max_iter", param_default=200, parse=int),
    Option("shuffle", "train", True, "reshuffle the rows every epoch", FLAG, "--no-shuffle",
           "shuffle"),
    Option("val_fraction", "train", 0.2, "share of the training rows held out for validation "
           "(early stopping watches it)", FRACTION, "--val-fraction", "validation_fraction",
           param_default=0.1, parse=float),
    Option("patience", "train", None, "stop after N epochs without improvement of the "
           "validation loss (of the training loss when nothing is held out); inf: never stop, "
           "but keep the best epoch; default: 10 when --epochs is not given, else off",
           Interval(int, 0, None, closed="neither", optional=True, infinite=True),
           "--patience", "n_iter_no_change", param_default=10,
           parse=parse_patience),
    Option("min_epochs", "train", 0, "train at least N epochs before --patience may stop "
           "(PyTorch Lightning's min_epochs; at most --epochs)",
           Interval(int, 0, None, closed="left"), "--min-epochs", "min_epochs", parse=int),
    Option("tol", "train", 1e-4, "the least improvement that counts, for --patience (lbfgs: "
           "the gradient tolerance)", NON_NEGATIVE, "--tol", "tol", parse=float),
    Option("beta_1", "train", 0.9, "adam / adamw: decay of the gradient's running mean",
           FRACTION, "--beta-1", "beta_1", parse=float),
    Option("beta_2", "train", 0.999, "adam / adamw: decay of the squared gradient's running "
           "mean", FRACTION, "--beta-2", "beta_2", parse=float),
    Option("epsilon", "train", 1e-8, "adam / adamw: added to the denominator", POSITIVE,
           "--epsilon", "epsilon", parse=float),
    Option("max_fun", "train", 15000, "lbfgs: the most loss evaluations", POSITIVE_INT,
           "--max-fun", "max_fun", parse=int),
    Option("class_weight", "train", None, "weight classes by rarity ('balanced')",
           ClassWeight(), "--class-weight", "class_weight", parse=str, choices=("balanced",)),
    Option("seed", "train", 0, "seed for weights, batches and splits", Seed(), "--seed",
           "random_state", param_default=None, parse=int),
    # [run]: where and how it runs
    Option("engine", "run", None, "numpy (default on the CPU: no torch import) or torch "
           "(default for a GPU)", choice(*ENGINES), "--engine", "engine", parse=str,
           choices=ENGINES),
    Option("device", "run", "auto", "auto, cpu, cuda or mps (torch engine)", Text(),
           "--device", "device", parse=str),
    Option("threads", "run", None, "CPU threads (default: 1 for the numpy engine, all for "
           "torch)", OPTIONAL_POSITIVE_INT, "--threads", "threads", parse=int),
    Option("data_loader", "run", False, "torch engine: keep the data in host memory and feed "
           "batches through a DataLoader", FLAG, "--data-loader", "data_loader"),
    Option("checkpoint_every", "run", 2.0, "seconds between checkpoints (0: every epoch)",
           NON_NEGATIVE, "--checkpoint-every", parse=float),
    Option("baselines", "run", True, "a table's run also fits the constant guess, a linear "
           "model and HistGradientBoosting on its split and reports their test scores",
           FLAG, "--no-baselines"),
    Option("animate", "run", False, "also write a GIF of the decision boundary forming (2-D "
           "data)", FLAG, "--animate"),
)

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}

# Parameters only the estimators have, and flags only `mlpkit train` has: each with the reason.
ESTIMATOR_ONLY = {
    "early_stopping": "scikit-learn's switch: hold out validation_fraction and watch it "
                      "(off: watch the training loss, as scikit-learn does)",
    "monitor": "what early_stopping watches: 'score' (the validation accuracy or R², "
               "scikit-learn's rule, the default) or 'loss' (the validation loss, as the "
               "command line does)",
    "warm_start": "scikit-learn's switch: fit starts from the weights of the previous fit "
                  "(the command line's --resume continues a run)",
    "callbacks": "Python objects; the command line has its own (checkpoint, progress)",
    "verbose": "the command line shows progress unless --quiet",
}
COMMAND_LINE_ONLY = {
    "config", "out", "resume", "quiet",                   # where a run is read from / written
    "nproc", "nnodes", "rdzv_endpoint",   # how many processes train it (the same result)
    "dataset", "data_dir", "csv", "target", "test_csv", "impute", "task", "features", "drop",
    "stream", "data_option", "point_masses", "codes",
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
