"""K networks trained side by side in one: their layers and their average, backprop written out.

An ensemble of K members (``--ensemble K``) keeps each member's activations side by side in
one array, (n, K w): member k's w values in columns k w .. (k+1) w. Member k's layer is its
own ``y_k = x_k W_k^T + b_k`` with W of shape (K, out, in); the first layer's members all
read the same input x (the network's, or the shared periodic embedding's). Activations and
dropout act element-wise, so they serve all members unchanged. With g_k = dL/dy_k:

    dL/dW_k = g_k^T x_k        dL/db_k = sum_n g_k        dL/dx_k = g_k W_k
    (shared input: dL/dx = sum_k g_k W_k)

Under the NTK parametrisation each member's product carries the factor c = 1/sqrt(in), as
``Linear``'s does.

``Average`` ends the network. In training it hands each member's outputs to the loss as rows
of their own, (n K, outputs), so every member learns from its own loss (an ensemble, not one
wide network). In evaluation it returns the outputs whose prediction is the members' mean
prediction, so every door predicts the ensemble: with a_k = log softmax(z_k) and
LSE_k the log-sum-exp over members,

    softmax:  c = LSE_k(a_k) - log K               (softmax(c) = mean_k softmax(z_k))
    sigmoid:  c = log m - log(1 - m), m = mean_k sigmoid(z_k), in log space
    exp:      c = LSE_k(z_k) - log K               (exp(c) = mean_k exp(z_k): Poisson)
    identity: c = mean_k z_k
"""

from __future__ import annotations

import math

import numpy as np

from mlpkit.numpy_engine.init import bias_bound, get_initializer
from mlpkit.numpy_engine.module import Module, Parameter


def _log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _logsumexp(z: np.ndarray, axis: int) -> np.ndarray:
    top = z.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(z - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -z)


class Members(Module):
    """K linear layers side by side; each member's weights drawn by ``init`` as its own
    ``Linear`` would be (so each member starts as a network of its own seed would)."""

    def __init__(self, in_features: int, out_features: int, members: int, shared: bool, *,
                 init: str, rng: np.random.Generator, dtype: type | np.dtype = np.float32,
                 gain: float = 1.0) -> None:
        self.in_features, self.out_features = in_features, out_features
        self.members, self.shared = members, shared
        initializer, shape = get_initializer(init), (out_features, in_features)
        bound = bias_bound(initializer, shape)
        weights, biases = [], []
        for _ in range(members):
            weights.append(initializer(rng, shape, np.dtype(dtype)))
            biases.append(np.zeros(out_features, dtype) if bound is None else
                          rng.uniform(-bound, bound, size=out_features).astype(dtype))
        self.gain = gain
        self.weight = Parameter((np.stack(weights) / gain).astype(dtype))   # (K, out, in)
        self.bias = Parameter(np.stack(biases))              # (K, out)
        self._input: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        k, n = self.members, len(x)
        x = x.astype(self.weight.data.dtype, copy=False)
        if self.shared:              # one product: (n, in) @ (in, K out)
            self._input = x
            out = x @ self.weight.data.reshape(k * self.out_features, -1).T
            if self.gain != 1.0:
                out *= self.gain
            return out + self.bias.data.reshape(-1)
        xk = x.reshape(n, k, self.in_features).transpose(1, 0, 2)          # (K, n, in)
        self._input = xk
        out = xk @ self.weight.data.transpose(0, 2, 1)
        if self.gain != 1.0:
            out *= self.gain
        out += self.bias.data[:, None, :]
        return out.transpose(1, 0, 2).reshape(n, -1)                       # (n, K out)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        x, k, out = self._input, self.members, self.out_features
        if x is None:
            raise RuntimeError("Members.backward called before forward")
        bias_grad = grad_output
        if self.gain != 1.0:
            grad_output = grad_output * self.gain    # (c: the weights' products carry it)
        if self.shared:
            self.weight.accumulate((grad_output.T @ x).reshape(k, out, -1))
            self.bias.accumulate(bias_grad.sum(axis=0).reshape(k, out))
            return grad_output @ self.weight.data.reshape(k * out, -1) if need_input_grad \
                else None
        n = len(grad_output)
        g = grad_output.reshape(n, k, out).transpose(1, 0, 2)              # (K, n, out)
        self.weight.accumulate(g.transpose(0, 2, 1) @ x)                   # (K, out, in)
        self.bias.accumulate(bias_grad.reshape(n, k, out).sum(axis=0))
        if not need_input_grad:
            return None
        return (g @ self.weight.data).transpose(1, 0, 2).reshape(n, -1)   # (n, K in)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("weight", self.weight), ("bias", self.bias)]

    def __repr__(self) -> str:
        return (f"Members({self.members} x Linear(in_features={self.in_features}, "
                f"out_features={self.out_features}), shared_input={self.shared})")


class Average(Module):
    """The members' outputs as rows of their own (training), or as the outputs of their mean
    prediction (evaluation); ``averaged`` names what is averaged (see the module's maths)."""

    def __init__(self, members: int, averaged: str) -> None:
        self.members, self.averaged = members, averaged
        self._cache: tuple[np.ndarray, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        n, k = len(x), self.members
        z = x.reshape(n, k, -1)
        if self.training:
            self._cache = (z,)
            return z.reshape(n * k, -1)          # row i K + j: row i's member j
        if self.averaged == "identity":
            self._cache = (z,)
            return z.mean(axis=1)
        if self.averaged == "sigmoid":
            ones, zeros = _log_sigmoid(z), _log_sigmoid(-z)       # log m_k, log (1 - m_k)
            log_m, log_rest = _logsumexp(ones, 1), _logsumexp(zeros, 1)
            self._cache = (z, ones - log_m[:, None], zeros - log_rest[:, None])
            return log_m - log_rest
        a = _log_softmax(z, axis=2) if self.averaged == "softmax" else z
        total = _logsumexp(a, 1)
        self._cache = (z, a - total[:, None])            # log of each member's share
        return total - math.log(k)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        if self._cache is None:
            raise RuntimeError("Average.backward called before forward")
        z, *shares = self._cache
        n, k = z.shape[0], self.members
        if self.training:
            return grad_output.reshape(n, -1)
        g = grad_output[:, None, :]
        if self.averaged == "identity":
            return np.broadcast_to(g / k, z.shape).reshape(n, -1)
        if self.averaged == "sigmoid":      # dc/dz_k = r1_k (1 - s_k) + r0_k s_k
            s = np.exp(_log_sigmoid(z))
            return (g * (np.exp(shares[0]) * (1 - s) + np.exp(shares[1]) * s)).reshape(n, -1)
        grad = g * np.exp(shares[0])                     # dL/da_k (exp: dL/dz_k)
        if self.averaged == "softmax":                   # back through log softmax
            grad = grad - np.exp(_log_softmax(z, axis=2)) * grad.sum(axis=2, keepdims=True)
        return grad.reshape(n, -1)

    def __repr__(self) -> str:
        return f"Average(members={self.members}, averaged={self.averaged!r})"
