"""Periodic embeddings of the input features, with their backpropagation written out.

A plain MLP draws smooth functions of each input; a table's target often jumps at thresholds
(where trees shine). Each feature x_f is therefore also expanded into K cosines of learned
frequencies and phases, mapped by a small per-feature linear layer to D values, and those are
put beside the raw inputs (Gorishniy et al. 2022; RealMLP's "PBLD" variant). Only the
``columns`` that are numbers are embedded (a table's one-hot columns are not): with x the
inputs and f running over those F columns,

    u[n,f,k] = 2 pi w[f,k] x[n,f] + b[f,k]           (n, F, K)
    e[n,f,d] = sum_k cos(u[n,f,k]) A[f,k,d] + c[f,d]  (n, F, D)
    out      = [e flattened over (f, d), x]           (n, F D + all inputs)

and, given g = dL/de (the first F D columns of dL/dout, reshaped (n, F, D)), the chain rule:

    dL/dA[f,k,d] = sum_n cos(u)[n,f,k] g[n,f,d]        dL/dc = sum_n g
    dL/du[n,f,k] = -sin(u)[n,f,k] sum_d g[n,f,d] A[f,k,d]
    dL/dw[f,k]   = 2 pi sum_n dL/du[n,f,k] x[n,f]      dL/db = sum_n dL/du
    dL/dx        = the rest of dL/dout, plus 2 pi sum_k dL/du[n,f,k] w[f,k] in column f
"""

from __future__ import annotations

import math

import numpy as np

from mlpkit.numpy_engine.module import Module, Parameter
from mlpkit.plan import PERIODIC

(FREQUENCIES, WIDTH), SIGMA = PERIODIC, 0.1      # K, D, and the frequencies' initial spread


class PeriodicEmbedding(Module):
    """Frequencies ~ N(0, SIGMA^2), phases ~ U(-pi, pi), the linear map as ``nn.Linear``'s
    default (U(+-1/sqrt(K))), all drawn from ``rng``; parameters are named ``frequencies``,
    ``phases``, ``weight`` (F, K, D) and ``bias`` (F, D)."""

    def __init__(self, columns: tuple[int, ...], rng: np.random.Generator,
                 dtype: type | np.dtype = np.float32) -> None:
        self.columns = np.asarray(columns, dtype=np.intp)
        n_features = len(columns)
        bound = 1.0 / math.sqrt(FREQUENCIES)
        shape = (n_features, FREQUENCIES)
        self.frequencies = Parameter(rng.normal(0.0, SIGMA, shape).astype(dtype))
        self.phases = Parameter(rng.uniform(-math.pi, math.pi, shape).astype(dtype))
        self.weight = Parameter(rng.uniform(-bound, bound, (*shape, WIDTH)).astype(dtype))
        self.bias = Parameter(rng.uniform(-bound, bound, (n_features, WIDTH)).astype(dtype))
        self._cache: tuple[np.ndarray, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        # feature-major, (F, n, K): u is one batched product of [x, 1] (F, n, 2) with
        # [2 pi w; b] (F, 2, K), and the per-feature maps are batched products too
        inputs = x.astype(self.weight.data.dtype, copy=False)
        n, features = len(inputs), len(self.columns)
        x_one = np.empty((features, n, 2), inputs.dtype)
        x_one[:, :, 0] = inputs[:, self.columns].T
        x_one[:, :, 1] = 1.0
        u = x_one @ np.stack([(2.0 * math.pi) * self.frequencies.data, self.phases.data], 1)
        cosines = np.cos(u)
        self._cache = (x_one, u, cosines)
        out = np.empty((n, features * WIDTH + inputs.shape[1]), inputs.dtype)
        e = out[:, :features * WIDTH].reshape(n, features, WIDTH).transpose(1, 0, 2)
        np.matmul(cosines, self.weight.data, out=e)                          # (F, n, D)
        e += self.bias.data[:, None, :]
        out[:, features * WIDTH:] = inputs
        return out

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._cache is None:
            raise RuntimeError("PeriodicEmbedding.backward called before forward")
        x_one, u, cosines = self._cache
        self._cache = None                # u becomes sin(u) below: one backward per forward
        features, n, _ = x_one.shape
        g = grad_output[:, :features * WIDTH].reshape(n, features, WIDTH).transpose(1, 0, 2)
        self.weight.accumulate(cosines.transpose(0, 2, 1) @ g)              # (F, K, D)
        self.bias.accumulate(g.sum(axis=1))
        minus_du = g @ self.weight.data.transpose(0, 2, 1)                  # (F, n, K)
        minus_du *= np.sin(u, out=u)      # -dL/du: the sign goes on the small results below
        x_du, minus_db = (x_one.transpose(0, 2, 1) @ minus_du).transpose(1, 0, 2)  # 2 x (F, K)
        self.frequencies.accumulate((-2.0 * math.pi) * x_du)
        self.phases.accumulate(-minus_db)
        if not need_input_grad:
            return None
        grad = grad_output[:, features * WIDTH:].copy()
        grad[:, self.columns] -= (2.0 * math.pi) * \
            (minus_du @ self.frequencies.data[:, :, None])[:, :, 0].T
        return grad

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("frequencies", self.frequencies), ("phases", self.phases),
                ("weight", self.weight), ("bias", self.bias)]

    def __repr__(self) -> str:
        return (f"PeriodicEmbedding(columns={len(self.columns)}, frequencies={FREQUENCIES}, "
                f"width={WIDTH})")
