"""Training checkpoints: one safetensors file per run, the resume point.

Arrays (weights, optimizer buffers, random generator states) are tensors; everything else
(history, epoch, callback states) is JSON in the safetensors header, with the SHA-256 of the
arrays, so an altered checkpoint is refused rather than resumed. Written atomically, so a
crash leaves the previous checkpoint or the next one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.errors import InvalidInputError
from mlpkit.io import atomic

FORMAT_VERSION = 1

CHECKPOINT = "checkpoint.safetensors"


def save_training_checkpoint(folder: str | Path, arrays: dict[str, np.ndarray],
                             meta: dict[str, Any]) -> None:
    """One file, written atomically: arrays as tensors, the rest as JSON in the header."""
    from safetensors.numpy import save

    tensors = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    header = {"format": "mlpkit-checkpoint", "format_version": str(FORMAT_VERSION),
              "training": json.dumps(meta), "arrays_sha256": arrays_sha256(tensors)}
    atomic.write_bytes(Path(folder) / CHECKPOINT, save(tensors, metadata=header))


def load_training_checkpoint(folder: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays, meta) of a run's last checkpoint, or a one-line error."""
    from safetensors import SafetensorError, safe_open

    path = Path(folder) / CHECKPOINT
    if not path.is_file():
        raise InvalidInputError(
            f"'{folder}' has no {CHECKPOINT}; only a run folder made by mlpkit train can be "
            "resumed.")
    try:
        with safe_open(path, framework="numpy") as f:
            header = f.metadata() or {}
            arrays = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
        meta = json.loads(header["training"])
    except (SafetensorError, ValueError, OSError, KeyError) as exc:
        raise InvalidInputError(f"'{path}' is damaged and cannot be resumed ({exc}).") from None
    if header.get("format") != "mlpkit-checkpoint" or \
            header.get("format_version") != str(FORMAT_VERSION):
        raise InvalidInputError(f"'{path}' is not an mlpkit checkpoint of format version "
                                f"{FORMAT_VERSION}.")
    recorded = header.get("arrays_sha256")       # (absent: an older mlpkit's checkpoint)
    if recorded is not None and recorded != arrays_sha256(arrays):
        raise InvalidInputError(f"'{path}' was altered after it was written (its arrays' "
                                "SHA-256 differs) and cannot be resumed.")
    return arrays, meta


def arrays_sha256(arrays: dict[str, np.ndarray]) -> str:
    """One digest of every array's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()
