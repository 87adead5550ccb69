"""TrainedModel: a network with everything needed to use it on raw data.

It carries the spec, the weights, the task, class and feature names and the preprocessing
(scaler, CSV encoding), saves to and loads from the safetensors + JSON pair, and predicts
with either engine.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit import __version__
from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.data.preprocessing import Standardizer
from mlpkit.data.tabular import TabularEncoder
from mlpkit.errors import InvalidInputError
from mlpkit.io.checkpoint import load_model, save_model


@dataclass
class TrainedModel:
    spec: MLPSpec
    state_dict: dict[str, np.ndarray]
    task: str
    class_names: list[str]
    feature_names: list[str]
    scaler: Standardizer | None = None
    encoder: TabularEncoder | None = None
    engine: str = "numpy"
    class_values: list | None = None     # the original labels (ints, bools, strings), if known

    def save(self, folder: str | Path) -> None:
        versions = {"mlpkit": __version__, "numpy": np.__version__,
                    "python": platform.python_version()}
        if self.engine == "torch":
            import torch

            versions["torch"] = torch.__version__
        meta = {
            "spec": self.spec.to_dict(), "task": self.task, "class_names": self.class_names,
            "feature_names": self.feature_names, "engine": self.engine, "versions": versions,
            "class_values": self.class_values,
            "preprocessing": {
                "scaler": None if self.scaler is None else self.scaler.to_dict(),
                "encoder": None if self.encoder is None else self.encoder.to_dict(),
            },
        }
        save_model(folder, self.state_dict, meta)

    @classmethod
    def load(cls, folder: str | Path) -> TrainedModel:
        meta, spec, weights = load_model(folder)
        known = {"format", "format_version", "spec", "task", "class_names", "feature_names",
                 "engine", "versions", "preprocessing", "class_values"}
        unknown = sorted(set(meta) - known)
        if unknown:
            raise InvalidInputError(f"'{folder}/model.json' has unknown keys {unknown}; it was "
                                    "not written by this version of mlpkit.")
        try:
            pre = meta["preprocessing"]
            scaler = None if pre["scaler"] is None else Standardizer.from_dict(pre["scaler"])
            encoder = None if pre["encoder"] is None else TabularEncoder.from_dict(pre["encoder"])
            values = meta.get("class_values")
            model = cls(spec, weights, meta["task"], list(meta["class_names"]),
                        list(meta["feature_names"]), scaler, encoder, meta.get("engine", "numpy"),
                        None if values is None else list(values))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"'{folder}/model.json' is incomplete or malformed ({exc}).") \
                from None
        where = f"'{folder}/model.json'"
        if model.task not in ("classification", "regression"):
            raise InvalidInputError(f"{where} has task {model.task!r}; expected 'classification' "
                                    "or 'regression'.")
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
        if model.encoder is not None and len(model.encoder.feature_names) != spec.n_inputs:
            raise InvalidInputError(f"{where}: its CSV encoding makes "
                                    f"{len(model.encoder.feature_names)} features, the network "
                                    f"has {spec.n_inputs} inputs.")
        if model.class_values is not None and len(model.class_values) != len(model.class_names):
            raise InvalidInputError(f"{where} has {len(model.class_values)} class values for "
                                    f"{len(model.class_names)} class names.")
        if model.task == "classification" and len(model.class_names) != spec.n_outputs:
            raise InvalidInputError(
                f"'{folder}/model.json' names {len(model.class_names)} classes for a network "
                f"with {spec.n_outputs} outputs.")
        if len(model.feature_names) != spec.n_inputs:
            raise InvalidInputError(
                f"'{folder}/model.json' names {len(model.feature_names)} features for a network "
                f"with {spec.n_inputs} inputs.")
        return model

    def features_from_frame(self, frame, source: str = "the data") -> np.ndarray:
        """Raw table rows -> the feature matrix the network was trained on (before scaling)."""
        if self.encoder is not None:
            return self.encoder.transform(frame, source)
        missing = [name for name in self.feature_names if name not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"'{source}' lacks the column(s) {missing[:5]} the model was trained on; "
                f"its header must name {', '.join(self.feature_names[:10])}"
                f"{', ...' if len(self.feature_names) > 10 else ''}.")
        from mlpkit.validation import check_array

        return check_array(frame[self.feature_names].to_numpy(), name=f"'{source}'",
                           dtype=np.float32)

    def predict_output(self, X: np.ndarray, engine: str | None = None,
                       device: str = "auto") -> np.ndarray:
        """Probabilities (n, n_classes) or values (n,) for unscaled features X."""
        from mlpkit.engines import make_stepper

        if X.ndim != 2 or X.shape[1] != self.spec.n_inputs:
            raise InvalidInputError(
                f"X has shape {X.shape}, but the model expects (n, {self.spec.n_inputs}).")
        if self.scaler is not None:
            X = self.scaler.transform(X)
        stepper = make_stepper(engine or self.engine, self.spec, self.task, TrainConfig(),
                               device if (engine or self.engine) == "torch" else "cpu")
        stepper.load_state_dict(self.state_dict)
        return stepper.predict_output(X.astype(np.float32))

    def predict_labels(self, output: np.ndarray) -> list[Any]:
        if self.task == "regression":
            return output.tolist()
        return [self.class_names[i] for i in output.argmax(axis=1)]
