"""Pick the device: ``auto`` takes CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from mlpkit.errors import InvalidParameterError

DEVICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def resolve_device(name: str = "auto") -> torch.device:
    """A usable ``torch.device`` for ``name``, or a one-line error saying what to use instead."""
    name = name.lower()
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InvalidParameterError(
                f"Device {name!r} was asked for, but PyTorch sees no CUDA GPU here; use "
                "--device cpu or --device auto.")
        return torch.device(name)
    if name == "mps":
        if not _mps_available():
            raise InvalidParameterError(
                "Device 'mps' was asked for, but PyTorch sees no Apple GPU here; use --device cpu "
                "or --device auto.")
        return torch.device("mps")
    if name == "cpu":
        return torch.device("cpu")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    raise InvalidParameterError(
        f"Unknown device {name!r}; use one of {', '.join(DEVICES)} (or cuda:N).")
