"""Choose an engine: the one place that knows both, importing torch only when asked for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.errors import InvalidParameterError
from mlpkit.torch_engine.distributed import Group
from mlpkit.validation import resolve

ENGINES = ("numpy", "torch")


def default_engine(device: str, distributed: bool = False) -> str:
    """NumPy unless a GPU is asked for by name, or the run is distributed (DDP is PyTorch's):
    it starts in a blink (no torch import) and is as fast as PyTorch for small networks on a
    CPU."""
    return "torch" if distributed or device.startswith(("cuda", "mps")) else "numpy"


@contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    """PyTorch's intra-op threads set for the block, the caller's number restored after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def thread_limit(engine: str, threads: int | None):
    """A context that sets the CPU threads for training, and restores the caller's after: the
    rule measured in
    benchmarks/RESULTS.md: the numpy engine gets 1 BLAS thread unless told otherwise (a second
    OpenBLAS thread spins between small matrix products and slows the loop down); the torch
    engine keeps PyTorch's default (all cores: a second thread gained 1.3x) unless told."""
    from contextlib import nullcontext

    from mlpkit.validation import check_positive

    if threads is not None:
        check_positive(threads, "threads", integer=True)
    if engine == "numpy":
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=threads or 1, user_api="blas")
    return nullcontext() if threads is None else _torch_threads(threads)


def make_network(engine: str, spec: MLPSpec, task: str, device: str = "auto",
                 dtype: np.dtype | type = np.float32):
    """The engine's forward-only network (weights to be loaded): for prediction, which needs
    no optimizer and draws no random numbers."""
    engine = resolve("engine", engine, {e: e for e in ENGINES})
    if engine == "numpy":
        from mlpkit.numpy_engine.inference import NumpyNetwork

        return NumpyNetwork(spec, task, dtype=dtype)
    from mlpkit.torch_engine.device import resolve_device
    from mlpkit.torch_engine.inference import TorchNetwork

    return TorchNetwork(spec, task, resolve_device(device), dtype=dtype)


def make_stepper(engine: str, spec: MLPSpec, task: str, config: TrainConfig,
                 device: str = "auto", data_loader: bool = False,
                 dtype: np.dtype | type = np.float32, group: Group | None = None):
    """The engine's stepper, built from the spec with the config's seed; its parameters are
    ``dtype`` (float32, or float64 for float64 data). With a distributed ``group`` it trains
    under DDP on the group's device."""
    engine = resolve("engine", engine, {e: e for e in ENGINES})
    if group is not None:
        from mlpkit.torch_engine.distributed import check_launchable

        check_launchable(engine, config.full_batch_solver, spec.ensemble)
    if engine == "numpy":
        if device not in ("auto", "cpu"):
            raise InvalidParameterError(
                f"The numpy engine runs on the CPU only; use --engine torch for device {device!r}.")
        if data_loader:
            raise InvalidParameterError(
                "--data-loader feeds the torch engine's device; the numpy engine already reads "
                "batches from host memory. Add --engine torch or drop --data-loader.")
        from mlpkit.numpy_engine.stepper import NumpyStepper

        return NumpyStepper(spec, task, config, dtype)
    from mlpkit.torch_engine.device import resolve_device
    from mlpkit.torch_engine.stepper import TorchStepper

    torch_device = resolve_device(device) if group is None else group.device
    return TorchStepper(spec, task, config, torch_device, data_loader, dtype, group)
