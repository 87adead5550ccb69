"""``--parametric-activation``: each hidden unit's x + a (f(x) - x), a learned from 1. The
hand-written backward against autograd on the formula (a away from 1, where every term
counts) and against finite differences; both engines alike; every door (Python, the command
line, ONNX Runtime) predicts the same."""

import numpy as np
import pytest
import torch

from mlpkit.config import MLPSpec
from mlpkit.diagnostics.gradient_table import gradient_table
from mlpkit.io.model_files import n_parameters
from mlpkit.numpy_engine.activations import Parametric
from mlpkit.numpy_engine.models import build_mlp as numpy_mlp
from mlpkit.torch_engine.models import build_mlp as torch_mlp

FUNCTIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
             "selu": torch.selu, "mish": torch.nn.functional.mish, "identity": lambda x: x}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_forward_and_backward_match_autograd_on_the_formula(name):
    rng = np.random.default_rng(0)
    layer = Parametric(name, 5, dtype=np.float64)
    layer.alpha.data = rng.normal(0.5, 0.8, 5)                 # not 1: (1 - a) counts
    x, g = rng.normal(size=(7, 5)) * 2, rng.normal(size=(7, 5))
    out = layer(x)
    grad_x = layer.backward(g)
    tx = torch.from_numpy(x).requires_grad_()
    ta = torch.from_numpy(layer.alpha.data.copy()).requires_grad_()
    reference = tx + ta * (FUNCTIONS[name](tx) - tx)
    (reference * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(out, reference.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.alpha.grad, ta.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ensemble", [1, 3])
@pytest.mark.parametrize("activation", ["tanh", "mish"])
def test_gradcheck_through_it_agrees_with_finite_differences_and_autograd(activation,
                                                                          ensemble):
    rows = gradient_table((5, 4), activation, "cross_entropy", "float64", 3, 3, 8, 0,
                          "periodic", ensemble, parametric_activation=True)
    assert {"2.alpha", "4.alpha"} <= {r.name for r in rows}
    assert max(max(r.vs_differences, r.vs_autograd) for r in rows) < 1e-6


def test_both_engines_compute_the_same_network_and_old_specs_have_none():
    spec = MLPSpec(4, 2, (6, 5), "selu", parametric_activation=True, ensemble=2,
                   averaged="softmax")
    ours = numpy_mlp(spec, 3, dtype=np.float64)
    state = {k: v + 0.3 if k.endswith("alpha") else v for k, v in ours.state_dict().items()}
    ours.load_state_dict(state)
    theirs = torch_mlp(spec, 3, dtype=torch.float64)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    X = np.random.default_rng(1).normal(size=(9, 4))
    np.testing.assert_allclose(ours.eval()(X), theirs.eval()(torch.from_numpy(X)).detach()
                               .numpy(), rtol=1e-12, atol=1e-12)
    assert n_parameters(spec) == sum(v.size for v in state.values())
    plain = MLPSpec(4, 2, (6,))
    assert "parametric_activation" not in plain.to_dict()       # files stay as they were
    assert not MLPSpec.from_dict(plain.to_dict()).parametric_activation


@pytest.mark.parametrize("target, engine", [("label", "numpy"), ("value", "torch")])
def test_a_table_model_learns_its_shares_and_every_door_predicts_alike(tmp_path, capsys,
                                                                       target, engine):
    from tests.test_export import check_every_door, messy, train_table

    table = messy().drop(columns="value" if target == "label" else "label")
    model = train_table(tmp_path, table, target, engine, ["--parametric-activation",
                                                          "--epochs", "8"])
    alphas = [v for k, v in model.state_dict.items() if k.endswith("alpha")]
    assert model.spec.parametric_activation and alphas
    assert not all(np.allclose(a, 1.0) for a in alphas)            # the shares were learned
    check_every_door(tmp_path, capsys, model, engine, table.drop(columns=target))
