"""A generator state of the stepper's own, lent to PyTorch's global generators for an epoch.

Dropout masks can only come from PyTorch's global generator; the torch stepper keeps its own
state (seeded from the config) and lends it for each epoch only (``fork_rng``), so training
is reproducible and the caller's random stream is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


class OwnGenerator:
    def __init__(self, seed: int, device: torch.device) -> None:
        self.device = device
        self.devices = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=self.devices):
            torch.manual_seed(seed)
            self.states = self._global()

    def _global(self) -> dict[str, torch.Tensor]:
        states = {"cpu": torch.get_rng_state()}
        if self.devices:
            states["cuda"] = torch.cuda.get_rng_state(self.device)
        return states

    @contextmanager
    def lent(self) -> Iterator[None]:
        """The block draws from this state; after it, the global one is as it was."""
        with torch.random.fork_rng(devices=self.devices):
            torch.set_rng_state(self.states["cpu"])
            if "cuda" in self.states:
                torch.cuda.set_rng_state(self.states["cuda"], self.device)
            try:
                yield
            finally:
                self.states = self._global()

    def arrays(self) -> dict[str, np.ndarray]:
        """The state as arrays, for a checkpoint (``rng/cpu``, ``rng/cuda``)."""
        return {f"rng/{name}": state.numpy().copy() for name, state in self.states.items()}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.states = {name: torch.from_numpy(arrays[f"rng/{name}"].copy())
                       for name in self.states}
