"""Will it fit? The memory a network needs to train, estimated before anything is allocated.

Per parameter: the weight, its gradient, the optimizer's buffers (Adam keeps two moments,
momentum one, L-BFGS its correction pairs) and a scratch buffer, in float32; per sample of a
batch: each layer's output kept for the backward pass, its gradient, and the activation's
cache. A request that exceeds the machine's memory is refused with the estimate, rather than
dying in an allocation.
"""

from __future__ import annotations

import os

from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.errors import InvalidInputError
from mlpkit.io.model_files import n_parameters

# float32 buffers per parameter; L-BFGS: SciPy's 10 correction pairs and vectors, in float64
BUFFERS = {"adam": 2, "adamw": 2, "rmsprop": 2, "sgd": 1, "lbfgs": 2 * (2 * 10 + 4)}


def training_bytes(spec: MLPSpec, config: TrainConfig, batch: int) -> int:
    per_parameter = 4 * (3 + BUFFERS[config.optimizer])
    widths = sum(layer[2] for layer in spec.layers() if layer[0] == "linear")
    return n_parameters(spec) * per_parameter + 4 * 3 * batch * widths


def machine_bytes() -> int | None:
    """Physical memory, where the system says (None elsewhere: then nothing is refused)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_fits(spec: MLPSpec, config: TrainConfig) -> None:
    batch = config.batch_size if isinstance(config.batch_size, int) else 64
    need, have = training_bytes(spec, config, batch), machine_bytes()
    if have is not None and need > have:
        shape = "-".join(str(w) for w in (spec.n_inputs, *spec.hidden, spec.n_outputs))
        raise InvalidInputError(
            f"Training the {shape} network ({n_parameters(spec):,} parameters) needs about "
            f"{need / 2**30:.1f} GiB of memory; this machine has {have / 2**30:.1f} GiB. Use "
            "smaller --hidden layers (each weight matrix is the product of two widths).")
