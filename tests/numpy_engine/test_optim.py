"""k optimizer steps against torch.optim with the same gradients."""

import numpy as np
import pytest

from mlpkit.errors import InvalidParameterError
from mlpkit.numpy_engine import SGD, Adam, AdamW, Parameter, RMSprop
from mlpkit.numpy_engine.gradcheck import relative_error

torch = pytest.importorskip("torch")

CASES = [
    (SGD, torch.optim.SGD, {"lr": 0.1}),
    (SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.01}),
    (RMSprop, torch.optim.RMSprop, {"lr": 0.01}),
    (RMSprop, torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
    (RMSprop, torch.optim.RMSprop, {"lr": 0.01, "centered": True}),
    (Adam, torch.optim.Adam, {"lr": 0.01}),
    (Adam, torch.optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    (AdamW, torch.optim.AdamW, {"lr": 0.01}),
    (AdamW, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.3}),
]


def groups(params, kwargs):
    """The first parameter alone, the second in a group of its own lr (and no decay)."""
    return [{"params": params[:1]},
            {"params": params[1:], "lr": kwargs["lr"] * 0.1, "weight_decay": 0.0}]


@pytest.mark.parametrize("grouped", [False, True], ids=["one-group", "two-groups"])
@pytest.mark.parametrize("ours, theirs, kwargs", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_steps_match_torch(ours, theirs, kwargs, grouped, rng):
    shapes = [(4, 3), (4,)]
    initial = [rng.normal(size=s) for s in shapes]
    params = [Parameter(a.copy()) for a in initial]
    tensors = [torch.tensor(a.copy(), requires_grad=True) for a in initial]
    optimizer = ours(groups(params, kwargs) if grouped else params, **kwargs)
    reference = theirs(groups(tensors, kwargs) if grouped else tensors, **kwargs)
    for _ in range(7):
        grads = [rng.normal(size=s) for s in shapes]
        optimizer.zero_grad()
        reference.zero_grad()
        for p, t, g in zip(params, tensors, grads):
            p.grad = g.copy()
            t.grad = torch.from_numpy(g.copy())
        optimizer.step()
        reference.step()
        for p, t in zip(params, tensors):
            assert relative_error(p.data, t.detach().numpy()) < 1e-6
    assert not np.allclose(params[0].data, initial[0])  # the test moved the weights


def test_sgd_step_by_hand():
    # w = 1.0, g = 0.5, lr = 0.1, momentum 0.9: step 1 v = 0.5, w = 0.95; step 2 v = 0.95, w = 0.855
    p = Parameter(np.array([1.0]))
    optimizer = SGD([p], lr=0.1, momentum=0.9)
    for expected in (0.95, 0.855):
        optimizer.zero_grad()
        p.grad = np.array([0.5])
        optimizer.step()
        assert p.data[0] == pytest.approx(expected)


@pytest.mark.parametrize("make, message", [
    (lambda p: SGD(p, lr=0), "lr must be a positive number, got 0."),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "Nesterov momentum needs momentum > 0."),
    (lambda p: SGD(p, lr=0.1, momentum=-1), "momentum must be a number >= 0, got -1."),
    (lambda p: Adam(p, betas=(0.9, 1.0)), "Adam betas must lie in [0, 1), got (0.9, 1.0)."),
    (lambda p: SGD([], lr=0.1), "The optimizer got an empty parameter list."),
])
def test_bad_hyper_parameters(make, message):
    with pytest.raises(InvalidParameterError) as info:
        make([Parameter(np.zeros(2))])
    assert str(info.value) == message


@pytest.mark.parametrize("make", [lambda p: Adam(p, lr=0.01, weight_decay=0.1),
                                  lambda p: AdamW(p, lr=0.01, weight_decay=0.3)],
                         ids=["adam", "adamw"])
def test_the_flat_adam_step_is_the_per_parameter_update_bit_for_bit_across_a_load(make, rng):
    shapes = [(4, 3), (4,), (2, 2)]
    initial = [rng.normal(size=s).astype(np.float32) for s in shapes]
    flat_params = [Parameter(a.copy()) for a in initial]
    one_by_one = [Parameter(a.copy()) for a in initial]
    flat, single = make(flat_params), make(one_by_one)
    for step in range(6):
        grads = [rng.normal(size=s).astype(np.float32) for s in shapes]
        for p, q, g in zip(flat_params, one_by_one, grads):
            p.grad, q.grad = g.copy(), g.copy()
        flat.step()                                       # one pass over flat arrays
        for q, state in zip(one_by_one, single.state):   # torch's loop, parameter by parameter
            single._update(q, state, single.param_groups[0])
        if step == 2:                                     # a load: every parameter a new array
            for p in flat_params:
                p.data = p.data.copy()
        for p, q in zip(flat_params, one_by_one):
            np.testing.assert_array_equal(p.data, q.data)
    assert not np.allclose(flat_params[0].data, initial[0])
