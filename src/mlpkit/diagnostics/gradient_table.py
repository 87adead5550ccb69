"""``mlpkit gradcheck``: the NumPy engine's hand-written gradients against two references.

A small network of the asked shape is built with the engine's own layers and initialisers;
on random rows, every parameter's backpropagated gradient is compared with central finite
differences (on a float64 copy: the reference must not carry float32 rounding) and with
PyTorch autograd on the same weights and the same loss. The relative error is
max |a - b| / max(max |a|, max |b|) per parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlpkit.config import MLPSpec
from mlpkit.numpy_engine.gradcheck import numerical_gradient, relative_error
from mlpkit.numpy_engine.losses import get_loss
from mlpkit.numpy_engine.models import build_mlp
from mlpkit.numpy_engine.piecewise import fit_bins
from mlpkit.plan import BINS

LOSSES = ("cross_entropy", "mse", "softmax_mse", "bce_with_logits")
AVERAGED = {"cross_entropy": "softmax", "softmax_mse": "softmax", "bce_with_logits": "sigmoid",
            "mse": "identity"}     # what an ensemble averages, under each loss
TOLERANCE = {"float64": 1e-5, "float32": 1e-3}    # measured worst: 2e-7 and 7e-7


@dataclass
class Row:
    name: str
    shape: tuple[int, ...]
    largest: float             # max |gradient|
    vs_differences: float      # relative error against central finite differences
    vs_autograd: float         # relative error against PyTorch autograd


def problem(loss: str, n_inputs: int, n_outputs: int, rows: int, rng: np.random.Generator
            ) -> tuple[np.ndarray, np.ndarray]:
    """Random inputs and targets of the kind ``loss`` takes."""
    X = rng.normal(size=(rows, n_inputs))
    if loss in ("cross_entropy", "softmax_mse"):
        return X, rng.integers(0, n_outputs, rows)
    if loss == "bce_with_logits":
        return X, rng.integers(0, 2, (rows, n_outputs)).astype(np.float64)
    return X, rng.normal(size=(rows, n_outputs))


def autograd_gradients(spec: MLPSpec, weights: dict[str, np.ndarray], loss: str,
                       X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """PyTorch's gradients of the same loss at the same weights (float64 as given)."""
    import torch
    from torch.nn import functional

    from mlpkit.torch_engine.models import empty_mlp

    dtype = torch.from_numpy(np.zeros(0, next(iter(weights.values())).dtype)).dtype
    net = empty_mlp(spec, "cpu", dtype)
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    out = net(torch.from_numpy(X.astype(next(iter(weights.values())).dtype)))
    target = torch.from_numpy(y if y.dtype.kind == "i" else y.astype(out.detach().numpy().dtype))
    if loss == "cross_entropy":
        value = functional.cross_entropy(out, target)
    elif loss == "softmax_mse":
        onehot = functional.one_hot(target, out.shape[1]).to(out.dtype)
        value = functional.mse_loss(torch.softmax(out, dim=1), onehot)
    elif loss == "bce_with_logits":
        value = functional.binary_cross_entropy_with_logits(out, target)
    else:
        value = functional.mse_loss(out, target)
    value.backward()
    return {name: p.grad.numpy() for name, p in net.named_parameters()}


def gradient_table(hidden: tuple[int, ...] = (5, 4), activation: str = "tanh",
                   loss: str = "cross_entropy", dtype: str = "float64", n_inputs: int = 3,
                   n_outputs: int = 3, rows: int = 8, seed: int = 0,
                   embedding: str | None = None, ensemble: int = 1,
                   input_scaling: bool = False,
                   parametric_activation: bool = False,
                   parametrization: str = "standard", category_embedding: int = 0) -> list[Row]:
    """One row per parameter: backprop against finite differences and against autograd. An
    ``ensemble``'s members are checked as they train: each on its own rows of outputs. With
    ``category_embedding`` D, the inputs after the first are one category's one-hot block,
    embedded in D values (its random inputs, not 0/1, check every term)."""
    rng = np.random.default_rng(seed)
    X, y = problem(loss, n_inputs, n_outputs, rows, rng)
    other = problem(loss, n_inputs, n_outputs, 64, np.random.default_rng(seed + 1))[0]
    bins = fit_bins(other, range(n_inputs), BINS) if embedding == "piecewise" else None
    spec = MLPSpec(n_inputs, n_outputs, tuple(hidden), activation, embedding=embedding,
                   ensemble=ensemble, averaged=AVERAGED[loss], input_scaling=input_scaling,
                   bins=bins,     # (bins of other rows: a checked row on an edge sits on a kink)
                   parametric_activation=parametric_activation, parametrization=parametrization,
                   categories=((1, n_inputs),) if category_embedding else None,
                   category_embedding=category_embedding)
    y = np.repeat(y, ensemble, axis=0)          # (one row of targets per member's row)
    model = build_mlp(spec, rng, dtype=np.dtype(dtype))
    criterion = get_loss(loss)
    model.zero_grad()
    criterion(model(X.astype(dtype)), y if y.dtype.kind == "i" else y.astype(dtype))
    model.backward(criterion.backward())
    analytic = {name: p.grad.copy() for name, p in model.named_parameters()}

    reference = build_mlp(spec, 0, dtype=np.float64)       # same weights, float64
    reference.load_state_dict({k: v.astype(np.float64) for k, v in model.state_dict().items()})
    exact = get_loss(loss)
    differences = {name: numerical_gradient(lambda: exact(reference(X), y), p.data)
                   for name, p in reference.named_parameters()}
    autograd = autograd_gradients(spec, model.state_dict(), loss, X, y)
    return [Row(name, grad.shape, float(np.abs(grad).max()),
                relative_error(grad.astype(np.float64), differences[name]),
                relative_error(grad.astype(np.float64), autograd[name].astype(np.float64)))
            for name, grad in analytic.items()]


def format_table(rows: list[Row], tolerance: float) -> str:
    header = f"{'parameter':12s} {'shape':>9s} {'max |grad|':>11s} {'vs finite diff':>15s} " \
             f"{'vs autograd':>12s}  ok"
    lines = [header, "-" * len(header)]
    for row in rows:
        ok = max(row.vs_differences, row.vs_autograd) <= tolerance
        lines.append(f"{row.name:12s} {'x'.join(map(str, row.shape)):>9s} {row.largest:11.3e} "
                     f"{row.vs_differences:15.2e} {row.vs_autograd:12.2e}  "
                     f"{'yes' if ok else 'NO'}")
    return "\n".join(lines)
