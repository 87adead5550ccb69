"""Per-layer activations and the L1 penalty: checked against PyTorch autograd, the same in
both engines, saved, exported and refused alike by every door."""

import json

import numpy as np
import pytest
import torch

from mlpkit.cli import main
from mlpkit.config import RunConfig
from mlpkit.diagnostics.explain import explain_trained
from mlpkit.errors import InvalidParameterError
from mlpkit.model import TrainedModel
from mlpkit.runs.train import start


def gradients(engine: str, l1: float, alpha: float):
    run = RunConfig("blobs", {"n_samples": 60, "centers": 3}).with_options(
        {"hidden": (5, 4), "activations": ("relu", "tanh"), "l1": l1, "alpha": alpha,
         "engine": engine, "val_fraction": 0.0, "seed": 2})
    _, session, split = start(run)
    stepper = session.stepper
    stepper.bind(split.X, split.y, None)
    weights = {k: np.array(v, np.float64) for k, v in stepper.state_dict().items()}
    loss, grads = stepper.full_batch_gradients()
    return loss, grads, weights, split


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_the_l1_and_l2_penalties_and_per_layer_activations_match_autograd(engine):
    l1, alpha = 0.05, 0.02
    loss, grads, weights, split = gradients(engine, l1, alpha)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    x = torch.tensor(np.asarray(split.X, np.float64))
    x = torch.relu(x @ params["0.weight"].T + params["0.bias"])       # relu, then tanh
    x = torch.tanh(x @ params["2.weight"].T + params["2.bias"])
    logits = x @ params["4.weight"].T + params["4.bias"]
    rows = len(split.y)
    penalised = [p for k, p in params.items() if k.endswith("weight")]
    reference = torch.nn.functional.cross_entropy(logits, torch.tensor(split.y)) + \
        (alpha / 2 * sum((p ** 2).sum() for p in penalised)
         + l1 * sum(p.abs().sum() for p in penalised)) / rows
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-5)
    for name, param in params.items():
        np.testing.assert_allclose(grads[name], param.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_per_layer_activations_train_alike_save_and_export(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    from tests.test_export import check

    runs = {}
    for engine in ("numpy", "torch"):
        runs[engine] = tmp_path / engine
        assert main(["train", "--dataset", "moons", "--hidden", "6", "5", "--activations",
                     "relu", "sigmoid", "--l1", "0.001", "--engine", engine, "--epochs", "5",
                     "--out", str(runs[engine]), "--quiet"]) == 0
    histories = [(runs[e] / "history.csv").read_text().splitlines() for e in runs]
    losses = [[float(line.split(",")[1]) for line in h[1:]] for h in histories]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    spec = json.loads((runs["numpy"] / "model.json").read_text())["spec"]
    assert spec["activations"] == ["relu", "sigmoid"]
    model = TrainedModel.load(runs["numpy"])
    assert [kind for kind, *_ in model.spec.layers()] == \
        ["linear", "activation", "linear", "activation", "linear"]
    assert main(["export", str(runs["numpy"]), "-o", str(tmp_path / "m.onnx")]) == 0
    from mlpkit.data import load_dataset

    check(tmp_path, model, tmp_path / "m.onnx", load_dataset("moons").X_test)
    formulas = [q.formula for q in explain_trained(model, [0.1, 0.2], 1, 0.1)
                if q.name in ("a1", "a2")]
    assert formulas == ["relu(z1)", "sigmoid(z2)"]


def test_one_activation_per_layer_or_a_one_line_refusal(tmp_path, capsys):
    assert main(["train", "--dataset", "moons", "--hidden", "6", "5", "--activations", "relu",
                 "--out", str(tmp_path / "x")]) == 2
    error = capsys.readouterr().err
    assert "activations names 1 activation(s) for 2 hidden layer(s)" in error
    assert error.count("\n") == 1 and not (tmp_path / "x").exists()
    with pytest.raises(InvalidParameterError, match="'swish'"):
        RunConfig().with_options({"activations": ("swish",)})
