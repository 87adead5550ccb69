"""``--ensemble K``: K members trained side by side in one network; ``--input-scaling``: a
learned scale per input. Each member must learn
exactly as it would alone (checked against K separate networks trained on the same batches),
the average must be the members' mean prediction (against the formula), the hand-written
backprop must match finite differences and autograd, and every door (Python, the command
line, ONNX Runtime) must predict the same."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from mlpkit.cli import main
from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.diagnostics.gradient_table import gradient_table
from mlpkit.engines import make_stepper
from mlpkit.model import TrainedModel
from mlpkit.numpy_engine.models import build_mlp as numpy_mlp
from mlpkit.torch_engine.models import build_mlp as torch_mlp

TASKS = {"softmax": "classification", "identity": "regression", "exp": "regression",
         "sigmoid": "multilabel"}


def _stepper(engine: str, spec: MLPSpec, task: str, config: TrainConfig):
    return make_stepper(engine, spec, task, config, "cpu", False, np.float64, None)


def _member(state: dict[str, np.ndarray], k: int) -> dict[str, np.ndarray]:
    """Member k's weights, as a network of its own."""
    return {name: value[k] for name, value in state.items()}


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "softmax_mse", "bce_with_logits"])
def test_members_backprop_matches_finite_differences_and_autograd(loss):
    rows = gradient_table((5, 4), "mish", loss, "float64", 3, 3, 8, 0, "periodic", ensemble=3,
                          input_scaling=True)
    assert {r.name for r in rows} >= {"0.scale", "2.weight", "6.bias"}
    assert max(max(r.vs_differences, r.vs_autograd) for r in rows) < 1e-6


@pytest.mark.parametrize("averaged", list(TASKS))
def test_the_average_is_the_members_mean_prediction_and_backprops_as_autograd(averaged):
    spec = MLPSpec(4, 3, (6,), "tanh", ensemble=5, averaged=averaged)
    network = numpy_mlp(spec, 1, dtype=np.float64)
    X = np.random.default_rng(2).normal(size=(7, 4)) * 3
    members = network(X).reshape(7, 5, 3)                 # training: each member's rows
    network.eval()
    combined = network(X)
    mean = {"softmax": lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True),
            "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "exp": np.exp,
            "identity": lambda z: z}[averaged]
    np.testing.assert_allclose(mean(combined), mean(members).mean(axis=1), rtol=1e-12)

    g = np.random.default_rng(3).normal(size=combined.shape)
    network.zero_grad()
    grad_input = network.backward(g, need_input_grad=True)
    reference = torch_mlp(spec, 1, dtype=torch.float64).eval()
    inputs = torch.from_numpy(X).requires_grad_()
    (reference(inputs) * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(grad_input, inputs.grad.numpy(), atol=1e-12)
    for (name, p), q in zip(network.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), atol=1e-12, err_msg=name)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("averaged", ["softmax", "exp"])
def test_each_member_trains_exactly_as_it_would_alone(engine, averaged):
    """Adam with coupled weight decay, an L2 penalty and sample weights: a member's gradient
    must be its own loss's, not 1/K of it, or the decay would weigh K times as much."""
    task = TASKS[averaged]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    y = rng.integers(0, 3, 40) if task == "classification" else rng.poisson(2.0, 40) * 1.0
    w = rng.uniform(0.5, 2.0, 40)
    spec = MLPSpec(4, 3 if task == "classification" else 1, (6, 5), "tanh", ensemble=3,
                   averaged=averaged, link="log" if averaged == "exp" else "identity")
    config = TrainConfig(optimizer="adam", lr=0.01, weight_decay=0.01, alpha=0.1, seed=0,
                         loss="poisson" if averaged == "exp" else None)
    batches = [rng.permutation(40)[:16] for _ in range(4)]
    ensemble = _stepper(engine, spec, task, config)
    initial = ensemble.state_dict()
    ensemble.bind(X, y, w)
    ensemble.train_epoch(batches, lambda: False)
    trained, predictions = ensemble.state_dict(), []
    for k in range(3):
        alone = _stepper(engine, replace(spec, ensemble=1, averaged="identity"), task, config)
        alone.load_state_dict(_member(initial, k))
        alone.bind(X, y, w)
        alone.train_epoch(batches, lambda: False)
        for name, value in alone.state_dict().items():
            np.testing.assert_allclose(value, trained[name][k], rtol=1e-9, atol=1e-12,
                                       err_msg=f"member {k}, {name}")
        predictions.append(alone.predict_output(X))
    np.testing.assert_allclose(ensemble.predict_output(X), np.mean(predictions, axis=0),
                               rtol=1e-9)


def test_both_engines_train_an_ensemble_alike():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30)
    spec = MLPSpec(3, 2, (8,), "relu", ensemble=4, averaged="softmax", embedding="periodic")
    config = TrainConfig(optimizer="adam", lr=0.01, seed=3, label_smoothing=0.1)
    batches = [rng.permutation(30)[:10] for _ in range(3)]
    states, losses = [], []
    for engine in ("numpy", "torch"):
        stepper = _stepper(engine, spec, "classification", config)
        stepper.bind(X, y, None)
        losses.append(stepper.train_epoch(batches, lambda: False).loss)
        states.append(stepper.state_dict())
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)    # (torch sums it in float32)
    for name in states[0]:
        np.testing.assert_allclose(states[0][name], states[1][name], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("target, engine", [("label", "numpy"), ("value", "torch")])
def test_an_ensemble_saves_loads_exports_and_predicts_alike_through_every_door(
        tmp_path, target, engine):
    pytest.importorskip("onnxruntime")
    import pandas as pd

    from tests.test_export import check, messy

    table = messy().drop(columns="value" if target == "label" else "label")
    table.to_csv(tmp_path / "data.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--csv", str(tmp_path / "data.csv"), "--target", target,
                 "--ensemble", "3", "--input-scaling", "--engine", engine, "--epochs", "4",
                 "--hidden", "8", "8",
                 "--out", str(run), "--quiet", "--no-baselines"]) == 0
    model = TrainedModel.load(run)
    assert model.spec.ensemble == 3 and model.state_dict["2.weight"].shape[0] == 3
    assert model.spec.input_scaling and not np.allclose(model.state_dict["0.scale"] * 6, 1)
    assert main(["export", str(run), "-o", str(tmp_path / "m.onnx")]) == 0
    rows = table.drop(columns=target)
    check(tmp_path, model, tmp_path / "m.onnx", rows)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    assert main(["predict", str(run), str(tmp_path / "rows.csv"),
                 "-o", str(tmp_path / "p.csv")]) == 0
    written = pd.read_csv(tmp_path / "p.csv")
    expected = model.predict_output(model.features(rows))
    if target == "value":
        np.testing.assert_allclose(written["prediction"], expected, rtol=1e-5)
    else:
        assert list(written["prediction"].astype(str)) == \
            [str(v) for v in model.predict_labels(expected)]


def test_an_ensemble_under_torchrun_is_refused_in_one_line(tmp_path, capsys):
    assert main(["train", "--dataset", "moons", "--engine", "torch", "--ensemble", "2",
                 "--nproc", "2", "--out", str(tmp_path / "x")]) == 2
    error = capsys.readouterr().err
    assert "--ensemble trains its members in one process" in error
    assert error.count("\n") == 1 and not (tmp_path / "x").exists()
    assert main(["train", "--dataset", "moons", "--ensemble", "0"]) == 2
    assert "ensemble must lie in [1, 64] or be 'table', got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit:
        main(["train", "--dataset", "moons", "--ensemble", "many"])
    assert exit.value.code == 2 and "invalid ensemble size 'many'" in capsys.readouterr().err


def test_the_recipes_ensemble_is_four_members_for_regression_and_one_otherwise():
    from mlpkit.recipe import members
    from mlpkit.torch_engine.distributed import check_launchable

    assert members("table", "regression", False) == 4
    assert [members("table", task, False) for task in ("classification", "multilabel")] == \
        [1, 1]
    assert members("table", "regression", True) == 1          # DDP trains one network
    assert members(3, "classification", False) == members(3, "regression", True) == 3
    check_launchable("torch", False, "table")                 # the recipe never refuses


@pytest.mark.parametrize("target, flags, expected", [
    ("value", [], 4), ("label", [], 1), ("value", ["--ensemble", "1"], 1),
    ("label", ["--ensemble", "table"], 1)])
def test_a_table_gets_the_recipes_ensemble_unless_one_is_asked_for(tmp_path, target, flags,
                                                                   expected):
    from tests.test_export import messy

    table = messy().drop(columns="value" if target == "label" else "label")
    table.to_csv(tmp_path / "data.csv", index=False)
    assert main(["train", "--csv", str(tmp_path / "data.csv"), "--target", target,
                 "--epochs", "2", "--out", str(tmp_path / "run"), "--quiet", "--no-baselines",
                 *flags]) == 0
    assert TrainedModel.load(tmp_path / "run").spec.ensemble == expected


def test_a_table_estimator_takes_the_ensemble_as_a_parameter():
    from mlpkit import TabularClassifier, TabularRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int)
    model = TabularClassifier(ensemble=4, max_iter=5, random_state=0).fit(X, y)
    assert model.model_.spec.ensemble == 4
    probabilities = model.predict_proba(X)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert TabularClassifier(max_iter=2).fit(X, y).model_.spec.ensemble == 1
    assert TabularRegressor(max_iter=2).fit(X, X[:, 0]).model_.spec.ensemble == 4


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_the_input_scale_learns_six_times_as_fast_as_a_weight_under_adam(engine):
    """Adam's first step moves every parameter by lr (times the gradient's sign); the stored
    scale s moves by lr too, so the scale the inputs see, 6 s, moves by 6 lr."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(32, 5)), rng.integers(0, 2, 32)
    spec = MLPSpec(5, 2, (4,), "tanh", input_scaling=True)
    stepper = _stepper(engine, spec, "classification", TrainConfig(lr=0.01, seed=0))
    before = stepper.state_dict()
    np.testing.assert_allclose(6 * before["0.scale"], 1.0)
    stepper.bind(X, y, None)
    stepper.train_epoch([np.arange(32)], lambda: False)
    after = stepper.state_dict()
    np.testing.assert_allclose(np.abs(6 * (after["0.scale"] - before["0.scale"])), 0.06,
                               rtol=1e-5)
    np.testing.assert_allclose(np.abs(after["1.weight"] - before["1.weight"]), 0.01,
                               rtol=1e-3)      # (Adam's eps shows on the smallest gradients)


@pytest.mark.parametrize("flags, named", [(["--ensemble", "2"], "average, members"),
                                          (["--input-scaling"], "scaling"),
                                          (["--embedding", "periodic"], "periodic")])
def test_explain_refuses_a_model_with_layers_it_cannot_show_in_one_line(tmp_path, capsys,
                                                                        flags, named):
    run = str(tmp_path / "run")
    assert main(["train", "--dataset", "moons", "--epochs", "2", "--out", run, "--quiet",
                 *flags]) == 0
    capsys.readouterr()
    assert main(["explain", "--model", run, "--point", "0.5", "0.2", "--label", "1"]) == 2
    error = capsys.readouterr().err
    assert f"this model also has {named} layers" in error and error.count("\n") == 1
