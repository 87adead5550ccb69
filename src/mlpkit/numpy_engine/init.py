"""Weight initialisers, each drawing from an explicit ``np.random.Generator``.

Weights have PyTorch's layout ``(out_features, in_features)``, so fan_in is ``shape[1]`` and
fan_out is ``shape[0]``; the formulas are those of ``torch.nn.init``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mlpkit.validation import resolve

Initializer = Callable[[np.random.Generator, tuple[int, int], np.dtype], np.ndarray]

_RELU_GAIN = math.sqrt(2.0)


def _fans(shape: tuple[int, int]) -> tuple[int, int]:
    fan_out, fan_in = shape
    return fan_in, fan_out


def xavier_uniform(rng: np.random.Generator, shape: tuple[int, int], dtype=np.float32,
                   gain: float = 1.0) -> np.ndarray:
    """Glorot & Bengio (2010): keeps activation variance for tanh/sigmoid layers."""
    fan_in, fan_out = _fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def xavier_normal(rng: np.random.Generator, shape: tuple[int, int], dtype=np.float32,
                  gain: float = 1.0) -> np.ndarray:
    fan_in, fan_out = _fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=shape).astype(dtype)


def kaiming_uniform(rng: np.random.Generator, shape: tuple[int, int], dtype=np.float32,
                    gain: float = _RELU_GAIN) -> np.ndarray:
    """He et al. (2015): keeps activation variance through ReLU layers (fan_in mode)."""
    fan_in, _ = _fans(shape)
    bound = gain * math.sqrt(3.0 / fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def kaiming_normal(rng: np.random.Generator, shape: tuple[int, int], dtype=np.float32,
                   gain: float = _RELU_GAIN) -> np.ndarray:
    fan_in, _ = _fans(shape)
    return rng.normal(0.0, gain / math.sqrt(fan_in), size=shape).astype(dtype)


def normal(rng: np.random.Generator, shape: tuple[int, int], dtype=np.float32,
           std: float = 0.01) -> np.ndarray:
    """Small Gaussian weights, as in the classic Perceptron/Adaline walk-throughs."""
    return rng.normal(0.0, std, size=shape).astype(dtype)


def zeros(rng: np.random.Generator, shape: tuple[int, int], dtype=np.float32) -> np.ndarray:
    """All zeros: fine for a single linear unit, but every hidden unit then learns the same."""
    return np.zeros(shape, dtype=dtype)


def pytorch_default(rng: np.random.Generator, shape: tuple[int, int],
                    dtype=np.float32) -> np.ndarray:
    """``nn.Linear``'s own default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    fan_in, _ = _fans(shape)
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def sklearn_uniform(rng: np.random.Generator, shape: tuple[int, int], dtype=np.float32,
                    factor: float = 6.0) -> np.ndarray:
    """scikit-learn's MLP: Glorot-uniform in ±sqrt(factor / (fan_in + fan_out)), factor 6
    (2 under the logistic activation); its bias is drawn from the same range. Drawn in its
    (fan_in, fan_out) layout, so its RandomState gives its very numbers."""
    fan_in, fan_out = _fans(shape)
    bound = math.sqrt(factor / (fan_in + fan_out))
    return np.ascontiguousarray(rng.uniform(-bound, bound, size=(fan_in, fan_out)).T,
                                dtype=dtype)


def sklearn_logistic_uniform(rng: np.random.Generator, shape: tuple[int, int],
                             dtype=np.float32) -> np.ndarray:
    return sklearn_uniform(rng, shape, dtype, factor=2.0)


def bias_bound(initializer: Initializer, shape: tuple[int, int]) -> float | None:
    """The range a layer's bias is drawn from by the initialisers that draw it (PyTorch's
    and scikit-learn's); None: the bias starts at zero."""
    fan_in, fan_out = _fans(shape)
    if initializer is pytorch_default:
        return 1.0 / math.sqrt(fan_in)
    factors = {sklearn_uniform: 6.0, sklearn_logistic_uniform: 2.0}
    if initializer in factors:
        return math.sqrt(factors[initializer] / (fan_in + fan_out))
    return None


def for_activation(init: str, activation: str) -> str:
    """scikit-learn's initialiser narrows its range under the logistic activation."""
    return "sklearn_logistic" if init == "sklearn" and activation == "sigmoid" else init


INITIALIZERS: dict[str, Initializer] = {
    "default": pytorch_default,
    "sklearn": sklearn_uniform,
    "sklearn_logistic": sklearn_logistic_uniform,
    "xavier_uniform": xavier_uniform,
    "glorot_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "glorot_normal": xavier_normal,
    "kaiming_uniform": kaiming_uniform,
    "he_uniform": kaiming_uniform,
    "kaiming_normal": kaiming_normal,
    "he_normal": kaiming_normal,
    "normal": normal,
    "zeros": zeros,
}


def get_initializer(init: str | Initializer) -> Initializer:
    """A callable as given, or the initialiser registered under that name."""
    return init if callable(init) else resolve("initializer", init, INITIALIZERS)
