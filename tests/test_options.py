"""The option table is the only declaration: the command line, config.toml and the estimators
agree on every option's name, default and meaning."""

import inspect

import pytest

from mlpkit.cli import build_parser
from mlpkit.config import RunConfig
from mlpkit.estimators import MLPClassifier, MLPRegressor
from mlpkit.estimators.params import run_config
from mlpkit.options import BY_NAME, COMMAND_LINE_ONLY, ESTIMATOR_ONLY, OPTIONS, SAME

# A value other than the default for every option: adding an option means adding it here.
OTHER = {"hidden": (7, 3), "activation": "tanh", "activations": ("relu",), "l1": 0.01,
         "init": "xavier_uniform", "dropout": 0.25,
         "scale": False, "loss": "mse", "optimizer": "sgd", "lr": 0.05, "momentum": 0.5,
         "nesterov": True, "weight_decay": 0.01, "alpha": 0.01, "schedule": "cosine",
         "power_t": 0.25, "batch_size": 16, "epochs": 7, "shuffle": False, "val_fraction": 0.3,
         "patience": 4, "min_epochs": 3, "tol": 0.001, "beta_1": 0.8, "beta_2": 0.99,
         "epsilon": 1e-6, "max_fun": 500,
         "class_weight": "balanced", "seed": 11, "engine": "torch", "device": "cpu",
         "threads": 2, "data_loader": True, "checkpoint_every": 0.5, "animate": True,
         "baselines": False, "scaler": "robust", "label_smoothing": 0.1,
         "embedding": "periodic", "clip_output": True, "ensemble": 3, "input_scaling": True,
         "parametric_activation": True, "regularization_schedule": "flat_cos",
         "parametrization": "ntk", "bias_lr_factor": 0.1, "category_embedding": 8}


def train_parser():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    return commands.choices["train"]


def command_line(name, value):
    option = next(o for o in OPTIONS if o.name == name)
    if option.parse is None:
        return [option.flag]
    return [option.flag, *map(str, value)] if isinstance(value, tuple) else [option.flag,
                                                                             str(value)]


def test_every_option_has_another_value_here_and_differs_from_its_default():
    assert set(OTHER) == {o.name for o in OPTIONS}
    for option in OPTIONS:
        assert OTHER[option.name] != option.default, option.name


def test_the_command_line_has_exactly_the_tables_flags():
    dests: dict[str, list] = {}
    for action in train_parser()._actions:
        if action.dest != "help":
            dests.setdefault(action.dest, []).append(action)
    flagged = {o.name: o for o in OPTIONS if o.flag is not None}
    assert set(dests) == set(flagged) | COMMAND_LINE_ONLY
    for name, option in flagged.items():
        assert option.flag in dests[name][0].option_strings
        assert all(a.default is None for a in dests[name])  # not given -> config.toml, default
        if option.flag.startswith("--no-"):           # its positive twin, to undo a --config
            assert ["--" + option.flag[5:]] == dests[name][1].option_strings


def test_the_estimators_have_exactly_the_tables_parameters_with_its_defaults():
    for cls in (MLPClassifier, MLPRegressor):
        params = cls().get_params()
        table = {o.param: o for o in OPTIONS if o.param is not None}
        assert set(params) == set(table) | set(ESTIMATOR_ONLY)
        for param, option in table.items():
            if (cls, param) != (MLPRegressor, "loss"):
                assert params[param] == option.estimator_default, param
    # scikit-learn 1.7+'s MLPRegressor takes its loss first, "squared_error" (half the MSE)
    assert MLPRegressor().loss == "squared_error"
    assert BY_NAME["loss"].validate("squared_error") == "squared_error"
    assert list(inspect.signature(MLPClassifier).parameters)[:2] == ["hidden_layer_sizes",
                                                                   "activation"]
    assert list(inspect.signature(MLPRegressor).parameters)[:3] == ["loss", "hidden_layer_sizes",
                                                                  "activation"]


def test_the_estimators_take_scikit_learns_parameters_with_its_defaults():
    from sklearn.neural_network import MLPClassifier as SkClassifier
    from sklearn.neural_network import MLPRegressor as SkRegressor

    for ours, theirs in ((MLPClassifier, SkClassifier), (MLPRegressor, SkRegressor)):
        sklearn_params = theirs().get_params()
        params = ours().get_params()
        assert set(sklearn_params) <= set(params)
        for name, value in sklearn_params.items():
            assert params[name] == value, name


def test_defaults_differ_between_doors_only_where_declared():
    differing = {o.name for o in OPTIONS if o.param_default is not SAME}
    assert differing == {"epochs", "patience", "seed", "val_fraction",      # scikit-learn's
                         "momentum", "nesterov", "alpha", "weight_decay", "schedule",
                         "scale", "init"}
    values = RunConfig().option_values()
    assert values == {o.name: o.default for o in OPTIONS}


@pytest.mark.parametrize("name", sorted(OTHER))
def test_one_value_reaches_the_same_setting_through_every_door(name, tmp_path):
    value = OTHER[name]
    base = ["train", "--dataset", "blobs"]
    extra = {"patience": ["--val-fraction", "0.1"], "nesterov": ["--optimizer", "sgd",
                                                                 "--momentum", "0.9"],
             "momentum": ["--optimizer", "sgd"]}.get(name, [])
    from mlpkit.cli.arguments import run_config as _run_config

    args = build_parser().parse_args([*base, *command_line(name, value), *extra])
    from_cli = _run_config(args)
    assert from_cli.option_values()[name] == value

    import tomli_w

    (tmp_path / "c.toml").write_text(tomli_w.dumps(from_cli.to_toml_dict()))
    from mlpkit.runs.folder import read_config

    from_toml = RunConfig.from_toml_dict(read_config(tmp_path / "c.toml"))
    assert from_toml == from_cli

    option = next(o for o in OPTIONS if o.name == name)
    if option.param is None:
        assert name in ("checkpoint_every", "animate", "baselines",   # run folders only
                        "activations", "l1")      # scikit-learn's MLP has neither
        return
    params = {option.param: value}
    if name in ("val_fraction", "patience"):      # (watching the loss, as the command line)
        params.update(early_stopping=True, monitor="loss")
    if name in ("momentum", "nesterov"):
        params.update(solver="sgd", momentum=0.9 if name == "nesterov" else value)
    if name == "nesterov":
        params["nesterovs_momentum"] = value
    estimator = MLPClassifier(**params)
    assert run_config(estimator, 100, incremental=False).option_values()[name] == value


# ---- the constraints are data: scikit-learn's validation says what the table's checks say
CANDIDATES = [-1, 0, 0.5, 1, 1.5, 2, "nope", None, (3,), [4, 5], "auto", "balanced", "adam",
              "sigmoid", "logistic", "constant", "squared_error", {0: 2.0}, float("nan")]
# Where the estimators' meaning is wider than the option's own check, on purpose: tol=None runs
# every epoch, random_state takes None or a RandomState (and scikit-learn's range), and an
# estimator's hidden_layer_sizes is any array-like.
ESTIMATOR_SEMANTICS = {("tol", "None"), ("random_state", "None"), ("random_state", "-1"),
                       ("hidden_layer_sizes", "{0: 2.0}")}


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_parameter_constraints_cover_every_parameter_and_accept_the_defaults(cls):
    from sklearn.utils._param_validation import validate_parameter_constraints

    estimator = cls()
    params = estimator.get_params(deep=False)
    assert set(estimator._parameter_constraints) == set(params)
    validate_parameter_constraints(estimator._parameter_constraints, params, cls.__name__)


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.param is not None],
                         ids=lambda o: o.name)
def test_scikit_learns_reading_of_a_constraint_agrees_with_the_option_check(option):
    from sklearn.utils._param_validation import InvalidParameterError as Refused
    from sklearn.utils._param_validation import validate_parameter_constraints

    from mlpkit.errors import MlpkitError

    constraints = {option.param: MLPClassifier._parameter_constraints[option.param]}
    for value in CANDIDATES:         # (booleans left out: scikit-learn counts them as numbers)
        try:
            option.validate(value)
            ours = True
        except MlpkitError:
            ours = False
        try:
            validate_parameter_constraints(constraints, {option.param: value}, "x")
            theirs = True
        except Refused:
            theirs = False
        expected = ours != ((option.param, repr(value)) in ESTIMATOR_SEMANTICS)
        assert theirs == expected, (option.param, value, ours, theirs)
