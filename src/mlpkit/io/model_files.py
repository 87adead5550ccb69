"""Model files: ``model.safetensors`` (weights) and ``model.json`` (everything else).

Nothing is ever unpickled: safetensors holds only named arrays, JSON only plain data. Either
engine reads what either engine wrote, because both name parameters as ``nn.Sequential``
does. Loading checks the format, the version, the SHA-256 of the weights file that the JSON
records (a flipped byte, a truncated file or one from another run is refused), and every
weight's name and shape against the architecture the JSON describes.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.config import MLPSpec
from mlpkit.errors import DataWarning, InvalidInputError, MlpkitError
from mlpkit.io import atomic
from mlpkit.plan import PERIODIC


class UnverifiedModelWarning(DataWarning):
    """A model folder from before weights were checksummed: it loads, unverified (the
    command line prints it as one line)."""


FORMAT = "mlpkit-model"
FORMAT_VERSION = 1
WEIGHTS, META = "model.safetensors", "model.json"


def expected_shapes(spec: MLPSpec) -> dict[str, tuple[int, ...]]:
    """Parameter name -> shape for the network ``spec`` describes."""
    shapes = {}
    for index, (kind, *args) in enumerate(spec.layers()):
        if kind == "linear":
            shapes[f"{index}.weight"] = (args[1], args[0])
            shapes[f"{index}.bias"] = (args[1],)
        elif kind == "scaling":
            shapes[f"{index}.scale"] = (args[0],)
        elif kind == "categories":
            shapes[f"{index}.weight"] = (sum(b - a for a, b in args[1]), args[2])
        elif kind == "parametric":
            shapes[f"{index}.alpha"] = (args[1],)
        elif kind == "members":
            shapes[f"{index}.weight"] = (args[2], args[1], args[0])
            shapes[f"{index}.bias"] = (args[2], args[1])
        elif kind == "periodic":
            (cosines, values), embedded = PERIODIC, len(args[1])
            shapes |= {f"{index}.frequencies": (embedded, cosines),
                       f"{index}.phases": (embedded, cosines),
                       f"{index}.weight": (embedded, cosines, values),
                       f"{index}.bias": (embedded, values)}
    return shapes


def n_parameters(spec: MLPSpec) -> int:
    """The network's learned values: ``expected_shapes``, counted."""
    return sum(math.prod(shape) for shape in expected_shapes(spec).values())


def save_model(folder: str | Path, state_dict: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write weights then metadata, each atomically."""
    from safetensors.numpy import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.ascontiguousarray(v, dtype=np.float64 if v.dtype == np.float64 else
                                      np.float32) for k, v in state_dict.items()}
    weights = save(arrays)
    atomic.write_bytes(folder / WEIGHTS, weights)
    atomic.write_text(folder / META, json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION,
                                                 **meta, "weights_sha256": sha256(weights)},
                                                indent=2))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_model(folder: str | Path) -> tuple[dict[str, Any], MLPSpec, dict[str, np.ndarray]]:
    """(metadata, spec, weights) from a model folder, or a one-line error saying what is wrong."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    folder = Path(folder)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise InvalidInputError(
            f"Run folder '{folder}' {what}; pass a folder made by mlpkit train.")
    for name in (META, WEIGHTS):
        if not (folder / name).is_file():
            raise InvalidInputError(
                f"'{folder}' has no {name}; pass a folder made by mlpkit train.")
        if (folder / name).resolve().parent != folder.resolve():
            raise InvalidInputError(
                f"'{folder / name}' is a link to a file outside the model folder; copy the "
                "file itself into the folder.")
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"'{folder / META}' is not valid JSON ({exc}).") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InvalidInputError(f"'{folder / META}' is not an mlpkit model description.")
    if meta.get("format_version") != FORMAT_VERSION:
        raise InvalidInputError(
            f"'{folder / META}' has format version {meta.get('format_version')!r}; this mlpkit "
            f"reads version {FORMAT_VERSION}. Upgrade mlpkit or retrain the model.")
    try:
        spec = MLPSpec.from_dict(meta["spec"])
    except (KeyError, TypeError) as exc:
        raise InvalidInputError(f"'{folder / META}' has no valid spec ({exc}).") from None
    except MlpkitError as exc:
        raise InvalidInputError(f"'{folder / META}' has an invalid spec: {exc}") from None
    data = (folder / WEIGHTS).read_bytes()
    recorded = meta.get("weights_sha256")
    if recorded is not None and recorded != sha256(data):
        raise InvalidInputError(
            f"'{folder / WEIGHTS}' is not the file {META} was written with (its SHA-256 "
            "differs: altered, truncated or from another run); restore it or retrain.")
    try:
        weights = load(data)
    except (SafetensorError, ValueError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInputError(
            f"'{folder / WEIGHTS}' is not a valid safetensors file ({reason}).") from None
    expected = expected_shapes(spec)
    if set(weights) != set(expected):
        raise InvalidInputError(
            f"'{folder / WEIGHTS}' does not match the architecture in {META}: missing "
            f"{sorted(set(expected) - set(weights))}, unexpected "
            f"{sorted(set(weights) - set(expected))}.")
    for name, shape in expected.items():
        if weights[name].shape != shape:
            raise InvalidInputError(
                f"'{folder / WEIGHTS}': {name} has shape {weights[name].shape}, but {META} "
                f"describes {shape}.")
        if weights[name].dtype.kind != "f":
            raise InvalidInputError(f"'{folder / WEIGHTS}': {name} holds {weights[name].dtype} "
                                    "values; a model's weights are floating-point numbers.")
        if not np.isfinite(weights[name]).all():
            raise InvalidInputError(f"'{folder / WEIGHTS}': {name} holds NaN or infinite values.")
    if recorded is None:
        warnings.warn(f"'{folder / META}' records no SHA-256 of its weights (an older mlpkit "
                      "wrote it), so they cannot be verified; save the model again to add it.",
                      UnverifiedModelWarning, stacklevel=3)
    # the engines compute in float32, or float64 for a model trained on float64 data
    dtype = np.float64 if all(v.dtype == np.float64 for v in weights.values()) else np.float32
    return meta, spec, {k: v.astype(dtype) for k, v in weights.items()}
