"""``mlpkit explain``: one training step of a tiny network, every number written out.

The numbers are the NumPy engine's own: its layers run forward one at a time (each output
kept), its loss, its layers' ``backward`` one at a time (each incoming gradient kept), its SGD
step. Each quantity comes with its shape and the chain-rule formula it comes from; the text
and the HTML page are two renderings of the same list of ``Quantity``.
tests/test_explain.py checks every quantity against PyTorch autograd.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlpkit.config import MLPSpec
from mlpkit.errors import InvalidInputError
from mlpkit.io import atomic
from mlpkit.model import TrainedModel, is_table
from mlpkit.numpy_engine.layers import Linear
from mlpkit.numpy_engine.losses import get_loss
from mlpkit.numpy_engine.models import build_mlp
from mlpkit.numpy_engine.optim import SGD

FOUR_POINTS = (np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
               np.array([0, 1, 1, 0]))                # XOR: no straight line separates it
DERIVATIVE = {"sigmoid": "a ⊙ (1 − a)", "tanh": "1 − a²", "relu": "[z > 0]", "identity": "1",
              "selu": "λ [z > 0] + (a + λα) [z ≤ 0]",
              "mish": "tanh(sp(z)) + z ⊙ (1 − tanh²(sp(z))) ⊙ σ(z)"}
LOSS_FORMULA = {"cross_entropy": "−(1/n) Σᵢ log softmax(z)ᵢ,yᵢ",
                "mse": "(1/(n·k)) Σᵢⱼ (softmax(z)ᵢⱼ − onehot(y)ᵢⱼ)²"}
OUTPUT_GRADIENT = {"cross_entropy": "(softmax(z) − onehot(y)) / n",
                   "mse": "J_softmax(z)ᵀ · 2 (softmax(z) − onehot(y)) / (n·k)"}


@dataclass
class Quantity:
    stage: str          # "forward", "loss", "backward", "update"
    name: str           # e.g. "z1", "dL/dW2"
    formula: str
    value: np.ndarray


def _points(inputs: int, classes: int, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if (inputs, classes, rows) == (2, 2, 4):
        return FOUR_POINTS
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, inputs)).round(2), np.arange(rows) % classes


def explain_step(hidden: tuple[int, ...] = (3,), activation: str = "sigmoid",
                 loss: str = "cross_entropy", lr: float = 0.5, inputs: int = 2,
                 classes: int = 2, rows: int = 4, seed: int = 0) -> list[Quantity]:
    """Every forward value, the loss, every backward quantity and the update of one SGD step."""
    if activation not in DERIVATIVE or loss not in LOSS_FORMULA:
        raise InvalidInputError(f"explain shows {sorted(DERIVATIVE)} activations and the "
                                f"{sorted(LOSS_FORMULA)} losses; got {activation!r}, {loss!r}.")
    X, y = _points(inputs, classes, rows, seed)
    model = build_mlp(MLPSpec(inputs, classes, tuple(hidden), activation),
                      np.random.default_rng(seed), dtype=np.float64)
    return explain_model(model, X, y, activation, loss, lr)


def explain_trained(model: TrainedModel, row, label: int, lr: float) -> list[Quantity]:
    """One SGD step of a trained classifier (a saved run, or the playground's live network)
    on one raw row (values in the data's units, or a one-row table), scaled as the network
    sees it; float64 throughout."""
    spec, loss = model.spec, (model.options or {}).get("loss") or "cross_entropy"
    activations = [spec.activation_of(k) for k in range(len(spec.hidden))]
    if model.task != "classification" or spec.dropout or loss not in LOSS_FORMULA or \
            not set(activations) <= set(DERIVATIVE):
        raise InvalidInputError(
            "explain shows a classifier without dropout, trained with cross_entropy or mse and "
            f"a {'/'.join(DERIVATIVE)} activation; this model is a {model.task} with "
            f"{spec.activation}, {loss}, dropout {spec.dropout:g}.")
    extras = {kind for kind, *_ in spec.layers()} - {"linear", "activation"}
    if extras:
        raise InvalidInputError(f"explain shows a plain network's step (linear layers and "
                                f"activations); this model also has {', '.join(sorted(extras))}"
                                " layers: train one without them to explain.")
    if not 0 <= label < spec.n_outputs:
        raise InvalidInputError(f"--label must be a class index from 0 to "
                                f"{spec.n_outputs - 1}; got {label}.")
    network = build_mlp(spec, 0, dtype=np.float64)
    network.load_state_dict({k: np.asarray(v, np.float64) for k, v in model.state_dict.items()})
    X = model.features(row if is_table(row) else np.asarray(row, np.float64).reshape(1, -1))
    if model.scaler is not None:
        X = model.scaler.transform(X, dtype=np.float64)
    return explain_model(network, np.asarray(X, np.float64), np.array([label]),
                         activations, loss, lr)


def explain_model(model, X: np.ndarray, y: np.ndarray, activation: str | list[str],
                  loss: str, lr: float) -> list[Quantity]:
    """Every forward value, the loss, every backward quantity and the update of one SGD step
    of the NumPy ``model`` (changed by the step) on rows X with classes y; ``activation``: one
    for every hidden layer, or one per layer."""
    def name(k: int) -> str:
        return activation if isinstance(activation, str) else activation[k - 1]

    rows = len(X)
    criterion = get_loss("softmax_mse" if loss == "mse" else loss)
    steps = [Quantity("forward", "X", f"the {rows} input rows", X),
             Quantity("forward", "y", "their classes", y)]
    layers, out, k = model.layers, X, 0
    previous = "X"
    for layer in layers:
        if isinstance(layer, Linear):
            k += 1
            steps += [Quantity("forward", f"W{k}", "weights (out × in)", layer.weight.data.copy()),
                      Quantity("forward", f"b{k}", "biases", layer.bias.data.copy())]
            out = layer(out)
            steps.append(Quantity("forward", f"z{k}", f"{previous} W{k}ᵀ + b{k}", out.copy()))
        else:
            out = layer(out)
            steps.append(Quantity("forward", f"a{k}", f"{name(k)}(z{k})", out.copy()))
            previous = f"a{k}"
    value = criterion(out, y)
    steps.append(Quantity("loss", "L", LOSS_FORMULA[loss], np.array(value)))
    model.zero_grad()
    grad = criterion.backward()
    steps.append(Quantity("backward", f"dL/dz{k}", OUTPUT_GRADIENT[loss], grad.copy()))
    for index in range(len(layers) - 1, -1, -1):
        layer = layers[index]
        grad = layer.backward(grad, need_input_grad=index > 0)
        if isinstance(layer, Linear):
            below = "X" if k == 1 else f"a{k - 1}"
            steps += [Quantity("backward", f"dL/dW{k}", f"(dL/dz{k})ᵀ {below}",
                               layer.weight.grad.copy()),
                      Quantity("backward", f"dL/db{k}", f"Σ over rows of dL/dz{k}",
                               layer.bias.grad.copy())]
            if grad is not None:
                steps.append(Quantity("backward", f"dL/da{k - 1}", f"dL/dz{k} W{k}", grad.copy()))
            k -= 1
        else:
            steps.append(Quantity("backward", f"dL/dz{k}",
                                  f"dL/da{k} ⊙ {DERIVATIVE[name(k)].replace('a', f'a{k}')}"
                                  .replace("z >", f"z{k} >"), grad.copy()))
    SGD([p for _, p in model.named_parameters()], lr=lr).step()
    for k, layer in enumerate((layer for layer in layers if isinstance(layer, Linear)), 1):
        for name, param in (("W", layer.weight), ("b", layer.bias)):
            steps.append(Quantity("update", f"{name}{k}", f"{name}{k} − {lr:g} · dL/d{name}{k}",
                                  param.data.copy()))
    model.eval()
    steps.append(Quantity("update", "L after", "the loss with the new weights",
                          np.array(criterion(model(X), y))))
    return steps


def _numbers(value: np.ndarray) -> str:
    return np.array2string(np.asarray(value), precision=4, suppress_small=True,
                           max_line_width=100)


def _walk(steps: list[Quantity]):
    """(the stage's name where a stage begins, else None; the quantity; its shape in words)."""
    stage = None
    for q in steps:
        begins, stage = (q.stage if q.stage != stage else None), q.stage
        yield begins, q, "scalar" if q.value.ndim == 0 else "×".join(map(str, q.value.shape))


def as_text(steps: list[Quantity]) -> str:
    lines = []
    for begins, q, shape in _walk(steps):
        if begins:
            lines.append(f"\n== {begins}")
        lines.append(f"{q.name} = {q.formula}   [{shape}]")
        lines.extend("    " + line for line in _numbers(q.value).splitlines())
    return "\n".join(lines).strip() + "\n"


def _matrix(value: np.ndarray) -> str:
    value = np.atleast_2d(np.asarray(value, dtype=float))
    rows = "".join("<tr>" + "".join(f"<td>{v:.4f}</td>" for v in row) + "</tr>" for row in value)
    return f"<table class='m'>{rows}</table>"


def write_html(steps: list[Quantity], path: str | Path, title: str,
               overwrite: bool = False) -> Path:
    """A self-contained page: one section per stage, each quantity with formula and values."""
    path = Path(path)
    atomic.refuse_existing(path, overwrite)
    sections = []
    for begins, q, shape in _walk(steps):
        if begins:
            sections.append(f"<h2>{html.escape(begins)}</h2>")
        sections.append(f"<h3><code>{html.escape(q.name)}</code> = {html.escape(q.formula)} "
                        f"<small>[{shape}]</small></h3>{_matrix(q.value)}")
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;"
            "max-width:1000px;margin:2rem auto;padding:0 1rem}table.m{border-collapse:collapse}"
            "table.m td{border:1px solid #ccc;padding:.15rem .5rem;text-align:right;"
            "font-family:monospace}h3{font-size:1rem;font-weight:normal;margin:1rem 0 .3rem}"
            f"</style></head><body><h1>{html.escape(title)}</h1>{''.join(sections)}"
            "</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, page)
    return path
