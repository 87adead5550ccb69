"""What a model file could hold wrongly, refused on loading with one line naming the file:
the metadata must describe the network it sits beside (``TrainedModel.load`` calls it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlpkit.errors import InvalidInputError

TASKS = ("classification", "regression", "multilabel")


def check_model(model: Any, where: str) -> None:
    """The metadata must describe the network it sits beside."""
    spec, schema = model.spec, model.schema
    if schema.task not in TASKS:
        raise InvalidInputError(f"{where} has task {schema.task!r}; expected one of "
                                f"{', '.join(TASKS)}.")
    if model.engine not in ("numpy", "torch"):
        raise InvalidInputError(f"{where} names engine {model.engine!r}; expected 'numpy' or "
                                "'torch'.")
    if model.scaler is not None:
        mean, scale = model.scaler.mean, model.scaler.scale
        if mean.shape != (spec.n_inputs,) or scale.shape != (spec.n_inputs,):
            raise InvalidInputError(f"{where} has a scaler for {mean.size} features, but the "
                                    f"network has {spec.n_inputs} inputs.")
        if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise InvalidInputError(f"{where} has a scaler with non-positive or non-finite "
                                    "values.")
    target = model.target_scaler
    if target is not None and (schema.task != "regression" or target.clip
                               or target.mean.shape != (schema.n_targets,)
                               or not np.isfinite(target.scale).all()
                               or not (target.scale > 0).all()
                               or not np.isfinite(target.mean).all()):
        raise InvalidInputError(f"{where} has an invalid target scaler; only a regression "
                                "model has one, with a finite mean and positive scale per "
                                "target.")
    bounds = model.target_range
    if bounds is not None and (schema.task != "regression" or any(
            b.shape != (schema.n_targets,) or not np.isfinite(b).all() for b in bounds)
            or (bounds[0] > bounds[1]).any()):
        raise InvalidInputError(f"{where} has an invalid target range; only a regression "
                                "model has one, a finite low <= high per target.")
    encoder = schema.encoder
    if encoder is not None and len(encoder.feature_names) != spec.n_inputs:
        raise InvalidInputError(f"{where}: its CSV encoding makes "
                                f"{len(encoder.feature_names)} features, the network "
                                f"has {spec.n_inputs} inputs.")
    if schema.task == "regression" and schema.n_targets != spec.n_outputs:
        raise InvalidInputError(f"{where} names {schema.n_targets} targets for a network "
                                f"with {spec.n_outputs} outputs.")
    if schema.task != "regression":
        if len(schema.class_names) != spec.n_outputs:
            raise InvalidInputError(f"{where} names {len(schema.class_names)} classes for a "
                                    f"network with {spec.n_outputs} outputs.")
        if len(schema.class_values) != len(schema.class_names):
            raise InvalidInputError(f"{where} has {len(schema.class_values)} class values "
                                    f"for {len(schema.class_names)} class names.")
    if len(schema.feature_names) != spec.n_inputs:
        raise InvalidInputError(f"{where} names {len(schema.feature_names)} features for a "
                                f"network with {spec.n_inputs} inputs.")
