"""Optimizers with ``torch.optim``'s update formulas, ``zero_grad()`` and ``step()``.

Notation per parameter p with gradient g, learning rate lr, weight decay wd, step count t.
Updates happen in place on ``p.data``; state buffers are allocated once, on the first step.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mlpkit.errors import InvalidParameterError
from mlpkit.numpy_engine.module import Parameter
from mlpkit.validation import check_non_negative, check_positive, resolve


class Optimizer:
    """``params``: Parameters, or groups as ``torch.optim`` takes them (dicts with "params"
    and their own "lr" or "weight_decay"; other keys, such as "lr_factor", are kept)."""

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float,
                 weight_decay: float) -> None:
        check_positive(lr, "lr")
        check_non_negative(weight_decay, "weight_decay")
        given = list(params)
        groups = given if given and isinstance(given[0], dict) else [{"params": given}]
        self.param_groups = [{**group, "params": list(group["params"]),     # as torch.optim,
                              "lr": group.get("lr", lr),                   # so schedules treat
                              "weight_decay": group.get("weight_decay", weight_decay)}  # both
                             for group in groups]                          # alike
        self.params = [p for group in self.param_groups for p in group["params"]]
        if not self.params:
            raise InvalidParameterError("The optimizer got an empty parameter list.")
        self._spans: list[tuple[int, int]] = []      # each group's indices into self.params
        for group in self.param_groups:
            start = self._spans[-1][1] if self._spans else 0
            self._spans.append((start, start + len(group["params"])))
        self.state: list[dict] = [{} for _ in self.params]   # the buffers a resume needs
        self._decayed: dict[int, np.ndarray] = {}     # per parameter: g + wd p, reused
        self._scratch: dict[int, np.ndarray] = {}     # per parameter: the step, reused

    @property
    def lr(self) -> float:
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        self.param_groups[0]["lr"] = value

    @property
    def weight_decay(self) -> float:
        return self.param_groups[0]["weight_decay"]

    def groups(self):
        """Each group with its parameters and their states."""
        for group, (start, stop) in zip(self.param_groups, self._spans):
            yield group, self.params[start:stop], self.state[start:stop]

    def state_dict(self) -> dict[int, dict]:
        """Each parameter's buffers by its index, as ``torch.optim``'s ``state``."""
        return {i: dict(state) for i, state in enumerate(self.state)}

    def load_state_dict(self, state: dict[int, dict]) -> None:
        self.state = [dict(state.get(i, {})) for i in range(len(self.params))]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient (as torch.optim, skip those without)."""
        for group, params, states in self.groups():
            for p, state in zip(params, states):
                if p.grad is not None:
                    self._update(p, state, group)

    def _update(self, p: Parameter, state: dict, group: dict) -> None:
        raise NotImplementedError

    def _decayed_grad(self, p: Parameter, weight_decay: float) -> np.ndarray:
        """g + wd * p: L2 regularisation folded into the gradient (coupled weight decay), into
        a buffer kept per parameter: a fresh array per step costs more than the sum."""
        if not weight_decay:
            return p.grad
        buffer = self._decayed.get(id(p))
        if buffer is None or buffer.shape != p.data.shape or buffer.dtype != p.data.dtype:
            buffer = self._decayed[id(p)] = np.empty_like(p.data)
        np.multiply(p.data, weight_decay, out=buffer)
        buffer += p.grad                 # wd p + g: the same number as g + wd p
        return buffer

    def _descend(self, p: Parameter, scale: float, direction: np.ndarray) -> None:
        """p -= scale * direction, through a buffer kept per parameter (no allocation per
        step)."""
        scratch = self._scratch.get(id(p))
        if scratch is None or scratch.dtype != p.data.dtype:
            scratch = self._scratch[id(p)] = np.empty_like(p.data)
        np.multiply(direction, scale, out=scratch)
        p.data -= scratch


class SGD(Optimizer):
    """v = mu v + g (v = g on the first step); p -= lr (g + mu v) with Nesterov, else lr v."""

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        check_non_negative(momentum, "momentum")
        if nesterov and momentum == 0:
            raise InvalidParameterError("Nesterov momentum needs momentum > 0.")
        self.momentum = momentum
        self.nesterov = nesterov

    def _update(self, p: Parameter, state: dict, group: dict) -> None:
        g = self._decayed_grad(p, group["weight_decay"])
        if self.momentum:
            velocity = state.get("momentum_buffer")
            if velocity is None:
                velocity = state["momentum_buffer"] = g.copy()
            else:
                velocity *= self.momentum
                velocity += g
            g = g + self.momentum * velocity if self.nesterov else velocity
        self._descend(p, group["lr"], g)


class RMSprop(Optimizer):
    """s = a s + (1 - a) g^2; p -= lr g / (sqrt(s) + eps) (centered: s - mean(g)^2)."""

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, lr, weight_decay)
        check_non_negative(momentum, "momentum")
        self.alpha, self.eps, self.momentum, self.centered = alpha, eps, momentum, centered

    def _update(self, p: Parameter, state: dict, group: dict) -> None:
        g = self._decayed_grad(p, group["weight_decay"])
        if not state:
            state["square_avg"] = np.zeros_like(p.data)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p.data)
            if self.momentum:
                state["momentum_buffer"] = np.zeros_like(p.data)
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * np.square(g)
        if self.centered:
            grad_avg = state["grad_avg"]
            grad_avg *= self.alpha
            grad_avg += (1 - self.alpha) * g
            denom = np.sqrt(square_avg - np.square(grad_avg)) + self.eps
        else:
            denom = np.sqrt(square_avg) + self.eps
        if self.momentum:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += g / denom
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * g / denom


class Adam(Optimizer):
    """m, v = running means of g and g^2; p -= lr m_hat / (sqrt(v_hat) + eps), bias-corrected."""

    decoupled_weight_decay = False

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        for beta in betas:
            if not 0.0 <= beta < 1.0:
                raise InvalidParameterError(f"Adam betas must lie in [0, 1), got {betas}.")
        self.betas, self.eps = betas, eps

    def step(self) -> None:
        """Each group's parameters in one pass over flat arrays: the same element-wise formulas
        as ``_update`` (so the same numbers), one array operation each instead of one per
        parameter, which is most of a step's cost on a small network."""
        for index, (group, params, states) in enumerate(self.groups()):
            if any(p.grad is None for p in params) or len({p.data.dtype for p in params}) > 1:
                for p, state in zip(params, states):     # (some parameter skips this step)
                    if p.grad is not None:
                        self._update(p, state, group)
                continue
            m, v = self._moments(index, params, states)
            data = self._flat_data(index, params)
            g = np.concatenate([p.grad for p in params], axis=None)      # flattened
            if group["weight_decay"] and not self.decoupled_weight_decay:
                g += group["weight_decay"] * data
            self._fused(group, states, m, v, g, data)

    def _fused(self, group: dict, states: list[dict], m: np.ndarray, v: np.ndarray,
               g: np.ndarray, data: np.ndarray) -> None:
        beta1, beta2 = self.betas
        lr = group["lr"]
        for state in states:
            state["step"] += 1
        t = states[0]["step"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * np.square(g)
        denom = np.sqrt(v) / np.sqrt(1 - beta2**t) + self.eps
        if self.decoupled_weight_decay:
            data *= 1 - lr * group["weight_decay"]       # AdamW: decay the weights directly
        data -= (lr / (1 - beta1**t)) * m / denom

    def _flat_data(self, index: int, params: list[Parameter]) -> np.ndarray:
        """A group's values as one flat array whose pieces are the parameters' own ``data``
        (views), made again when a parameter was given a new array (a load)."""
        cache = self.__dict__.setdefault("_data", {})
        flat = cache.get(index)
        if flat is None or any(p.data.base is not flat for p in params):
            flat = cache[index] = np.concatenate([p.data.ravel() for p in params])
            start = 0
            for p in params:
                p.data = flat[start:start + p.data.size].reshape(p.data.shape)
                start += p.data.size
        return flat

    def _moments(self, index: int, params: list[Parameter],
                 states: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        """A group's running means as two flat arrays whose pieces are each parameter's state
        (views, so ``state_dict`` and a resume see them), made again after a load."""
        cache = self.__dict__.setdefault("_flat", {})
        flat = cache.get(index)
        if flat is None or any(state.get("exp_avg") is None or
                               state["exp_avg"].base is not flat[0] for state in states):
            flat = cache[index] = tuple(np.concatenate(
                [np.ravel(state.get(key, np.zeros_like(p.data))) for p, state in
                 zip(params, states)]).astype(params[0].data.dtype)
                for key in ("exp_avg", "exp_avg_sq"))
            start = 0
            for p, state in zip(params, states):
                state.setdefault("step", 0)
                for key, array in zip(("exp_avg", "exp_avg_sq"), flat):
                    state[key] = array[start:start + p.data.size].reshape(p.data.shape)
                start += p.data.size
        return flat

    def _update(self, p: Parameter, state: dict, group: dict) -> None:
        lr = group["lr"]
        if self.decoupled_weight_decay:
            p.data *= 1 - lr * group["weight_decay"]    # AdamW: decay the weights directly
            g = p.grad
        else:
            g = self._decayed_grad(p, group["weight_decay"])
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        beta1, beta2 = self.betas
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * np.square(g)
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        denom = np.sqrt(v) / np.sqrt(bias_correction2) + self.eps
        p.data -= (lr / bias_correction1) * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p *= 1 - lr wd before the step."""

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}


def get_optimizer(name: str, params: Iterable[Parameter], **kwargs) -> Optimizer:
    """An optimizer by name over ``params`` ("sgd", "rmsprop", "adam", "adamw")."""
    return resolve("optimizer", name, OPTIMIZERS)(params, **kwargs)
