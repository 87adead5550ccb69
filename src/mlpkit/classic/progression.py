"""The classic PyTorch refactoring path, stage by stage, each computing the same thing.

The same network is trained six ways on the same data from the same initial weights, with
full-batch gradient descent:

1. raw tensors and autograd; cross-entropy written by hand; the update and the zeroing of
   gradients by hand;
2. the same with ``F.cross_entropy``;
3. an ``nn.Module`` holding ``nn.Parameter``s, and a ``fit`` that only uses
   ``parameters()`` and ``zero_grad()``;
4. ``nn.Linear`` layers instead of hand-made parameters;
5. ``torch.optim.SGD`` instead of the hand-written update;
6. ``nn.Sequential`` and a ``fit(x, y, model, optimizer, loss_fn)`` that knows nothing else.

Logits go to the loss in every stage: a softmax before ``F.cross_entropy`` (which applies its
own) was the classic walk-throughs' slip, and it keeps the loss high.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh}
MODULES = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}


@dataclass
class StageResult:
    name: str
    losses: list[float]
    accuracy: float
    seconds: float


def _forward_by_hand(x, params, activation):
    """(W, b) pairs in PyTorch's layout: x W^T + b, activation between layers."""
    for i, (W, b) in enumerate(params):
        x = x @ W.T + b
        if i < len(params) - 1:
            x = ACTIVATIONS[activation](x)
    return x


def cross_entropy_by_hand(logits, y):
    """Stage 1's loss: log sum_j exp(z_j) - z_y, averaged over samples (on logits)."""
    return (torch.logsumexp(logits, dim=1) - logits[torch.arange(len(y)), y]).mean()


def train_raw(x, y, init, lr, epochs, activation, loss_fn):
    """Stages 1 and 2: raw tensors and autograd; the update and the zeroing by hand.
    Stage 1 passes ``cross_entropy_by_hand``, stage 2 ``F.cross_entropy``."""
    params = [(W.clone().requires_grad_(), b.clone().requires_grad_()) for W, b in init]
    losses = []
    for _ in range(epochs):
        loss = loss_fn(_forward_by_hand(x, params, activation), y)
        loss.backward()
        with torch.no_grad():
            for W, b in params:
                W -= lr * W.grad
                b -= lr * b.grad
                W.grad.zero_()
                b.grad.zero_()
        losses.append(loss.item())
    return losses, lambda inputs: _forward_by_hand(inputs, params, activation)


class ParameterMLP(nn.Module):
    """Stage 3: the weights as nn.Parameters; the module knows its own forward pass."""

    def __init__(self, init, activation):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(W.clone()) for W, _ in init])
        self.biases = nn.ParameterList([nn.Parameter(b.clone()) for _, b in init])
        self.activation = activation

    def forward(self, x):
        return _forward_by_hand(x, list(zip(self.weights, self.biases)), self.activation)


class LinearMLP(nn.Module):
    """Stage 4: nn.Linear layers hold the weights."""

    def __init__(self, init, activation):
        super().__init__()
        self.layers = nn.ModuleList()
        for W, b in init:
            layer = nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype, device=W.device)
            with torch.no_grad():
                layer.weight.copy_(W)
                layer.bias.copy_(b)
            self.layers.append(layer)
        self.activation = MODULES[activation]()

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = self.activation(x)
        return x


def fit(model, x, y, lr, epochs):
    """Stages 3 and 4: knows only parameters() and zero_grad(), not the model's insides."""
    losses = []
    for _ in range(epochs):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        model.zero_grad()
        losses.append(loss.item())
    return losses


def fit_v2(x, y, model, optimizer, loss_fn, epochs):
    """Stages 5 and 6: torch.optim does the update and the zeroing; the fit knows nothing of
    the model or the loss (stage 5 passes F.cross_entropy, stage 6 nn.CrossEntropyLoss())."""
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


def sequential_from(init, activation) -> nn.Sequential:
    linear = LinearMLP(init, activation).layers
    layers: list[nn.Module] = []
    for i, layer in enumerate(linear):
        layers.append(layer)
        if i < len(linear) - 1:
            layers.append(MODULES[activation]())
    return nn.Sequential(*layers)


def run_progression(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                    y_test: np.ndarray, init: list[tuple[np.ndarray, np.ndarray]], lr: float,
                    epochs: int, activation: str = "sigmoid",
                    device: torch.device | str = "cpu") -> list[StageResult]:
    """Train the six stages; ``init`` is [(W, b), ...] in PyTorch's layout, float32."""
    device = torch.device(device)
    x, y = torch.from_numpy(X_train).to(device), torch.from_numpy(y_train).to(device)
    x_test = torch.from_numpy(X_test).to(device)
    start = [(torch.from_numpy(W).to(device), torch.from_numpy(b).to(device)) for W, b in init]

    def stage_3():
        model = ParameterMLP(start, activation)
        return fit(model, x, y, lr, epochs), model

    def stage_4():
        model = LinearMLP(start, activation)
        return fit(model, x, y, lr, epochs), model

    def stage_5():
        model = LinearMLP(start, activation)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        return fit_v2(x, y, model, optimizer, F.cross_entropy, epochs), model

    def stage_6():
        model = sequential_from(start, activation)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        return fit_v2(x, y, model, optimizer, nn.CrossEntropyLoss(), epochs), model

    stages = {
        "1 raw tensors + loss by hand": lambda: train_raw(x, y, start, lr, epochs, activation,
                                                         cross_entropy_by_hand),
        "2 F.cross_entropy": lambda: train_raw(x, y, start, lr, epochs, activation,
                                               F.cross_entropy),
        "3 nn.Parameter + fit": stage_3,
        "4 nn.Linear": stage_4,
        "5 torch.optim.SGD": stage_5,
        "6 nn.Sequential + fit_v2": stage_6,
    }
    results = []
    for name, train in stages.items():
        began = time.perf_counter()
        losses, predict = train()
        seconds = time.perf_counter() - began
        with torch.no_grad():
            predicted = predict(x_test).argmax(dim=1).cpu().numpy()
        results.append(StageResult(name, losses, float(np.mean(predicted == y_test)), seconds))
    return results


def table(results: list[StageResult]) -> str:
    """Stage, final loss, accuracy, seconds, and how far its loss curve is from stage 1's."""
    reference = np.asarray(results[0].losses)
    lines = [f"{'stage':30s} {'final loss':>10s} {'accuracy':>9s} {'seconds':>8s} "
             f"{'max |loss - stage 1|':>21s}"]
    for r in results:
        gap = float(np.max(np.abs(np.asarray(r.losses) - reference)))
        lines.append(f"{r.name:30s} {r.losses[-1]:10.6f} {r.accuracy:9.4f} {r.seconds:8.3f} "
                     f"{gap:21.2e}")
    return "\n".join(lines)


# ---- the command: a built-in set through the six stages, into a folder
def progression(dataset: str = "blobs", dataset_options: dict[str, Any] | None = None,
                hidden: tuple[int, ...] = (2,), activation: str = "sigmoid", lr: float = 0.2,
                epochs: int = 1000, device: str = "auto", seed: int = 0,
                out: str | Path | None = None, root: str | Path = "runs"):
    """The PyTorch refactoring path on a built-in dataset: six stages from the same initial
    weights; writes progression.csv and progression.png; returns (folder, results)."""
    import csv
    import io

    from mlpkit.config import MLPSpec
    from mlpkit.data import Standardizer, load_dataset
    from mlpkit.errors import InvalidInputError
    from mlpkit.io import atomic
    from mlpkit.numpy_engine.models import build_mlp
    from mlpkit.runs.folder import create_run_folder
    from mlpkit.torch_engine.device import resolve_device
    from mlpkit.validation import check_positive
    from mlpkit.viz.plots import plot_series

    check_positive(lr, "lr")
    check_positive(epochs, "epochs", integer=True)
    data = load_dataset(dataset, **(dataset_options or {}))
    if data.task != "classification":
        raise InvalidInputError(f"progression trains a classifier; {data.name!r} is a "
                                "regression set.")
    scaler = Standardizer.fit(data.X_train)
    spec = MLPSpec(data.n_features, data.n_classes, hidden, activation)
    weights = build_mlp(spec, np.random.default_rng(seed)).state_dict()
    init = [(weights[f"{i}.weight"], weights[f"{i}.bias"])
            for i, (kind, *_) in enumerate(spec.layers()) if kind == "linear"]
    torch_device = resolve_device(device)
    folder = create_run_folder(out, root, f"progression-{data.name}")
    results = run_progression(scaler.transform(data.X_train), data.y_train,
                              scaler.transform(data.X_test), data.y_test, init, lr, epochs,
                              activation, torch_device)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["epoch", *(r.name for r in results)])
    writer.writerows([e + 1, *(f"{r.losses[e]:.9g}" for r in results)] for e in range(epochs))
    atomic.write_text(folder / "progression.csv", text.getvalue())
    plot_series({r.name: r.losses for r in results}, folder / "progression.png",
                "training loss", title="six refactorings, one loss curve", log=True)
    return folder, results

