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

from mlpkit.config import PERIODIC
from mlpkit.numpy_engine.module import Module, Parameter

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
        # computed feature-major, (F, n, K): the per-feature maps are then batched matmuls
        inputs = x.astype(self.weight.data.dtype, copy=False)
        x = inputs[:, self.columns]
        u = (2.0 * math.pi) * x.T[:, :, None] * self.frequencies.data[:, None, :]
        u += self.phases.data[:, None, :]
        cosines = np.cos(u)
        e = cosines @ self.weight.data + self.bias.data[:, None, :]         # (F, n, D)
        self._cache = (x, u, cosines)
        return np.concatenate([e.transpose(1, 0, 2).reshape(len(x), -1), inputs], axis=1)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._cache is None:
            raise RuntimeError("PeriodicEmbedding.backward called before forward")
        x, u, cosines = self._cache
        n, features = x.shape
        g = grad_output[:, :features * WIDTH].reshape(n, features, WIDTH).transpose(1, 0, 2)
        self.weight.accumulate(cosines.transpose(0, 2, 1) @ g)              # (F, K, D)
        self.bias.accumulate(g.sum(axis=1))
        du = g @ self.weight.data.transpose(0, 2, 1)                        # (F, n, K)
        du *= -np.sin(u)
        self.frequencies.accumulate((2.0 * math.pi) * np.einsum("fnk,nf->fk", du, x))
        self.phases.accumulate(du.sum(axis=1))
        if not need_input_grad:
            return None
        grad = grad_output[:, features * WIDTH:].copy()
        grad[:, self.columns] += (2.0 * math.pi) * np.einsum("fnk,fk->nf", du,
                                                             self.frequencies.data)
        return grad

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("frequencies", self.frequencies), ("phases", self.phases),
                ("weight", self.weight), ("bias", self.bias)]

    def __repr__(self) -> str:
        return (f"PeriodicEmbedding(columns={len(self.columns)}, frequencies={FREQUENCIES}, "
                f"width={WIDTH})")
