"""``--parametrization ntk`` (each layer's product times c = 1/sqrt(fan_in), the weights drawn
1/c times as large) and ``--bias-lr-factor`` (the biases' learning rate a multiple of the
run's). The NTK layers' hand-written backward against autograd on the formula and against
finite differences; the same network as the standard parametrisation at first; both engines
alike in training; the biases' steps at their factor under a schedule; every door (Python,
the other engine, ONNX Runtime) predicts the same."""

import math

import numpy as np
import pytest
import torch

from mlpkit.config import MLPSpec, RunConfig, TrainConfig
from mlpkit.diagnostics.gradient_table import gradient_table
from mlpkit.errors import InvalidParameterError
from mlpkit.numpy_engine.ensemble import Members
from mlpkit.numpy_engine.layers import Linear
from mlpkit.numpy_engine.models import build_mlp as numpy_mlp
from mlpkit.numpy_engine.stepper import NumpyStepper
from mlpkit.torch_engine.models import build_mlp as torch_mlp


def test_an_ntk_layer_matches_autograd_on_the_formula():
    rng = np.random.default_rng(0)
    layer = Linear(5, 3, init="kaiming_uniform", rng=1, dtype=np.float64, gain=5 ** -0.5)
    x, g = rng.normal(size=(7, 5)), rng.normal(size=(7, 3))
    out = layer(x)
    grad_x = layer.backward(g)
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(layer.weight.data.copy()).requires_grad_()
    tb = torch.from_numpy(layer.bias.data.copy()).requires_grad_()
    reference = tx @ tw.T / math.sqrt(5) + tb
    (reference * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(out, reference.detach().numpy(), rtol=1e-12)
    for ours, theirs in [(grad_x, tx), (layer.weight.grad, tw), (layer.bias.grad, tb)]:
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("shared", [True, False])
def test_ntk_members_match_autograd_on_the_formula(shared):
    rng = np.random.default_rng(2)
    k, n_in, n_out = 3, 4, 2
    layer = Members(n_in, n_out, k, shared, init="default", rng=rng, dtype=np.float64,
                    gain=n_in ** -0.5)
    x = rng.normal(size=(6, n_in if shared else k * n_in))
    g = rng.normal(size=(6, k * n_out))
    out = layer(x)
    grad_x = layer.backward(g)
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(layer.weight.data.copy()).requires_grad_()
    tb = torch.from_numpy(layer.bias.data.copy()).requires_grad_()
    xk = tx.unsqueeze(1).expand(-1, k, -1) if shared else tx.reshape(6, k, n_in)
    reference = (torch.einsum("nki,koi->nko", xk, tw) / math.sqrt(n_in) + tb).reshape(6, -1)
    (reference * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(out, reference.detach().numpy(), rtol=1e-12)
    for ours, theirs in [(grad_x, tx), (layer.weight.grad, tw), (layer.bias.grad, tb)]:
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("ensemble", [1, 3])
def test_gradcheck_through_it_agrees_with_finite_differences_and_autograd(ensemble):
    rows = gradient_table((5, 4), "tanh", "cross_entropy", "float64", 3, 3, 8, 0, "periodic",
                          ensemble, parametrization="ntk")
    assert len(rows) == 10          # the embedding's 4 and 3 layers' weights and biases
    assert max(max(r.vs_differences, r.vs_autograd) for r in rows) < 1e-6


def test_ntk_starts_as_the_same_network_with_larger_stored_weights():
    plain = MLPSpec(6, 3, (16, 8), "relu", init="kaiming_uniform", ensemble=2,
                    averaged="softmax")
    ntk = MLPSpec(6, 3, (16, 8), "relu", init="kaiming_uniform", ensemble=2,
                  averaged="softmax", parametrization="ntk")
    X = np.random.default_rng(3).normal(size=(10, 6))
    ours, theirs = numpy_mlp(plain, 4, dtype=np.float64), numpy_mlp(ntk, 4, dtype=np.float64)
    np.testing.assert_allclose(theirs.eval()(X), ours.eval()(X), rtol=1e-10)
    np.testing.assert_allclose(theirs.state_dict()["0.weight"],
                               ours.state_dict()["0.weight"] * math.sqrt(6), rtol=1e-12)
    in_torch = torch_mlp(ntk, 4, dtype=torch.float64).eval()
    np.testing.assert_allclose(in_torch(torch.from_numpy(X)).detach().numpy(),
                               ours(X), rtol=1e-10)
    assert "parametrization" not in plain.to_dict()        # files stay as they were
    assert MLPSpec.from_dict(ntk.to_dict()).parametrization == "ntk"


def _stepper(engine, config, spec):
    if engine == "numpy":
        return NumpyStepper(spec, "classification", config, np.float64)
    from mlpkit.torch_engine.stepper import TorchStepper

    return TorchStepper(spec, "classification", config, torch.device("cpu"), dtype=np.float64)


def _train(engine, config, spec, X, y, epochs=3):
    stepper = _stepper(engine, config, spec)
    stepper.bind(X, y, None)
    batches = [np.arange(i, min(i + 16, len(X))) for i in range(0, len(X), 16)]
    for epoch in range(epochs):
        stepper.lr = config.lr * (0.5 + epoch)         # a schedule's change
        stepper.train_epoch(batches, lambda: False)
    return stepper


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_both_engines_train_the_same_ntk_network_with_slower_biases(optimizer):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(64, 4)), rng.integers(0, 3, 64)
    spec = MLPSpec(4, 3, (8,), "tanh", parametrization="ntk")
    config = TrainConfig(optimizer=optimizer, lr=0.05, bias_lr_factor=0.1, weight_decay=0.01,
                         momentum=0.9 if optimizer == "sgd" else 0.0)
    ours, theirs = _train("numpy", config, spec, X, y), _train("torch", config, spec, X, y)
    for name, value in ours.model.state_dict().items():
        np.testing.assert_allclose(value, theirs.model.state_dict()[name].numpy(), rtol=1e-9,
                                   atol=1e-12)
    for stepper in (ours, theirs):      # the last epoch's lr, the biases' at a tenth of it
        assert [g["lr"] for g in stepper.optimizer.param_groups] == \
            pytest.approx([0.125, 0.0125])
        assert stepper.lr == pytest.approx(0.125)
    plain = _train("numpy", TrainConfig(optimizer=optimizer, lr=0.05, weight_decay=0.01,
                                        momentum=config.momentum), spec, X, y)
    assert not np.allclose(plain.model.state_dict()["0.bias"], ours.model.state_dict()["0.bias"])


def test_a_bias_factor_scales_the_biases_first_adam_step_and_nothing_else():
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(32, 4)), rng.integers(0, 2, 32)
    spec = MLPSpec(4, 2, (6,), "relu")
    before = numpy_mlp(spec, 0).state_dict()
    moved = {}
    for factor in (1.0, 0.1):
        stepper = _stepper("numpy", TrainConfig(lr=0.01, bias_lr_factor=factor,
                                                weight_decay=0.0), spec)
        stepper.bind(X, y, None)
        stepper.train_epoch([np.arange(32)], lambda: False)        # one step: each moves lr g / |g|
        moved[factor] = {k: v - before[k] for k, v in stepper.model.state_dict().items()}
    for name in before:
        share = 0.1 if name.endswith("bias") else 1.0
        np.testing.assert_allclose(moved[0.1][name], share * moved[1.0][name], rtol=1e-4,
                                   atol=1e-9)


def test_lbfgs_refuses_a_bias_factor():
    with pytest.raises(InvalidParameterError, match="lbfgs has no learning rate to scale"):
        RunConfig().with_options({"optimizer": "lbfgs", "bias_lr_factor": 0.1})


@pytest.mark.parametrize("target, engine", [("label", "numpy"), ("value", "torch")])
def test_a_table_model_trains_and_every_door_predicts_alike(tmp_path, capsys, target, engine):
    from tests.test_export import check_every_door, messy, train_table

    table = messy().drop(columns="value" if target == "label" else "label")
    model = train_table(tmp_path, table, target, engine, ["--parametrization", "ntk",
                                                          "--bias-lr-factor", "0.1",
                                                          "--epochs", "6"])
    assert model.spec.parametrization == "ntk"
    check_every_door(tmp_path, capsys, model, engine, table.drop(columns=target))
