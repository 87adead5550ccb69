"""What the page draws, computed from a published ``Snapshot`` on the server's side: the
decision surface, every neuron's output over the grid, the weights, new curve points, the
confusion matrix. The forward pass is the NumPy engine's own layers (``build_mlp``), on a copy
of the weights, so drawing never touches the network that trains.

Pictures travel as bytes (one per cell, base64): a 48 x 48 picture is 3 KB of JSON, so a
frame of the default network is a few tens of KB and 30 of them a second cost nothing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlpkit.io.model_files import n_parameters
from mlpkit.numpy_engine.activations import Softmax
from mlpkit.numpy_engine.layers import Linear
from mlpkit.numpy_engine.models import build_mlp
from mlpkit.playground.data import GRID, engineered_names

MAX_POINTS_DRAWN = 4000        # per split: a larger table is drawn from a seeded sample
MAX_EDGES_SENT = 20000         # weights sent with each frame (beyond: sizes only)
BOUNDED = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


@dataclass(frozen=True)
class View:
    """What a frame needs of one network's data, fixed until the next reset."""

    build: int
    spec: Any
    task: str
    class_names: list[str]
    scaler: Any
    target_scaler: Any
    grid: np.ndarray                   # the canvas's inputs, scaled as the network sees them
    static: dict[str, Any]             # sent once per build: axes, points, inputs' pictures
    test_X: np.ndarray                 # scaled, for the confusion matrix
    test_y: np.ndarray


def make_view(worker) -> View:
    data, canvas, session = worker.data, worker.canvas, worker.session
    scaled = canvas.inputs if session.scaler is None else \
        session.scaler.transform(canvas.inputs, dtype=np.float32)
    cx, cy = canvas.columns
    common = float(np.abs(scaled).max()) or 1.0
    y_all = np.concatenate([data.y_train, data.y_test]).astype(np.float64)
    static = {
        "build": worker.build, "task": data.task, "classes": list(data.class_names),
        "grid": GRID, "axes": list(canvas.names), "ranges": [list(r) for r in canvas.ranges],
        "inputs": list(data.feature_names), "hidden": list(session.spec.hidden),
        "columns": list(data.feature_names)[:len(data.feature_names) - len(
            engineered_names(canvas.names, worker.settings))],      # what can be drawn
        "activations": [session.spec.activation_of(k) for k in range(len(session.spec.hidden))],
        "outputs": session.spec.n_outputs,
        "train": _points(data.X_train, data.y_train, cx, cy, canvas.origins[0]),
        "test": _points(data.X_test, data.y_test, cx, cy, canvas.origins[1]),
        "target_range": [float(y_all.min()), float(y_all.max())],
        "input_pictures": [_picture(scaled[:, k], (-common, common))     # one scale for all
                           for k in range(scaled.shape[1])],
        "settings": worker.settings.to_dict(), "parameters": n_parameters(session.spec)}
    return View(worker.build, session.spec, data.task, list(data.class_names), session.scaler,
                session.target_scaler, scaled, static, worker.test_rows[0], data.y_test)


def _points(X: np.ndarray, y: np.ndarray, cx: int, cy: int,
            origins: np.ndarray) -> list[list[float]]:
    """[x, y, label, origin, row] per point drawn: origin as ``Canvas.origins``, row the
    point's index among the training (or test) rows."""
    rows = np.arange(len(X))
    if len(rows) > MAX_POINTS_DRAWN:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAX_POINTS_DRAWN, replace=False))
    return [[round(float(X[i, cx]), 5), round(float(X[i, cy]), 5), float(y[i]),
             int(origins[i]), int(i)] for i in rows]


def _picture(values: np.ndarray, bounds: tuple[float, float] | None) -> str:
    """One byte per cell: 0..255 for -scale..+scale (a bounded activation's own range, else
    the largest |value|); 127.5 is zero."""
    if bounds is not None:
        scale = max(abs(bounds[0]), abs(bounds[1]))
    else:
        finite = values[np.isfinite(values)]
        scale = float(np.abs(finite).max()) if finite.size else 1.0
    scaled = np.nan_to_num(values / max(scale, 1e-12), nan=0.0, posinf=1.0, neginf=-1.0)
    data = np.clip(np.round(127.5 + 127.5 * scaled), 0, 255).astype(np.uint8)
    return base64.b64encode(data.tobytes()).decode("ascii")


class Painter:
    """Frames for one view; holds its own NumPy network (the server's, not the trainer's)."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.network = build_mlp(view.spec, 0)
        self.network.eval()

    def frame(self, snapshot, curve_from: int) -> dict[str, Any]:
        view = self.view
        frame: dict[str, Any] = {
            "version": snapshot.version, "build": snapshot.build, "epoch": snapshot.epoch,
            "batches": snapshot.batches, "running": snapshot.running,
            "finished": snapshot.finished, "error": snapshot.error,
            "findings": snapshot.findings, "curve_from": curve_from,
            "curve": snapshot.curve[curve_from:snapshot.epoch]}
        if not snapshot.weights or snapshot.build != view.build:
            return frame
        self.network.load_state_dict(snapshot.weights)
        outputs, hidden = self._forward(view.grid)
        frame["neurons"] = [[_picture(layer[:, j], BOUNDED.get(view.spec.activation_of(k)))
                             for j in range(layer.shape[1])] for k, layer in enumerate(hidden)]
        linears = [layer for layer in self.network.layers if isinstance(layer, Linear)]
        if sum(layer.weight.data.size for layer in linears) <= MAX_EDGES_SENT:
            frame["weights"] = [np.round(layer.weight.data, 4).tolist() for layer in linears]
            frame["biases"] = [np.round(layer.bias.data, 4).tolist() for layer in linears]
        if view.task == "classification":
            probabilities = Softmax().forward(outputs)
            frame["surface"] = base64.b64encode(np.round(probabilities * 255).astype(np.uint8)
                                                .tobytes()).decode("ascii")
            predicted = self._forward(view.test_X)[0].argmax(axis=1)
            k = len(view.class_names)
            frame["confusion"] = np.bincount(view.test_y * k + predicted,
                                             minlength=k * k).reshape(k, k).tolist()
        else:
            values = outputs[:, 0].astype(np.float64)
            if view.target_scaler is not None:
                values = view.target_scaler.inverse_transform(values.reshape(-1, 1))[:, 0]
            low, high = view.static["target_range"]
            centred = (values - (low + high) / 2) / max((high - low) / 2, 1e-12)
            frame["surface"] = _picture(centred, (-1.0, 1.0))
        return frame

    @np.errstate(over="ignore", invalid="ignore")
    def _forward(self, X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        hidden, out = [], X
        for layer in self.network.layers:
            out = layer(out)
            if not isinstance(layer, Linear) and layer is not self.network.layers[-1] and \
                    type(layer).__name__ != "Dropout":
                hidden.append(out)
        return out, hidden
