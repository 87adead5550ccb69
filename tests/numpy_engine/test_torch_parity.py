"""The NumPy engine against PyTorch autograd: same weights -> same outputs and gradients."""

import numpy as np
import pytest

from mlpkit.numpy_engine import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Linear,
    MSELoss,
    Sequential,
    Sigmoid,
)
from mlpkit.numpy_engine.gradcheck import relative_error

from .helpers import make_mlp

torch = pytest.importorskip("torch")

TORCH_LAYERS = {"Sigmoid": torch.nn.Sigmoid, "ReLU": torch.nn.ReLU, "Tanh": torch.nn.Tanh,
                "Identity": torch.nn.Identity, "Softmax": lambda: torch.nn.Softmax(dim=1)}
TOLERANCE = 1e-8


def to_torch(model: Sequential) -> torch.nn.Sequential:
    """An equivalent torch network, built layer by layer, loaded from the NumPy state dict."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            layers.append(torch.nn.Linear(layer.in_features, layer.out_features,
                                          dtype=torch.float64))
        else:
            layers.append(TORCH_LAYERS[type(layer).__name__]())
    net = torch.nn.Sequential(*layers)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return net


def compare(model, loss, torch_loss, X, target, torch_target):
    net = to_torch(model)
    model.zero_grad()
    out = model(X)
    value = loss(out, target)
    model.backward(loss.backward())

    torch_out = net(torch.from_numpy(X))
    torch_value = torch_loss(torch_out, torch_target)
    torch_value.backward()

    assert relative_error(out, torch_out.detach().numpy()) < TOLERANCE
    assert abs(value - torch_value.item()) <= TOLERANCE * abs(torch_value.item())
    torch_grads = {name: p.grad.numpy() for name, p in net.named_parameters()}
    assert set(torch_grads) == {name for name, _ in model.named_parameters()}
    for name, param in model.named_parameters():
        assert relative_error(param.grad, torch_grads[name]) < TOLERANCE, name


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh", "identity", "softmax"])
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("loss_name", ["cross_entropy", "weighted_cross_entropy", "mse"])
def test_parity_multiclass_losses(activation, depth, loss_name, rng):
    sizes = [4] + [6] * (depth - 1) + [3]
    model = make_mlp(sizes, activation, seed=depth)
    X = rng.normal(size=(10, 4))
    labels = rng.integers(0, 3, size=10)
    if loss_name == "mse":
        target = rng.normal(size=(10, 3))
        compare(model, MSELoss(), torch.nn.MSELoss(), X, target, torch.from_numpy(target))
        return
    weight = np.array([0.2, 1.0, 3.0]) if loss_name.startswith("weighted") else None
    torch_weight = None if weight is None else torch.from_numpy(weight)
    compare(model, CrossEntropyLoss(weight=weight), torch.nn.CrossEntropyLoss(weight=torch_weight),
            X, labels, torch.from_numpy(labels))


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_parity_binary_losses(activation, depth, rng):
    sizes = [4] + [5] * (depth - 1) + [1]
    X = rng.normal(size=(9, 4))
    target = rng.integers(0, 2, size=(9, 1)).astype(np.float64)
    model = make_mlp(sizes, activation, seed=depth)
    compare(model, BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), X, target,
            torch.from_numpy(target))
    with_sigmoid = Sequential(*make_mlp(sizes, activation, seed=depth).layers, Sigmoid())
    compare(with_sigmoid, BCELoss(), torch.nn.BCELoss(), X, target, torch.from_numpy(target))


def test_state_dict_keys_and_shapes_equal_torch():
    model = make_mlp([784, 100, 50, 10], "relu", dtype=np.float32)
    net = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 50),
                              torch.nn.ReLU(), torch.nn.Linear(50, 10))
    ours = {k: v.shape for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert ours == theirs
    # and the torch weights load straight into the NumPy network, dtype kept
    model.load_state_dict({k: v.double().numpy() for k, v in net.state_dict().items()})
    assert model[0].weight.data.dtype == np.float64
    np.testing.assert_array_equal(model[4].bias.data, net[4].bias.detach().double().numpy())


def test_gradients_accumulate_until_zero_grad_like_torch(rng):
    model = make_mlp([3, 4, 2], "tanh")
    net = to_torch(model)
    X = rng.normal(size=(5, 3))
    for _ in range(2):                      # two backward passes, no zero_grad in between
        loss = MSELoss()
        loss(model(X), np.zeros((5, 2)))
        model.backward(loss.backward())
        net(torch.from_numpy(X)).pow(2).mean().backward()
    ours = dict(model.named_parameters())
    for name, param in net.named_parameters():
        assert relative_error(ours[name].grad, param.grad.numpy()) < TOLERANCE
    model.zero_grad()
    net.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert all(p.grad is None for p in net.parameters())


def test_sample_weights_match_torch_weighted_means(rng):
    logits, labels = rng.normal(size=(6, 3)), rng.integers(0, 3, 6)
    weights = rng.uniform(0.1, 2.0, 6)
    class_weight = np.array([0.5, 1.0, 2.0])
    pred, target = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    ours = [(CrossEntropyLoss(weight=class_weight), logits, labels),
            (MSELoss(), pred, target)]
    t_logits = torch.tensor(logits, requires_grad=True)
    t_pred = torch.tensor(pred, requires_grad=True)
    w = torch.from_numpy(weights)
    per_ce = torch.nn.functional.cross_entropy(t_logits, torch.from_numpy(labels),
                                               weight=torch.from_numpy(class_weight),
                                               reduction="none")
    cw = torch.from_numpy(class_weight)[torch.from_numpy(labels)]
    ce = (per_ce * w).sum() / (cw * w).sum()
    mse = ((t_pred - torch.from_numpy(target)) ** 2).mean(dim=1).mul(w).sum() / w.sum()
    for (loss, x, y), reference, tensor in zip(ours, (ce, mse), (t_logits, t_pred)):
        value = loss(x, y, weights)
        reference.backward()
        assert value == pytest.approx(reference.item(), rel=1e-10)
        assert relative_error(loss.backward(), tensor.grad.numpy()) < TOLERANCE


def test_softmax_mse_matches_torch_and_finite_differences(rng):
    from mlpkit.numpy_engine.gradcheck import numerical_gradient
    from mlpkit.numpy_engine.losses import SoftmaxMSELoss

    logits, labels = rng.normal(size=(6, 3)), rng.integers(0, 3, 6)
    weights = rng.uniform(0.5, 2.0, 6)
    for w in (None, weights):
        loss = SoftmaxMSELoss()
        value = loss(logits, labels, w)
        grad = loss.backward()
        t = torch.tensor(logits, requires_grad=True)
        per = (torch.softmax(t, 1) - torch.nn.functional.one_hot(torch.from_numpy(labels), 3)
               .double()).square().mean(dim=1)
        ref = per.mean() if w is None else (per * torch.from_numpy(w)).sum() / w.sum()
        ref.backward()
        assert value == pytest.approx(ref.item(), rel=1e-10)
        assert relative_error(grad, t.grad.numpy()) < TOLERANCE
        numeric = numerical_gradient(lambda w=w: SoftmaxMSELoss()(logits, labels, w), logits)
        assert relative_error(grad, numeric) < 1e-6


def test_poisson_loss_matches_torch_and_scikit_learns_deviance(rng):
    """Half the Poisson deviance of exp(z), weighted and not: its value against
    scikit-learn's mean_poisson_deviance, its gradient against PyTorch's autograd through
    its own poisson_nll_loss (which leaves out the terms free of z)."""
    from sklearn.metrics import mean_poisson_deviance

    from mlpkit.numpy_engine.losses import PoissonLoss

    z = rng.normal(size=(8, 1))
    y = rng.poisson(np.exp(z[:, 0]) + 0.5).astype(np.float64)[:, None]
    weights = rng.uniform(0.1, 2.0, 8)
    for w in (None, weights):
        loss = PoissonLoss()
        value = loss(z, y, w)
        assert value == pytest.approx(
            0.5 * mean_poisson_deviance(y[:, 0], np.exp(z[:, 0]), sample_weight=w), rel=1e-10)
        tensor = torch.tensor(z, requires_grad=True)
        per_row = torch.nn.functional.poisson_nll_loss(tensor, torch.from_numpy(y),
                                                       log_input=True, reduction="none")
        weight = torch.ones(8, 1, dtype=torch.float64) if w is None else \
            torch.from_numpy(w)[:, None]
        ((per_row * weight).sum() / weight.sum()).backward()
        assert relative_error(loss.backward(), tensor.grad.numpy()) < TOLERANCE
