"""Build the ``nn.Sequential`` an ``MLPSpec`` describes, with the NumPy engine's weights.

The weights are drawn by the NumPy engine's initialisers from the same Generator and copied
in, so one seed gives identical initial weights in both engines and the state-dict keys
(``0.weight``, ``0.bias``, ``2.weight``, ...) are the same. The layers are made on the meta
device and then given memory, so building a network never draws from PyTorch's global
generator (``nn.Linear`` would, to initialise weights that are replaced anyway).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from mlpkit.config import MLPSpec
from mlpkit.data.preprocessing import CLIP
from mlpkit.numpy_engine.layers import SCALE_FACTOR
from mlpkit.numpy_engine.models import build_mlp as build_numpy_mlp
from mlpkit.numpy_engine.piecewise import bin_arrays
from mlpkit.plan import PERIODIC, kept_columns

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity,
               "selu": nn.SELU, "mish": nn.Mish}


class Periodic(nn.Module):
    """The NumPy engine's ``PeriodicEmbedding`` (its docstring has the maths) in PyTorch:
    the same parameters, names and shapes, differentiated by autograd."""

    def __init__(self, columns: tuple[int, ...], dtype: torch.dtype) -> None:
        super().__init__()
        self.columns = list(columns)       # (not a buffer: the state dict holds parameters)
        n_features = len(columns)
        cosines, values = PERIODIC
        self.frequencies = nn.Parameter(torch.empty(n_features, cosines, dtype=dtype))
        self.phases = nn.Parameter(torch.empty(n_features, cosines, dtype=dtype))
        self.weight = nn.Parameter(torch.empty(n_features, cosines, values, dtype=dtype))
        self.bias = nn.Parameter(torch.empty(n_features, values, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = 2.0 * torch.pi * x[:, self.columns].unsqueeze(-1) * self.frequencies + self.phases
        e = torch.einsum("nfk,fkd->nfd", torch.cos(u), self.weight) + self.bias
        return torch.cat([e.flatten(1), x], dim=1)


class Piecewise(nn.Module):
    """The NumPy engine's ``PiecewiseLinear`` (its docstring has the maths) in PyTorch: no
    parameters; its bins come from the spec, made tensors where the input lives."""

    def __init__(self, width: int, columns: tuple[int, ...], bins) -> None:
        super().__init__()
        self.columns = list(columns)
        self.rest = [i for i in range(width) if i not in set(columns)]
        self.arrays = bin_arrays(bins, np.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lower, inverse, centre, spread = (torch.as_tensor(a, dtype=x.dtype, device=x.device)
                                          for a in self.arrays)
        t = (x[:, self.columns].unsqueeze(-1) - lower) * inverse
        z = (t.clamp(0.0, 1.0) - centre) / spread
        z = z / torch.sqrt(1.0 + torch.square(z / CLIP))
        return torch.cat([z.flatten(1), x[:, self.rest]], dim=1)


class Categories(nn.Module):
    """The NumPy engine's ``CategoryEmbedding`` (its docstring has the maths): the inputs
    kept, then each one-hot block times its rows of ``weight``."""

    def __init__(self, width: int, blocks: tuple[tuple[int, int], ...], dim: int,
                 dtype: torch.dtype) -> None:
        super().__init__()
        self.blocks, self.kept = blocks, kept_columns(width, blocks)
        self.weight = nn.Parameter(torch.empty(sum(b - a for a, b in blocks), dim, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts, first = [x[:, self.kept]], 0
        for start, stop in self.blocks:
            parts.append(x[:, start:stop] @ self.weight[first:first + stop - start])
            first += stop - start
        return torch.cat(parts, dim=1)


class Scaling(nn.Module):
    """The NumPy engine's ``Scaling``: x * (F s), s stored."""

    def __init__(self, features: int, dtype: torch.dtype) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.empty(features, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * (SCALE_FACTOR * self.scale)


class Parametric(nn.Module):
    """The NumPy engine's ``Parametric``: x + a (f(x) - x), a per unit."""

    def __init__(self, name: str, units: int, dtype: torch.dtype) -> None:
        super().__init__()
        self.activation = ACTIVATIONS[name]()
        self.alpha = nn.Parameter(torch.empty(units, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.alpha * (self.activation(x) - x)


class Linear(nn.Linear):
    """The NumPy engine's ``Linear`` under the NTK parametrisation: c (x W^T) + b."""

    def __init__(self, in_features: int, out_features: int, gain: float,
                 dtype: torch.dtype) -> None:
        super().__init__(in_features, out_features, dtype=dtype)
        self.gain = gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, self.weight) * self.gain + self.bias


class Members(nn.Module):
    """The NumPy engine's ``Members`` (numpy_engine/ensemble.py has the maths): K linear
    layers side by side, weight (K, out, in) and bias (K, out), products times ``gain``."""

    def __init__(self, in_features: int, out_features: int, members: int, shared: bool,
                 dtype: torch.dtype, gain: float = 1.0) -> None:
        super().__init__()
        self.members, self.shared, self.gain = members, shared, gain
        self.weight = nn.Parameter(torch.empty(members, out_features, in_features, dtype=dtype))
        self.bias = nn.Parameter(torch.empty(members, out_features, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.shared:
            return (x @ self.weight.flatten(0, 1).T) * self.gain + self.bias.flatten()
        x = x.unflatten(1, (self.members, -1))
        return (torch.einsum("nki,koi->nko", x, self.weight) * self.gain
                + self.bias).flatten(1)


class Average(nn.Module):
    """The NumPy engine's ``Average``: each member's outputs as rows of their own (training),
    or the outputs of the members' mean prediction (evaluation)."""

    def __init__(self, members: int, averaged: str) -> None:
        super().__init__()
        self.members, self.averaged = members, averaged

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x.unflatten(1, (self.members, -1))
        if self.training:
            return z.flatten(0, 1)
        if self.averaged == "identity":
            return z.mean(dim=1)
        if self.averaged == "sigmoid":
            logsigmoid = nn.functional.logsigmoid
            return torch.logsumexp(logsigmoid(z), 1) - torch.logsumexp(logsigmoid(-z), 1)
        if self.averaged == "softmax":
            z = torch.log_softmax(z, dim=2)
        return torch.logsumexp(z, dim=1) - math.log(self.members)


HIDDEN_LAYERS = (nn.Linear, nn.Dropout, Periodic, Piecewise, Members, Average,
                 Scaling, Categories)                                       # not activations


def empty_mlp(spec: MLPSpec, device: torch.device | str = "cpu",
              dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """The layers with uninitialised weights on ``device``: to be loaded."""
    layers: list[nn.Module] = []
    with torch.device("meta"):
        for kind, *args in spec.layers():
            gain = spec.weight_gain(args[0]) if kind in ("linear", "members") else 1.0
            if kind == "linear":
                layers.append(nn.Linear(args[0], args[1], dtype=dtype) if gain == 1.0 else
                              Linear(args[0], args[1], gain, dtype))
            elif kind == "activation":
                layers.append(ACTIVATIONS[args[0]]())
            elif kind == "parametric":
                layers.append(Parametric(*args, dtype=dtype))
            elif kind == "periodic":
                layers.append(Periodic(args[1], dtype))
            elif kind == "piecewise":
                layers.append(Piecewise(*args))
            elif kind == "scaling":
                layers.append(Scaling(args[0], dtype))
            elif kind == "categories":
                layers.append(Categories(*args, dtype))
            elif kind == "members":
                layers.append(Members(*args, dtype=dtype, gain=gain))
            elif kind == "average":
                layers.append(Average(*args))
            else:
                layers.append(nn.Dropout(args[0]))
    return nn.Sequential(*layers).to_empty(device=device)


def build_mlp(spec: MLPSpec, rng: np.random.Generator | int | None = None,
              dtype: torch.dtype = torch.float32,
              device: torch.device | str = "cpu") -> nn.Sequential:
    """The network with initial weights drawn from ``rng`` by the NumPy initialisers."""
    model = empty_mlp(spec, device, dtype)
    initial = build_numpy_mlp(spec, rng, dtype=np.float64).state_dict()
    model.load_state_dict({k: torch.from_numpy(v).to(dtype) for k, v in initial.items()})
    return model
