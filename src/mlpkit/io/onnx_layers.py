"""The network's layers as ONNX operators, each as its engine computes it: the input
scaling, the periodic embedding, the piecewise-linear encoding, Gemm (x W^T + b), activations
(parametric too), an ensemble's members and their average; dropout is off at inference.
``export.py`` puts the preprocessing before them and the head after."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlpkit.config import MLPSpec
from mlpkit.data.preprocessing import CLIP
from mlpkit.numpy_engine.layers import SCALE_FACTOR
from mlpkit.numpy_engine.piecewise import bin_arrays
from mlpkit.plan import kept_columns

ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "identity": None,
               "selu": "Selu", "mish": "mish"}      # mish: z tanh(softplus z), composed


def network_ops(graph: Any, spec: MLPSpec, weights: dict[str, np.ndarray], x: str) -> str:
    """``x`` through the layers of ``spec`` with their ``weights`` (a state dict)."""
    for index, (kind, *args) in enumerate(spec.layers()):
        if kind == "categories":
            x = graph.op("MatMul", [x, graph.constant(category_matrix(
                weights[f"{index}.weight"], *args), "categories")])
        elif kind == "scaling":        # x * (F s), as numpy_engine/layers.py
            scale = SCALE_FACTOR * weights[f"{index}.scale"].astype(np.float32)
            x = graph.op("Mul", [x, graph.constant(scale.astype(np.float32), "scale")])
        elif kind == "periodic":
            x = _periodic(graph, spec, weights, index, x)
        elif kind == "piecewise":
            x = _piecewise(graph, x, *args)
        elif kind == "linear":       # (ntk: the stored weights times c = 1/sqrt(in))
            weight = graph.constant((weights[f"{index}.weight"] * spec.weight_gain(args[0]))
                                    .astype(np.float32), "W")
            bias = graph.constant(weights[f"{index}.bias"].astype(np.float32), "b")
            x = graph.op("Gemm", [x, weight, bias], transB=1)
        elif kind == "members":
            x = _members(graph, weights, index, x, *args, spec.weight_gain(args[0]))
        elif kind == "average":
            x = _average(graph, x, *args)
        elif kind == "activation":
            x = _activation(graph, args[0], x)
        elif kind == "parametric":   # x + a (f(x) - x)
            alpha = graph.constant(weights[f"{index}.alpha"].astype(np.float32), "alpha")
            bent = graph.op("Sub", [_activation(graph, args[0], x), x])
            x = graph.op("Add", [x, graph.op("Mul", [alpha, bent])])
    return x


def category_matrix(weight: np.ndarray, width: int, blocks: tuple[tuple[int, int], ...],
                    dim: int) -> np.ndarray:
    """The embedding of categories as one matrix M, x M = its output: a 1 from each input
    passed on to its place, each one-hot block's rows of W to its D outputs (exact: every
    other term is a 0 times a finite input)."""
    kept = kept_columns(width, blocks)
    matrix = np.zeros((width, len(kept) + len(blocks) * dim), np.float32)
    matrix[kept, np.arange(len(kept))] = 1.0
    first = 0
    for i, (start, stop) in enumerate(blocks):
        column = len(kept) + i * dim
        matrix[start:stop, column:column + dim] = weight[first:first + stop - start]
        first += stop - start
    return matrix


def _activation(graph: Any, name: str, x: str) -> str:
    if name == "mish":                                      # (Mish is opset 18's)
        return graph.op("Mul", [x, graph.op("Tanh", [graph.op("Softplus", [x])])])
    return x if ACTIVATIONS[name] is None else graph.op(ACTIVATIONS[name], [x])


def _members(graph: Any, weights: dict[str, np.ndarray], index: int, x: str, n_in: int,
             n_out: int, members: int, shared: bool, gain: float) -> str:
    """An ensemble's K layers side by side (numpy_engine/ensemble.py): one Gemm when they
    share their input, else an Einsum over the members' blocks of columns."""
    weight = (weights[f"{index}.weight"] * gain).astype(np.float32)
    bias = weights[f"{index}.bias"].astype(np.float32)
    if shared:
        return graph.op("Gemm", [x, graph.constant(weight.reshape(-1, n_in), "W"),
                                 graph.constant(bias.reshape(-1), "b")], transB=1)
    blocks = graph.op("Reshape", [x, graph.constant(np.array([0, members, n_in]), "members")])
    out = graph.op("Einsum", [blocks, graph.constant(weight, "W")], equation="nki,koi->nko")
    out = graph.op("Add", [out, graph.constant(bias, "b")])
    return graph.op("Reshape", [out, graph.constant(np.array([0, -1]), "flat")])


def _average(graph: Any, x: str, members: int, averaged: str) -> str:
    """The outputs of the members' mean prediction, as ``Average`` in evaluation."""
    z = graph.op("Reshape", [x, graph.constant(np.array([0, members, -1]), "members")])
    if averaged == "identity":
        return graph.op("ReduceMean", [z], axes=[1], keepdims=0)
    if averaged == "sigmoid":        # log m - log(1 - m), m the mean sigmoid, in log space
        def log_mean(t: str) -> str:
            log_sigmoid = graph.op("Neg", [graph.op("Softplus", [graph.op("Neg", [t])])])
            return graph.op("ReduceLogSumExp", [log_sigmoid], axes=[1], keepdims=0)
        return graph.op("Sub", [log_mean(z), log_mean(graph.op("Neg", [z]))])
    if averaged == "softmax":
        z = graph.op("LogSoftmax", [z], axis=2)
    total = graph.op("ReduceLogSumExp", [z], axes=[1], keepdims=0)
    return graph.op("Sub", [total, graph.constant(np.float32(np.log(members)), "log_k")])


def _periodic(graph: Any, spec: MLPSpec, weights: dict[str, np.ndarray], index: int,
              x: str) -> str:
    """[cos(2 pi w x + b) A + c, flattened; x], as numpy_engine/embedding.py."""
    weights = {name: weights[f"{index}.{name}"].astype(np.float32)
               for name in ("frequencies", "phases", "weight", "bias")}   # (this layer's)
    columns = graph.op("Gather", [x, graph.constant(np.array(spec.layers()[index][2],
                                                             np.int64), "columns")], axis=1)
    column = graph.op("Unsqueeze", [columns, graph.constant(np.array([2], np.int64))])
    u = graph.op("Add", [graph.op("Mul", [column, graph.constant(
        np.float32(2 * np.pi) * weights["frequencies"], "frequencies")]),
        graph.constant(weights["phases"], "phases")])
    e = graph.op("Einsum", [graph.op("Cos", [u]), graph.constant(weights["weight"], "A")],
                 equation="nfk,fkd->nfd")
    e = graph.op("Add", [e, graph.constant(weights["bias"], "c")])
    flat = graph.op("Reshape", [e, graph.constant(np.array([0, -1], np.int64))])
    return graph.op("Concat", [flat, x], axis=1)


def _piecewise(graph: Any, x: str, width: int, columns: tuple[int, ...], bins) -> str:
    """[smooth_clip((clip((x - lower) / width, 0, 1) - centre) / spread), flattened; the
    other inputs], as numpy_engine/piecewise.py."""
    lower, inverse, centre, spread = bin_arrays(bins, np.float32)
    picked = graph.op("Gather", [x, graph.constant(np.array(columns, np.int64), "columns")],
                      axis=1)
    column = graph.op("Unsqueeze", [picked, graph.constant(np.array([2], np.int64))])
    t = graph.op("Mul", [graph.op("Sub", [column, graph.constant(lower, "lower")]),
                         graph.constant(inverse, "inverse")])
    encoded = graph.op("Clip", [t, graph.constant(np.float32(0.0)),
                                graph.constant(np.float32(1.0))])
    z = graph.op("Div", [graph.op("Sub", [encoded, graph.constant(centre, "centre")]),
                         graph.constant(spread, "spread")])
    flat = graph.op("Reshape", [smooth_clip(graph, z),
                                graph.constant(np.array([0, -1], np.int64))])
    rest = [i for i in range(width) if i not in set(columns)]
    if not rest:
        return flat
    others = graph.op("Gather", [x, graph.constant(np.array(rest, np.int64), "rest")], axis=1)
    return graph.op("Concat", [flat, others], axis=1)


def smooth_clip(graph: Any, x: str) -> str:
    """x / sqrt(1 + (x/3)^2): the robust scaler's clip (data/preprocessing.py)."""
    ratio = graph.op("Div", [x, graph.constant(np.float32(CLIP), "knee")])
    one = graph.constant(np.float32(1.0), "one")
    root = graph.op("Sqrt", [graph.op("Add", [one, graph.op("Mul", [ratio, ratio])])])
    return graph.op("Div", [x, root])
