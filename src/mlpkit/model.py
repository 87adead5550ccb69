"""TrainedModel: a network with everything needed to use it on raw data, for every door.

It carries the spec, the weights, the data's ``Schema`` (columns, encoding, labels), the
fitted scaler and the options it was trained with; it saves to and loads from the
safetensors + JSON pair, and predicts with either engine. ``mlpkit predict`` / ``evaluate``
and the estimators (``mlpkit.load``) all predict through it, so the same raw rows give the
same answer whichever door they come in by. Prediction builds a forward-only network: no
optimizer, and no draw from NumPy's or PyTorch's global random state.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit._version import __version__
from mlpkit.config import MLPSpec
from mlpkit.data.preprocessing import Standardizer
from mlpkit.data.schema import Schema
from mlpkit.data.tables.encoding import TabularEncoder
from mlpkit.data.tables.surprises import Surprises
from mlpkit.errors import InvalidInputError
from mlpkit.io.model_checks import check_model
from mlpkit.io.model_files import load_model, save_model
from mlpkit.validation import check_array

KNOWN_KEYS = {"format", "format_version", "spec", "task", "class_names", "class_values",
              "feature_names", "input_names", "target", "engine", "versions", "options",
              "preprocessing", "n_targets", "weights_sha256"}


def is_table(X: Any) -> bool:
    """A pandas DataFrame (or anything with named columns)."""
    return hasattr(X, "columns") and hasattr(X, "iloc")


@dataclass
class TrainedModel:
    spec: MLPSpec
    state_dict: dict[str, np.ndarray]
    schema: Schema
    scaler: Standardizer | None = None
    engine: str = "numpy"
    options: dict[str, Any] | None = None     # the option values it was trained with
    target_scaler: Standardizer | None = None  # regression: network outputs -> target units
    target_range: tuple[np.ndarray, np.ndarray] | None = None   # clip_output: low, high
    _networks: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def task(self) -> str:
        return self.schema.task

    @property
    def dtype(self) -> np.dtype:
        """The parameters' precision: float32, or float64 for a model of float64 data."""
        return np.result_type(*self.state_dict.values())

    @property
    def input_columns(self) -> list[str]:
        """The raw columns the model reads (a table's, including those it left out)."""
        encoder = self.schema.encoder
        return [c.name for c in encoder.columns] if encoder is not None else \
            list(self.schema.feature_names)

    @property
    def labels(self) -> list:
        """What predict answers with: the data's own labels, by class index."""
        return list(self.schema.class_values or [])

    # ---- files
    def save(self, folder: str | Path) -> None:
        versions = {"mlpkit": __version__, "numpy": np.__version__,
                    "python": platform.python_version()}
        if self.engine == "torch":
            import torch

            versions["torch"] = torch.__version__
        encoder = self.schema.encoder
        meta = {
            "spec": self.spec.to_dict(), **self.schema.to_dict(), "engine": self.engine,
            "versions": versions, "options": _plain(self.options),
            "preprocessing": {
                "scaler": None if self.scaler is None else self.scaler.to_dict(),
                "encoder": None if encoder is None else encoder.to_dict(),
                "target_scaler": None if self.target_scaler is None else
                self.target_scaler.to_dict(),
                **({} if self.target_range is None else {"target_range": {
                    "low": self.target_range[0].tolist(),
                    "high": self.target_range[1].tolist()}}),
            },
        }
        save_model(folder, self.state_dict, meta)

    @classmethod
    def load(cls, folder: str | Path) -> TrainedModel:
        meta, spec, weights = load_model(folder)
        where = f"'{folder}/model.json'"
        unknown = sorted(set(meta) - KNOWN_KEYS)
        if unknown:
            raise InvalidInputError(f"{where} has unknown keys {unknown}; it was not written "
                                    "by this version of mlpkit.")
        try:
            pre = meta["preprocessing"]
            scaler = None if pre["scaler"] is None else Standardizer.from_dict(pre["scaler"])
            encoder = None if pre["encoder"] is None else TabularEncoder.from_dict(pre["encoder"])
            schema = Schema.from_dict(meta, encoder)
            options = meta.get("options")
            target = pre.get("target_scaler")
            target_scaler = None if target is None else Standardizer.from_dict(target)
            bounds = pre.get("target_range")
            target_range = None if bounds is None else \
                (np.asarray(bounds["low"], np.float64), np.asarray(bounds["high"], np.float64))
            model = cls(spec, weights, schema, scaler, meta.get("engine", "numpy"),
                        options if isinstance(options, dict) else None, target_scaler,
                        target_range)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"{where} is incomplete or malformed ({exc}).") from None
        check_model(model, where)
        return model

    # ---- raw rows -> features -> outputs -> labels
    def features(self, X: Any, source: str = "X",
                 surprises: Surprises | None = None) -> np.ndarray:
        """Raw rows -> the feature matrix the network's scaler expects.

        A table is read by column name (any order, extra columns ignored), through the
        training's encoding if it had one; an array is read by position. What the encoding
        fills in or zeroes (new gaps, unseen categories) is tallied in ``surprises``, or said
        at once."""
        encoder = self.schema.encoder
        if encoder is not None:
            if not is_table(X):
                X = self._as_table(X, [c.name for c in encoder.columns], source)
            return encoder.transform(X, source, surprises)
        if is_table(X):
            names = self.schema.feature_names
            missing = [name for name in names if name not in X.columns]
            if missing:
                raise InvalidInputError(
                    f"'{source}' lacks the column(s) {missing[:5]} the model was trained on; "
                    f"its header must name {', '.join(names[:10])}"
                    f"{', ...' if len(names) > 10 else ''}.")
            X, source = X[names].to_numpy(), f"'{source}'"    # a file's (or frame's) name
        X = check_array(X, name=source, dtype=self.dtype)
        if X.shape[1] != self.spec.n_inputs:
            raise InvalidInputError(f"X has {X.shape[1]} features, but the model expects "
                                    f"{self.spec.n_inputs}.")
        return X

    @staticmethod
    def _as_table(X: Any, names: list[str], source: str):
        import pandas as pd

        array = np.asarray(X, dtype=object)
        if array.ndim != 2 or array.shape[1] != len(names):
            raise InvalidInputError(
                f"{source} has shape {array.shape}, but the model reads {len(names)} columns "
                f"({', '.join(names[:10])}); pass a DataFrame with those columns or an array "
                "with them in that order.")
        return pd.DataFrame(array, columns=names).infer_objects()

    def predict_output(self, X: np.ndarray, engine: str | None = None,
                       device: str = "auto") -> np.ndarray:
        """Probabilities (n, n_classes) or (n, n_labels), or values (n,) or (n, n_targets),
        for feature rows X (before scaling)."""
        if X.ndim != 2 or X.shape[1] != self.spec.n_inputs:
            raise InvalidInputError(
                f"X has shape {X.shape}, but the model expects (n, {self.spec.n_inputs}).")
        X = X.astype(self.dtype, copy=False) if self.scaler is None else \
            self.scaler.transform(X, dtype=self.dtype)
        return self.predict_scaled(X, engine, device)

    def predict_scaled(self, X: np.ndarray, engine: str | None = None,
                       device: str = "auto") -> np.ndarray:
        """``predict_output`` for rows already scaled as the network sees them (a training
        run's own splits): the same forward-only network, the answer in the target's units."""
        network = self._network(engine or self.engine, device)
        output = network.predict_output(X)
        if self.task == "multilabel":       # a label's probability is never exactly 0 or 1
            tiny = np.finfo(output.dtype).eps
            np.clip(output, tiny, 1 - tiny, out=output)
        values = self.to_target_units(output)
        if self.target_range is not None:       # clip_output: within the training's targets
            low, high = self.target_range
            values = np.clip(values, *(low, high) if values.ndim == 2 else (low[0], high[0]))
        return values

    def to_target_units(self, values: np.ndarray) -> np.ndarray:
        """Regression: the network's standardised values back in the target's own units
        (float64); anything else unchanged."""
        if self.target_scaler is None:
            return values
        scale, mean = (self.target_scaler.scale.astype(np.float64),
                       self.target_scaler.mean.astype(np.float64))
        if values.ndim == 1:
            scale, mean = scale[0], mean[0]
        return values.astype(np.float64) * scale + mean

    def _network(self, engine: str, device: str):
        """The engine's forward-only network with these weights, built once per engine."""
        from mlpkit.engines import make_network

        key = (engine, device if engine == "torch" else "cpu")
        if key not in self._networks:
            network = make_network(engine, self.spec, self.task, key[1], self.dtype)
            network.load_state_dict(self.state_dict)
            self._networks[key] = network
        return self._networks[key]

    def predict_labels(self, output: np.ndarray) -> list[Any]:
        """One answer per row: a value (a list of values for several targets), a class, or
        the labels of a multi-label model whose probability exceeds 0.5 (joined by ';')."""
        if self.task == "regression":
            return output.tolist()
        if self.task == "multilabel":
            return [";".join(str(self.labels[k]) for k in np.flatnonzero(row > 0.5))
                    for row in output]
        labels = self.labels
        return [labels[i] for i in output.argmax(axis=1)]

    def class_indices(self, y: Any, source: str = "y") -> np.ndarray:
        """The data's labels -> class indices, refusing labels the model never saw."""
        index = {_label_key(v): i for i, v in enumerate(self.labels)}
        names = [_label_key(v) for v in np.asarray(y, dtype=object)]
        unknown = sorted(set(names) - set(index))
        if unknown:
            raise InvalidInputError(
                f"{source} has label(s) {unknown[:5]} that the model was not trained on "
                f"(known: {', '.join(map(str, self.labels[:20]))}).")
        return np.array([index[n] for n in names], dtype=np.int64)


def _label_key(value: Any) -> str:
    """One spelling per label: 3, 3.0 and np.int64(3) are the same class; "3" too (a CSV)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _plain(value: Any) -> Any:
    """Option values as JSON: tuples become lists, dict keys strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
