"""Choose an engine: the one place that knows both, importing torch only when asked for."""

from __future__ import annotations

from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.errors import InvalidParameterError
from mlpkit.registry import resolve

ENGINES = ("numpy", "torch")


def default_engine(device: str) -> str:
    """NumPy unless a GPU is asked for by name: it starts in a blink (no torch import) and is
    as fast as PyTorch for small networks on a CPU."""
    return "torch" if device.startswith(("cuda", "mps")) else "numpy"


def make_stepper(engine: str, spec: MLPSpec, task: str, config: TrainConfig,
                 device: str = "auto"):
    """The engine's stepper, built from the spec with the config's seed."""
    engine = resolve("engine", engine, {e: e for e in ENGINES})
    if engine == "numpy":
        if device not in ("auto", "cpu"):
            raise InvalidParameterError(
                f"The numpy engine runs on the CPU only; use --engine torch for device {device!r}.")
        from mlpkit.numpy_engine.stepper import NumpyStepper

        return NumpyStepper(spec, task, config)
    from mlpkit.torch_engine.device import resolve_device
    from mlpkit.torch_engine.stepper import TorchStepper

    return TorchStepper(spec, task, config, resolve_device(device))
