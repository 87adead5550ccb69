"""Settings as dataclasses: the one home of every default.

``MLPSpec`` describes a network; both engines build from it, with the same layer indices, so
their state dicts have the same keys. ``TrainConfig`` describes how to train it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mlpkit.errors import InvalidParameterError
from mlpkit.validation import check_non_negative, check_positive

ACTIVATIONS = ("relu", "sigmoid", "tanh", "identity")
INITS = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
         "normal", "zeros")
OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw")
SCHEDULES = ("step", "cosine", "plateau")
LOSSES = ("cross_entropy", "mse")


def loss_for(task: str, loss: str | None) -> str:
    """The loss a task trains with: cross-entropy or MSE (on softmax vs one-hot) for
    classification, MSE for regression."""
    chosen = loss or ("cross_entropy" if task == "classification" else "mse")
    if task == "regression" and chosen != "mse":
        raise InvalidParameterError(f"A regression target trains with loss 'mse', not {chosen!r}.")
    return chosen
TASKS = ("classification", "regression")


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> None:
    from mlpkit.registry import resolve

    resolve(name, value, {c: c for c in choices})   # raises with "did you mean"


@dataclass
class MLPSpec:
    """Linear -> activation [-> dropout] for each hidden size, then a Linear output layer."""

    n_inputs: int
    n_outputs: int
    hidden: tuple[int, ...] = (100,)
    activation: str = "relu"
    init: str = "default"
    dropout: float = 0.0

    def __post_init__(self) -> None:
        self.hidden = tuple(self.hidden)
        check_positive(self.n_inputs, "n_inputs", integer=True)
        check_positive(self.n_outputs, "n_outputs", integer=True)
        for size in self.hidden:
            check_positive(size, "each hidden layer size", integer=True)
        self.activation = self.activation.lower()
        _choice(self.activation, "activation", ACTIVATIONS)
        _choice(self.init, "initializer", INITS)
        if isinstance(self.dropout, bool) or not 0.0 <= self.dropout < 1.0:
            raise InvalidParameterError(f"dropout must lie in [0, 1), got {self.dropout!r}.")

    def layers(self) -> list[tuple]:
        """The plan both engines follow, layer by layer:
        ("linear", in, out) | ("activation", name) | ("dropout", p)."""
        plan: list[tuple] = []
        width = self.n_inputs
        for size in self.hidden:
            plan.append(("linear", width, size))
            plan.append(("activation", self.activation))
            if self.dropout > 0:
                plan.append(("dropout", self.dropout))
            width = size
        plan.append(("linear", width, self.n_outputs))
        return plan

    def n_parameters(self) -> int:
        return sum(layer[1] * layer[2] + layer[2] for layer in self.layers()
                   if layer[0] == "linear")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MLPSpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidParameterError(f"Unknown model spec field(s): {unknown}.")
        return cls(**data)


@dataclass
class TrainConfig:
    """How to train: optimizer, batches, epochs, validation, regularisation, seed."""

    epochs: int = 20
    batch_size: int | None = 64          # None: full-batch gradient descent
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0                # sgd and rmsprop
    nesterov: bool = False               # sgd
    weight_decay: float = 0.0            # L2 (adamw: decoupled)
    schedule: str | None = None          # step | cosine | plateau
    val_fraction: float = 0.1            # held out of the training data; 0 for none
    patience: int | None = None          # early stopping on validation loss
    class_weight: str | dict | None = None   # "balanced" or {class index: weight}
    seed: int = 0
    loss: str | None = None              # None: cross_entropy (classification), mse (regression)

    def __post_init__(self) -> None:
        check_positive(self.epochs, "epochs", integer=True)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InvalidParameterError(f"seed must be a whole number, got {self.seed!r}.")
        if self.batch_size is not None:
            check_positive(self.batch_size, "batch_size", integer=True)
        self.optimizer = self.optimizer.lower()
        _choice(self.optimizer, "optimizer", OPTIMIZERS)
        check_positive(self.lr, "lr")
        check_non_negative(self.momentum, "momentum")
        check_non_negative(self.weight_decay, "weight_decay")
        if self.momentum and self.optimizer not in ("sgd", "rmsprop"):
            raise InvalidParameterError(
                f"momentum applies to sgd and rmsprop, not {self.optimizer}.")
        if self.nesterov and (self.optimizer != "sgd" or not self.momentum):
            raise InvalidParameterError("nesterov needs optimizer 'sgd' and momentum > 0.")
        if self.schedule is not None:
            _choice(self.schedule, "schedule", SCHEDULES)
        if isinstance(self.val_fraction, bool) or not 0.0 <= self.val_fraction < 1.0:
            raise InvalidParameterError(
                f"val_fraction must lie in [0, 1), got {self.val_fraction!r}.")
        if self.patience is not None:
            check_positive(self.patience, "patience", integer=True)
            if self.val_fraction == 0:
                raise InvalidParameterError(
                    "Early stopping (patience) watches the validation loss; set val_fraction > 0.")
        if self.loss is not None:
            _choice(self.loss, "loss", LOSSES)
        if isinstance(self.class_weight, str) and self.class_weight != "balanced":
            raise InvalidParameterError(
                f"class_weight must be 'balanced' or a dict, got {self.class_weight!r}.")

    def optimizer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments that both engines' optimizers (ours and torch.optim's) accept."""
        kwargs: dict[str, Any] = {"lr": self.lr, "weight_decay": self.weight_decay}
        if self.optimizer in ("sgd", "rmsprop"):
            kwargs["momentum"] = self.momentum
        if self.optimizer == "sgd":
            kwargs["nesterov"] = self.nesterov
        return kwargs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)



@dataclass
class RunConfig:
    """Everything ``mlpkit train`` needs to run, and to run again from ``config.toml``."""

    dataset: str = "blobs"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    scale: bool = True                   # standardise features with training statistics
    hidden: tuple[int, ...] = (100,)
    activation: str = "relu"
    init: str = "default"
    dropout: float = 0.0
    engine: str | None = None            # None: numpy on the CPU, torch for a named GPU
    device: str = "auto"
    threads: int | None = None           # None: 1 BLAS thread (numpy engine), torch's default
    checkpoint_every: float = 2.0        # seconds between checkpoints (0: after every epoch)
    animate: bool = False                # a GIF of the decision boundary (2-D data only)
    data_loader: bool = False            # torch: host arrays through a DataLoader
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_toml_dict(self) -> dict[str, Any]:
        """TOML has no null: None values are left out, full batch is written as "full"."""
        train = {k: v for k, v in self.train.to_dict().items() if v is not None}
        train["batch_size"] = self.train.batch_size or "full"
        if isinstance(self.train.class_weight, dict):
            train["class_weight"] = {str(k): v for k, v in self.train.class_weight.items()}
        run = {"device": self.device, "checkpoint_every": self.checkpoint_every,
               "animate": self.animate, "data_loader": self.data_loader}
        if self.engine is not None:
            run["engine"] = self.engine
        if self.threads is not None:
            run["threads"] = self.threads
        return {
            "run": run,
            "data": {"dataset": self.dataset, "scale": self.scale,
                     "options": {k: (str(v) if k in ("path", "test_path", "data_dir") else v)
                                 for k, v in self.dataset_options.items() if v is not None}},
            "model": {"hidden": list(self.hidden), "activation": self.activation,
                      "init": self.init, "dropout": self.dropout},
            "train": train,
        }

    @classmethod
    def from_toml_dict(cls, data: dict[str, Any]) -> RunConfig:
        sections = {"run", "data", "model", "train"}
        unknown = sorted(set(data) - sections)
        if unknown:
            raise InvalidParameterError(f"Unknown config section(s) {unknown}; known: "
                                        f"{sorted(sections)}.")
        run, data_, model = data.get("run", {}), data.get("data", {}), data.get("model", {})
        train = dict(data.get("train", {}))
        if train.get("batch_size") == "full":
            train["batch_size"] = None
        if isinstance(train.get("class_weight"), dict):
            train["class_weight"] = {int(k): v for k, v in train["class_weight"].items()}
        try:
            return cls(dataset=data_.get("dataset", "blobs"),
                       dataset_options=dict(data_.get("options", {})),
                       scale=data_.get("scale", True), **model,
                       engine=run.get("engine"), device=run.get("device", "auto"),
                       threads=run.get("threads"),
                       checkpoint_every=run.get("checkpoint_every", 2.0),
                       animate=run.get("animate", False),
                       data_loader=run.get("data_loader", False),
                       train=TrainConfig(**train))
        except TypeError as exc:
            raise InvalidParameterError(f"Config has an unknown setting: {exc}.") from None
