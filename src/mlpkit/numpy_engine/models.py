"""Build the NumPy network an ``MLPSpec`` describes."""

from __future__ import annotations

import numpy as np

from mlpkit.config import MLPSpec
from mlpkit.numpy_engine.activations import Parametric, get_activation
from mlpkit.numpy_engine.categories import CategoryEmbedding
from mlpkit.numpy_engine.embedding import PeriodicEmbedding
from mlpkit.numpy_engine.ensemble import Average, Members
from mlpkit.numpy_engine.init import for_activation
from mlpkit.numpy_engine.layers import Dropout, Linear, Scaling
from mlpkit.numpy_engine.module import Module
from mlpkit.numpy_engine.network import Sequential
from mlpkit.numpy_engine.piecewise import PiecewiseLinear


def build_mlp(spec: MLPSpec, rng: np.random.Generator | int | None = None,
              dtype: type | np.dtype = np.float32) -> Sequential:
    """Layers in ``spec.layers()`` order, weights drawn from ``rng`` layer by layer. With an
    int seed, ``init="sklearn"`` draws them from ``RandomState(seed)`` in scikit-learn's
    order, so a ``random_state`` gives scikit-learn's own initial weights."""
    weights_rng = np.random.RandomState(rng) if spec.init == "sklearn" and \
        isinstance(rng, (int, np.integer)) else None
    rng = np.random.default_rng(rng)
    hidden = len(spec.hidden)
    layers: list[Module] = []
    linear = 0
    for kind, *args in spec.layers():
        if kind in ("linear", "members"):   # (scikit-learn's init: narrower under logistic)
            after = spec.activation_of(linear) if linear < hidden else spec.activation
            init = for_activation(spec.init, after)
            gain = spec.weight_gain(args[0])
            layers.append(Linear(args[0], args[1], init=init, rng=weights_rng or rng,
                                 dtype=dtype, gain=gain) if kind == "linear" else
                          Members(*args, init=init, rng=weights_rng or rng, dtype=dtype,
                                  gain=gain))
            linear += 1
        elif kind == "average":
            layers.append(Average(*args))
        elif kind == "activation":
            layers.append(get_activation(args[0]))
        elif kind == "parametric":
            layers.append(Parametric(*args, dtype=dtype))
        elif kind == "scaling":
            layers.append(Scaling(args[0], dtype=dtype))
        elif kind == "categories":
            layers.append(CategoryEmbedding(*args, rng, dtype=dtype))
        elif kind == "periodic":
            layers.append(PeriodicEmbedding(args[1], rng, dtype=dtype))
        elif kind == "piecewise":
            layers.append(PiecewiseLinear(*args, dtype=dtype))
        else:
            layers.append(Dropout(args[0], rng=rng.spawn(1)[0]))
    return Sequential(*layers)
