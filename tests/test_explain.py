"""mlpkit explain and mlpkit gradcheck: the NumPy engine's backprop, written out and checked."""

import numpy as np
import pytest

from mlpkit.cli import main
from mlpkit.diagnostics.explain import explain_step
from mlpkit.diagnostics.gradient_table import LOSSES
from mlpkit.numpy_engine.activations import Tanh

torch = pytest.importorskip("torch")
ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
               "identity": lambda z: z}


def autograd_step(steps, activation, loss, lr):
    """The same step by PyTorch autograd, from the explained initial weights."""
    values = {}
    for q in steps:
        values.setdefault((q.stage, q.name), q.value)
    X = torch.tensor(values["forward", "X"])
    y = torch.tensor(values["forward", "y"])
    layers = sum(1 for stage, name in values if stage == "forward" and name.startswith("W"))
    weights = [(torch.tensor(values["forward", f"W{k}"], requires_grad=True),
                torch.tensor(values["forward", f"b{k}"], requires_grad=True))
               for k in range(1, layers + 1)]
    reference, a = {}, X
    for k, (W, b) in enumerate(weights, 1):
        z = a @ W.T + b
        z.retain_grad()
        reference[f"z{k}"] = z
        if k < layers:
            a = ACTIVATIONS[activation](z)
            a.retain_grad()
            reference[f"a{k}"] = a
    if loss == "cross_entropy":
        value = torch.nn.functional.cross_entropy(z, y)
    else:
        onehot = torch.nn.functional.one_hot(y, z.shape[1]).to(z.dtype)
        value = torch.nn.functional.mse_loss(torch.softmax(z, dim=1), onehot)
    value.backward()
    expected = {("loss", "L"): value.detach().numpy()}
    for name, tensor in reference.items():
        expected["forward", name] = tensor.detach().numpy()
        expected["backward", f"dL/d{name}"] = tensor.grad.numpy()
    for k, (W, b) in enumerate(weights, 1):
        expected["backward", f"dL/dW{k}"] = W.grad.numpy()
        expected["backward", f"dL/db{k}"] = b.grad.numpy()
        expected["update", f"W{k}"] = (W - lr * W.grad).detach().numpy()
        expected["update", f"b{k}"] = (b - lr * b.grad).detach().numpy()
    return expected


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("shape", [((3,), 2, 2, 4), ((5, 4), 3, 3, 6)])
def test_every_explained_number_equals_autograd(activation, loss, shape):
    hidden, inputs, classes, rows = shape
    steps = explain_step(hidden, activation, loss, 0.5, inputs, classes, rows)
    expected = autograd_step(steps, activation, loss, 0.5)
    shown = {(q.stage, q.name): q.value for q in steps}
    for key, value in expected.items():
        assert key in shown, key
        np.testing.assert_allclose(shown[key], value, rtol=1e-10, atol=1e-12, err_msg=str(key))
    backward = [q for q in steps if q.stage == "backward"]
    assert len(backward) == 4 * (len(hidden) + 1) - 1      # dz, dW, db, da per layer; no dX
    assert all(q.formula for q in steps)


def test_the_default_is_a_2_3_2_network_on_the_four_xor_points(tmp_path, capsys):
    assert main(["explain", "-o", str(tmp_path / "explain.html")]) == 0
    printed = capsys.readouterr().out
    assert "2-3-2 sigmoid" in printed
    assert "dL/dz1 = dL/da1 ⊙ a1 ⊙ (1 − a1)   [4×3]" in printed
    assert "dL/dW2 = (dL/dz2)ᵀ a1   [2×3]" in printed
    page = (tmp_path / "explain.html").read_text()
    assert page.count("<h2>") == 4 and "<script" not in page
    steps = explain_step()
    before, after = (next(q.value for q in steps if q.name == n) for n in ("L", "L after"))
    assert after < before                        # one step of gradient descent helps


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_gradcheck_passes_on_the_engine(capsys, loss, activation):
    assert main(["gradcheck", "--loss", loss, "--activation", activation]) == 0
    printed = capsys.readouterr().out
    assert "every gradient agrees" in printed and printed.count(" yes") == 6


def test_gradcheck_in_float32_uses_its_own_tolerance(capsys):
    assert main(["gradcheck", "--dtype", "float32", "--hidden", "8"]) == 0
    assert "tolerance 0.001" in capsys.readouterr().out


def test_gradcheck_fails_with_exit_1_on_a_wrong_backward(monkeypatch, capsys):
    def forgets_the_derivative(self, grad_output, need_input_grad=True):
        return grad_output                          # the slip: no (1 - a^2) factor

    monkeypatch.setattr(Tanh, "backward", forgets_the_derivative)
    assert main(["gradcheck", "--activation", "tanh"]) == 1
    printed = capsys.readouterr().out
    assert "GRADIENTS DISAGREE" in printed and " NO" in printed
