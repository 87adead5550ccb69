"""Export a TrainedModel to ONNX, preprocessing included, for ONNX Runtime anywhere.

The graph is written directly with ``onnx.helper`` from the model's own numbers rather than
traced through PyTorch: an MLP is a few matrix products, so the graph stays small and readable,
either engine's model exports the same way, and exporting a NumPy-engine model needs no torch.

Inputs (any batch size ``N``), as the model's ``model.json`` records its columns:
- ``numeric``: float32 ``[N, k]``, the numeric columns in their recorded order, NaN where a
  value is missing (for a model trained on arrays: its features, named ``X``);
- one string input ``[N, 1]`` per text column, named after it, the empty string where
  missing; categories never seen in training are encoded as all zeros, as in mlpkit;
- one float32 input ``[N, k]`` per date column, named after it: the date's encoded parts
  (year, then sine and cosine of each cycle; the graph's doc string lists them), NaN where
  missing. Dates stay outside the graph because ONNX has no date parsing: its string
  operators cannot read a calendar.
Outputs: ``probabilities`` ``[N, C]`` and ``label`` ``[N]`` for a classifier (the labels the
data had); for a multi-label classifier ``probabilities`` ``[N, L]`` (one sigmoid per label)
and ``label`` ``[N, L]``, int64 1 where the probability exceeds 0.5; ``prediction`` ``[N]``
in the target's own units for a regressor, ``[N, T]`` for T targets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.data.tables.encoding import MISSING, ColumnEncoding
from mlpkit.errors import MlpkitError
from mlpkit.io import atomic
from mlpkit.io.onnx_layers import network_ops, smooth_clip
from mlpkit.model import TrainedModel

OPSET, ML_OPSET = 17, 3

class MissingExtraError(MlpkitError):
    """An optional dependency is not installed."""


def _onnx():
    try:
        import onnx
    except ImportError:
        raise MissingExtraError("ONNX export needs the onnx package; install it with: pip "
                                "install 'mlpkit[export]'") from None
    return onnx


class _Graph:
    """A list of nodes and constants, named uniquely."""

    def __init__(self, onnx) -> None:
        self.onnx, self.nodes, self.constants, self.count = onnx, [], [], 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def constant(self, value: Any, stem: str = "c") -> str:
        name = self.name(stem)
        self.constants.append(self.onnx.numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], domain: str = "", output: str | None = None,
           **attributes: Any) -> str:
        output = output or self.name(op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [output], domain=domain,
                                                     **attributes))
        return output


def _columns(graph: _Graph, model: TrainedModel, inputs: list) -> list[str]:
    """One [N, k] float block per used column, in the encoder's feature order."""
    helper, tensor = graph.onnx.helper, graph.onnx.TensorProto
    encoder = model.schema.encoder
    numeric = [c for c in encoder.used if c.role == "numeric"]
    if numeric:
        inputs.append(helper.make_tensor_value_info("numeric", tensor.FLOAT, ["N", len(numeric)]))
    blocks = []
    for col in encoder.used:
        if col.role == "numeric":
            index = graph.constant(np.array([numeric.index(col)], np.int64), "index")
            value = graph.op("Gather", ["numeric", index], axis=1)
            blocks += _filled(graph, col, value, np.float32([col.fill or 0.0]))
        elif col.role == "category":
            inputs.append(helper.make_tensor_value_info(col.name, tensor.STRING, ["N", 1]))
            names = ["" if c == MISSING else c for c in col.categories]   # "" means missing
            onehot = graph.op("OneHotEncoder", [col.name], domain="ai.onnx.ml",
                              cats_strings=names, zeros=1)
            blocks.append(graph.op("Flatten", [onehot], axis=1))
        else:
            parts = len(col.feature_names) - int(col.indicator)
            inputs.append(helper.make_tensor_value_info(col.name, tensor.FLOAT, ["N", parts]))
            blocks += _filled(graph, col, col.name, _date_fill(col))
    return blocks


def _filled(graph: _Graph, col: ColumnEncoding, value: str, fill: np.ndarray) -> list[str]:
    """NaN -> the training fill; plus the 0/1 missing indicator where training had gaps, and
    the 0/1 point mass or a code's values (the filled value equal to each, in float32 as the
    encoder compares)."""
    blocks = [value]
    if col.fill is not None:
        missing = graph.op("IsNaN", [value])
        blocks = [graph.op("Where", [missing, graph.constant(fill.astype(np.float32)), value])]
        if col.indicator:
            first = graph.op("Gather", [missing, graph.constant(np.array([0], np.int64))],
                             axis=1)
            blocks.append(graph.op("Cast", [first], to=graph.onnx.TensorProto.FLOAT))
    equal_to = [col.mass] if col.mass is not None else col.levels or []
    if equal_to:                    # (n, 1) against (k,): one 0/1 column per value
        equal = graph.op("Equal", [blocks[0], graph.constant(np.float32(equal_to))])
        blocks.append(graph.op("Cast", [equal], to=graph.onnx.TensorProto.FLOAT))
    return blocks


def _date_fill(col: ColumnEncoding) -> np.ndarray:
    import pandas as pd

    from mlpkit.data.tables import dates

    if col.fill is None:
        return np.zeros(0, np.float32)
    return dates.features(pd.Series([pd.Timestamp(col.fill)]), col.date_parts)[0]


def to_onnx(model: TrainedModel):
    """The ONNX ModelProto of ``model``: raw rows in, predictions in the data's terms out."""
    onnx = _onnx()
    helper, tensor = onnx.helper, onnx.TensorProto
    graph, inputs, outputs = _Graph(onnx), [], []
    if model.schema.encoder is None:
        inputs.append(helper.make_tensor_value_info("X", tensor.FLOAT, ["N", model.spec.n_inputs]))
        x = "X"
    else:
        x = graph.op("Concat", _columns(graph, model, inputs), axis=1)
    if model.scaler is not None:
        x = graph.op("Sub", [x, graph.constant(model.scaler.mean.astype(np.float32), "mean")])
        x = graph.op("Div", [x, graph.constant(model.scaler.scale.astype(np.float32), "scale")])
        if model.scaler.clip:
            x = smooth_clip(graph, x)
    out = network_ops(graph, model.spec, model.state_dict, x)
    if model.task == "classification":
        graph.op("Softmax", [out], axis=1, output="probabilities")
        index = graph.op("ArgMax", [out], axis=1, keepdims=0)
        labels = np.array(model.labels)
        labels = labels.astype(object) if labels.dtype.kind == "U" else labels
        graph.op("Gather", [graph.constant(labels, "labels"), index], axis=0, output="label")
        outputs = [helper.make_tensor_value_info("probabilities", tensor.FLOAT,
                                                 ["N", len(labels)]),
                   helper.make_tensor_value_info("label", helper.np_dtype_to_tensor_dtype(
                       np.dtype(object) if labels.dtype == object else labels.dtype), ["N"])]
    elif model.task == "multilabel":          # one sigmoid per label, as predict_output
        graph.op("Sigmoid", [out], output="probabilities")
        indicator = graph.op("Greater", [out, graph.constant(np.zeros(1, np.float32), "zero")])
        graph.op("Cast", [indicator], to=tensor.INT64, output="label")
        n_labels = len(model.labels)
        outputs = [helper.make_tensor_value_info("probabilities", tensor.FLOAT, ["N", n_labels]),
                   helper.make_tensor_value_info("label", tensor.INT64, ["N", n_labels])]
    else:
        n_targets = model.spec.n_outputs
        value = graph.op("Exp", [out]) if model.spec.link == "log" else out   # Poisson's mean
        if model.target_scaler is not None:
            value = graph.op("Mul", [value, graph.constant(
                model.target_scaler.scale.astype(np.float32), "target_scale")])
            value = graph.op("Add", [value, graph.constant(
                model.target_scaler.mean.astype(np.float32), "target_mean")])
        if model.target_range is not None:    # clip_output
            low, high = (bound.astype(np.float32) for bound in model.target_range)
            value = graph.op("Min", [graph.op("Max", [value, graph.constant(low, "low")]),
                                     graph.constant(high, "high")])
        if n_targets == 1:                    # one target: a value per row, as predict_output
            value = graph.op("Reshape", [value, graph.constant(np.array([-1], np.int64))])
        graph.op("Identity", [value], output="prediction")
        outputs = [helper.make_tensor_value_info(
            "prediction", tensor.FLOAT, ["N"] if n_targets == 1 else ["N", n_targets])]
    doc = describe_inputs(model)
    onnx_graph = helper.make_graph(graph.nodes, "mlpkit", inputs, outputs,
                                   initializer=graph.constants, doc_string=doc)
    proto = helper.make_model(onnx_graph, producer_name="mlpkit", doc_string=doc,
                              opset_imports=[helper.make_opsetid("", OPSET),
                                             helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    proto.ir_version = 9          # readable by every ONNX Runtime from 1.16 on
    onnx.checker.check_model(proto)
    return proto


def describe_inputs(model: TrainedModel) -> str:
    """What each graph input expects, in words (stored in the file's doc string)."""
    encoder = model.schema.encoder
    if encoder is None:
        return f"X: float32 [N, {model.spec.n_inputs}], columns " + \
            ", ".join(model.schema.feature_names)
    lines = []
    numeric = [c.name for c in encoder.used if c.role == "numeric"]
    if numeric:
        lines.append(f"numeric: float32 [N, {len(numeric)}], NaN where missing, columns "
                     + ", ".join(numeric))
    for col in encoder.used:
        if col.role == "category":
            lines.append(f"{col.name}: string [N, 1], '' where missing")
        elif col.role == "date":
            parts = col.feature_names[:len(col.feature_names) - int(col.indicator)]
            lines.append(f"{col.name}: float32 [N, {len(parts)}], the date as "
                         + ", ".join(parts) + " (mlpkit.data.tables.dates.features), NaN where "
                         "missing")
    return "; ".join(lines)


def export_onnx(model: TrainedModel, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``model`` as an ONNX file (atomically; an existing file only with ``overwrite``)."""
    path = Path(path)
    atomic.refuse_existing(path, overwrite)
    proto = to_onnx(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, proto.SerializeToString())
    return path


def onnx_inputs(model: TrainedModel, rows) -> dict[str, np.ndarray]:
    """The graph's inputs for raw table rows (or a feature array), as a user outside mlpkit
    would build them: for tests and for the README's example."""
    import pandas as pd

    from mlpkit.data.tables import dates

    encoder = model.schema.encoder
    if encoder is None:
        return {"X": np.asarray(rows, dtype=np.float32)}
    feeds: dict[str, np.ndarray] = {}
    numeric = [c.name for c in encoder.used if c.role == "numeric"]
    if numeric:
        feeds["numeric"] = rows[numeric].apply(pd.to_numeric, errors="coerce") \
            .to_numpy(np.float32)
    for col in encoder.used:
        if col.role == "category":
            text = rows[col.name].astype(str).where(rows[col.name].notna(), "")
            feeds[col.name] = text.to_numpy(dtype=object).reshape(-1, 1)
        elif col.role == "date":
            times = dates.parse(rows[col.name], col.date_format)
            feeds[col.name] = dates.features(times, col.date_parts).astype(np.float32)
    return feeds
