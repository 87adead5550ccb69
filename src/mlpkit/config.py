"""Settings as dataclasses, their defaults and checks taken from the option table.

``MLPSpec`` describes a network; both engines build from it, with the same layer indices, so
their state dicts have the same keys. ``TrainConfig`` describes how to train it. ``RunConfig``
is a whole run of ``mlpkit train`` and its ``config.toml``. Every option's default and check
lives in ``options.py``; here are only the rules that tie options together.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from mlpkit import options, plan
from mlpkit.errors import InvalidParameterError
from mlpkit.option_rules import RULES, per_layer
from mlpkit.options import BY_NAME, MOMENTUM_OPTIMIZERS
from mlpkit.plan import BINS
from mlpkit.tasks import AVERAGED, LINKS
from mlpkit.validation import check_bins, check_blocks, check_embedded, check_positive

MAX_EPOCHS = 300      # training to convergence: the most epochs (measured: benchmarks/)
AUTO_PATIENCE = 10    # ... and the epochs without improvement that end it
LATER_FIELDS = {"activations": None, "embedding": None, "embedded": None, "ensemble": 1,
                "averaged": "identity", "input_scaling": False, "bins": None,
                "parametric_activation": False, "parametrization": "standard",
                "categories": None, "category_embedding": 0}                   # and defaults


def _default(name: str) -> Any:
    return BY_NAME[name].default


def _validate_fields(obj: Any, names: list[str]) -> None:
    """Run each option's check on the dataclass field of the same name (normalising it)."""
    for name in names:
        object.__setattr__(obj, name, BY_NAME[name].validate(getattr(obj, name)))


@dataclass
class MLPSpec:
    """[an embedding,] Linear -> activation [-> dropout] per hidden size, a Linear output."""

    n_inputs: int
    n_outputs: int
    hidden: tuple[int, ...] = _default("hidden")
    activation: str = _default("activation")
    init: str = _default("init")
    dropout: float = _default("dropout")
    link: str = "identity"     # a regression output's link (link_for): log predicts exp(out)
    activations: tuple[str, ...] | None = None   # per hidden layer, else ``activation`` for all
    embedding: str | None = None     # "periodic" | "piecewise": the inputs first go through one
    embedded: tuple[int, ...] | None = None   # ... which embeds these inputs (None: all)
    ensemble: int = _default("ensemble")      # K members side by side, averaged
    input_scaling: bool = _default("input_scaling")    # a learned scale per input first
    averaged: str = "identity"    # what is averaged: members' softmax, sigmoid, exp or outputs
    bins: tuple[tuple[float, ...], ...] | None = None   # piecewise: fit_bins' per embedded input
    parametric_activation: bool = _default("parametric_activation")   # x + a (f(x) - x)
    parametrization: str = _default("parametrization")   # ntk: weights times 1/sqrt(fan_in)
    category_embedding: int = _default("category_embedding")   # values per embedded category
    categories: tuple[tuple[int, int], ...] | None = None   # ... whose one-hot inputs these are

    def __post_init__(self) -> None:
        check_positive(self.n_inputs, "n_inputs", integer=True)
        check_positive(self.n_outputs, "n_outputs", integer=True)
        _validate_fields(self, [o.name for o in options.section("model")])
        if self.averaged not in AVERAGED:
            raise InvalidParameterError(f"Unknown ensemble average {self.averaged!r}; one of "
                                        f"{AVERAGED}.")
        if self.link not in LINKS:
            raise InvalidParameterError(f"Unknown output link {self.link!r}; one of {LINKS}.")
        broken = per_layer(self.hidden, self.activations)
        if broken:
            raise InvalidParameterError(broken)
        if self.embedded is not None:
            self.embedded = check_embedded(self.embedded, self.n_inputs)
        if self.categories is not None:
            self.categories = check_blocks(self.categories, self.n_inputs,
                                           self.category_embedding)
        if self.bins is not None:
            self.bins = check_bins(self.bins, len(self.embedded or range(self.n_inputs)), BINS)

    def weight_gain(self, fan_in: int) -> float:
        """What a linear layer multiplies its stored weights by: 1, or 1/sqrt(fan_in) (ntk)."""
        return 1.0 if self.parametrization == "standard" else fan_in ** -0.5

    def activation_of(self, layer: int) -> str:
        """The activation after hidden layer ``layer`` (from 0)."""
        return self.activation if self.activations is None else self.activations[layer]

    def layers(self) -> list[tuple]:
        """The plan both engines follow, layer by layer (``plan.layers`` says its terms)."""
        return plan.layers(self)

    def to_dict(self) -> dict[str, Any]:
        """The fields, tuples as lists; later ones only where set (older files lack them)."""
        return {name: list(value) if isinstance(value, tuple) else value
                for name, value in asdict(self).items()
                if name not in LATER_FIELDS or value != LATER_FIELDS[name]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MLPSpec:
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise InvalidParameterError(f"Unknown model spec field(s): {unknown}.")
        return cls(**data)


@dataclass
class TrainConfig:
    """How to train: optimizer, batches, epochs, validation, regularisation, seed."""

    loss: str | None = _default("loss")      # None: cross_entropy, or mse for regression
    optimizer: str = _default("optimizer")
    lr: float = _default("lr")
    bias_lr_factor: float = _default("bias_lr_factor")
    momentum: float = _default("momentum")
    nesterov: bool = _default("nesterov")
    weight_decay: float = _default("weight_decay")
    alpha: float = _default("alpha")
    l1: float = _default("l1")
    label_smoothing: float = _default("label_smoothing")
    schedule: str | None = _default("schedule")
    regularization_schedule: str | None = _default("regularization_schedule")
    power_t: float = _default("power_t")
    batch_size: int | str | None = _default("batch_size")   # None: full batch; "auto"
    epochs: int | None = _default("epochs")        # None: until the monitored loss stops
    shuffle: bool = _default("shuffle")
    val_fraction: float = _default("val_fraction")
    patience: int | None = _default("patience")    # None: AUTO_PATIENCE if epochs is None
    min_epochs: int = _default("min_epochs")       # patience stops no earlier
    tol: float = _default("tol")
    beta_1: float = _default("beta_1")
    beta_2: float = _default("beta_2")
    epsilon: float = _default("epsilon")
    max_fun: int = _default("max_fun")
    class_weight: str | dict | None = _default("class_weight")
    seed: int = _default("seed")

    def __post_init__(self) -> None:
        _validate_fields(self, [f.name for f in fields(self)])

    @property
    def full_batch_solver(self) -> bool:
        """L-BFGS: one SciPy run over the whole training set, not minibatch epochs."""
        return self.optimizer == "lbfgs"

    @property
    def max_epochs(self) -> int:
        """The epochs to run at most: ``epochs``, or MAX_EPOCHS when training to convergence."""
        return self.epochs or MAX_EPOCHS

    @property
    def stopping_patience(self) -> int | None:
        """Epochs without improvement that end training (None: never): ``patience``, else
        AUTO_PATIENCE when no epoch count was given."""
        if self.patience is not None:
            return self.patience
        return AUTO_PATIENCE if self.epochs is None else None

    def batch_for(self, n_samples: int) -> int | None:
        """The batch for ``n_samples`` training rows ("auto": n/64, within 32..64: a small
        table still takes several steps an epoch; "table": n/8 within 32..128)."""
        if self.batch_size not in ("auto", "table"):
            return self.batch_size
        top, share = (64, 64) if self.batch_size == "auto" else (128, 8)
        return int(min(n_samples, max(32, min(top, n_samples // share))))

    def optimizer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments that both engines' optimizers (ours and torch.optim's) accept."""
        kwargs: dict[str, Any] = {"lr": self.lr, "weight_decay": self.weight_decay}
        if self.optimizer in MOMENTUM_OPTIMIZERS:
            kwargs["momentum"] = self.momentum
        if self.optimizer == "sgd":
            kwargs["nesterov"] = self.nesterov
        if self.optimizer in ("adam", "adamw"):
            kwargs |= {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon}
        return kwargs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunConfig:
    """Everything one training run needs, and ``config.toml``'s contents: where the data
    comes from (``dataset``, ``dataset_options``) and every option of the table."""

    dataset: str = "blobs"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    hidden: tuple[int, ...] = _default("hidden")
    activation: str = _default("activation")
    activations: tuple[str, ...] | None = _default("activations")
    embedding: str | None = _default("embedding")
    ensemble: int = _default("ensemble")
    input_scaling: bool = _default("input_scaling")
    parametric_activation: bool = _default("parametric_activation")
    parametrization: str = _default("parametrization")
    category_embedding: int = _default("category_embedding")
    init: str = _default("init")
    dropout: float = _default("dropout")
    scale: bool = _default("scale")
    scaler: str = _default("scaler")
    clip_output: bool = _default("clip_output")
    engine: str | None = _default("engine")      # None: numpy on the CPU, torch for a GPU
    device: str = _default("device")
    threads: int | None = _default("threads")
    data_loader: bool = _default("data_loader")
    checkpoint_every: float = _default("checkpoint_every")
    animate: bool = _default("animate")
    baselines: bool = _default("baselines")
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        _validate_fields(self, [o.name for o in options.OPTIONS if o.section != "train"])
        for rule in RULES:
            broken = rule(self)
            if broken:
                raise InvalidParameterError(broken)

    def option_values(self) -> dict[str, Any]:
        """Every option of the table, by name."""
        return {o.name: getattr(self.train if o.section == "train" else self, o.name)
                for o in options.OPTIONS}

    def with_options(self, values: dict[str, Any]) -> RunConfig:
        """A copy with the named options changed (each routed to its section)."""
        train = {k: v for k, v in values.items() if BY_NAME[k].section == "train"}
        rest = {k: v for k, v in values.items() if BY_NAME[k].section != "train"}
        return replace(self, train=replace(self.train, **train), **rest)

    def to_toml_dict(self) -> dict[str, Any]:
        """TOML has no null: None is left out; full batch is "full"; class weights by name."""
        doc: dict[str, dict[str, Any]] = {"run": {}, "data": {}, "model": {}, "train": {}}
        doc["data"]["dataset"] = self.dataset
        doc["data"]["options"] = {k: (str(v) if k in ("path", "test_path", "data_dir") else v)
                                  for k, v in self.dataset_options.items() if v is not None}
        for name, value in self.option_values().items():
            if name == "batch_size" and value is None:
                value = "full"      # TOML has no null; None elsewhere means "the default"
            elif value is None and getattr(BY_NAME[name].check, "none", None):
                value = BY_NAME[name].check.none   # said, so the table recipe's won't fill it
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = {str(k): v for k, v in value.items()}
            if value is not None:
                doc[BY_NAME[name].section][name] = value
        return doc

    @classmethod
    def from_toml_dict(cls, doc: dict[str, Any]) -> RunConfig:
        sections = ("run", "data", "model", "train")
        for name in doc:
            if name not in sections:
                raise options.unknown("config section", name, list(sections))
        values: dict[str, Any] = {}
        for name in sections:
            for key, value in doc.get(name, {}).items():
                if name == "data" and key in ("dataset", "options"):
                    continue
                known = [o.name for o in options.section(name)]
                if key not in known:
                    raise options.unknown(f"[{name}] setting", key, known)
                values[key] = value
        if values.get("batch_size") == "full":
            values["batch_size"] = None
        if isinstance(values.get("class_weight"), dict):
            values["class_weight"] = {int(k): v for k, v in values["class_weight"].items()}
        data = doc.get("data", {})
        base = cls.for_data(data.get("dataset", "blobs"), dict(data.get("options", {})))
        return base.with_options(values)

    @classmethod
    def for_data(cls, dataset: str, dataset_options: dict[str, Any]) -> RunConfig:
        """The defaults for this data: the table recipe's for a user's table (recipe.py)."""
        from mlpkit.recipe import table_defaults

        base = cls(dataset=dataset, dataset_options=dataset_options)
        return base.with_options(table_defaults(dataset, dataset_options))
