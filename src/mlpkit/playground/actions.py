"""What the page's commands do, run on the training thread (it owns the network): the run
controls, new settings, and the tools of the other doors on the live network — the doctor,
``explain``, the gradient check and the export."""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.diagnostics.doctor import diagnose_run
from mlpkit.diagnostics.evidence import Run
from mlpkit.errors import InvalidInputError, InvalidParameterError
from mlpkit.io.model_files import n_parameters
from mlpkit.training.history import History

MAX_GRADCHECK = 20000       # parameters checked by finite differences (two passes each)
TITLES = {"divergence": "Training diverges", "lr-too-high": "Training diverges: the learning "
          "rate is too high", "lr-too-low": "The learning rate is too low",
          "dead-relu": "Dead ReLUs", "saturation": "Saturated neurons"}
CONTROLS = {"play": ("play", 0), "step_batch": ("batch", 1), "step_epoch": ("epoch", 1)}


def perform(worker, op: str, args: dict[str, Any], state) -> Any:
    """One command; its answer is JSON for the page."""
    if op in CONTROLS:
        if worker.finished is not None:
            raise InvalidInputError(f"Training has ended ({worker.finished}); raise the stop "
                                    "condition to go on, or reset.")
        if worker.error is not None:
            raise InvalidInputError(worker.error)
        worker.budget = CONTROLS[op]
        return {"ok": op}
    if op == "pause":
        worker.budget = None
        return {"ok": op}
    if op == "reset":
        worker.reset_asked = True
        return {"ok": op}
    if op == "new_seed":
        worker.settings = replace(worker.settings, seed=(worker.settings.seed + 1) % 2 ** 31)
        worker.reset_asked = True
        return {"ok": op, "seed": worker.settings.seed}
    if op == "set":
        values = args.get("values")
        if not isinstance(values, dict):
            raise InvalidParameterError("'set' takes {'values': {setting: value, ...}}.")
        return {"ok": worker.apply(values), "settings": worker.settings.to_dict()}
    if worker.session is None:
        raise InvalidInputError(worker.error or "No network yet.")
    if op == "explain":
        return explain(worker, args)
    if op == "gradcheck":
        return gradient_check(worker)
    if op == "export":
        from mlpkit.playground.export import export

        return export(worker, state)
    if op == "code":
        from mlpkit.playground.export import code

        return code(worker)
    raise InvalidParameterError(f"Unknown command {op!r}.")


def curve_point(worker, record: dict, train: tuple, test: tuple) -> dict[str, Any]:
    """One epoch on the curves: loss and score (accuracy, or R²) of the train and test rows,
    in evaluation mode, after the epoch."""
    point = {"epoch": record["epoch"], "lr": record["lr"],
             "train_loss": _finite(train[0]), "test_loss": _finite(test[0])}
    if worker.data.task == "classification":
        point["train_score"], point["test_score"] = _finite(train[1]), _finite(test[1])
    else:
        point["train_score"] = _r2(worker, train[0], worker.train_rows[1])
        point["test_score"] = _r2(worker, test[0], worker.test_rows[1])
    return point


def _r2(worker, loss: float, y: np.ndarray) -> float | None:
    """R² from the mean squared error the stepper reports (on the scaled target: R² is the
    same in any units)."""
    criterion = worker.session.stepper.criterion
    if criterion not in ("mse", "squared_error") or np.var(y) == 0:
        return None
    mse = loss * (2 if criterion == "squared_error" else 1)
    return _finite(1.0 - mse / float(np.var(y)))


def _finite(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def live_findings(worker, state) -> list[dict[str, Any]]:
    """The doctor's rules on the run as it stands, each with its fix as page settings."""
    if not state.history:
        return []
    statistics = worker.statistics
    stats = {} if statistics is None else {
        "baseline_loss": statistics.baseline, "inputs": statistics.inputs,
        "activation": statistics.activation, "epochs": statistics.epochs[-50:]}
    run = Run(Path("playground"), worker.session.config, History(state.history),
              {"run": {"stop_reason": state.stop_reason}}, stats)
    return [{"id": f.id, "severity": f.severity, "message": f.message,
             "title": TITLES.get(f.id, f.id.replace("-", " ")),
             "fix": fix_from_advice(f.advice, worker.settings)} for f in diagnose_run(run)]


def fix_from_advice(advice: str, settings) -> dict[str, Any] | None:
    """The doctor's advice (a ``mlpkit train`` command) as settings the page can apply: the
    flags that are page settings; None when none is."""
    words = shlex.split(advice)
    values: dict[str, Any] = {}
    name, given = None, []
    for word in [*words[words.index("--config") + 2:], "--"] if "--config" in words else []:
        if word.startswith("--"):
            if name and hasattr(settings, name):
                values[name] = tuple(int(v) for v in given) if name == "hidden" else \
                    _number(given[0]) if given else True
            name, given = word[2:].replace("-", "_"), []
        else:
            given.append(word)
    values = {k: v for k, v in values.items() if k not in ("scale", "epochs")}
    return values or None


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def explain(worker, args: dict[str, Any]) -> dict[str, Any]:
    """``mlpkit explain`` for the live network and one training point (by index)."""
    from mlpkit.diagnostics.explain import explain_trained

    if worker.budget is not None:
        raise InvalidInputError("Pause first: one step is explained on still weights.")
    index = args.get("point")
    rows = len(worker.data.X_train)
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < rows:
        raise InvalidParameterError(f"'point' is a training point's index, 0 to {rows - 1}.")
    if worker.data.encoder is not None:
        raise InvalidInputError("The explain panel reads the built-in sets' points; for a "
                                "table's row use mlpkit explain --model on an export.")
    row = worker.data.X_train[index].astype(np.float64)
    label = int(worker.data.y_train[index])
    lr = worker.settings.lr
    steps = explain_trained(worker.session.model(), row, label, lr)
    point = " ".join(repr(float(v)) for v in row)
    return {"point": [float(v) for v in row], "label": label, "lr": lr,
            "command": f"mlpkit explain --model RUN --point {point} --label {label} --lr {lr:g}",
            "quantities": [{"stage": q.stage, "name": q.name, "formula": q.formula,
                            "shape": list(np.shape(q.value)),
                            "value": np.asarray(q.value).tolist()} for q in steps]}


def gradient_check(worker) -> dict[str, Any]:
    """The live network's backprop against central differences (float64, up to 64 training
    rows, evaluation mode): the relative error of each parameter's gradient."""
    from mlpkit.numpy_engine.gradcheck import gradcheck
    from mlpkit.numpy_engine.losses import get_loss
    from mlpkit.numpy_engine.models import build_mlp

    session = worker.session
    spec = session.spec
    if n_parameters(spec) > MAX_GRADCHECK:
        raise InvalidInputError(f"The gradient check takes two passes per parameter; this "
                                f"network has {n_parameters(spec)} (at most {MAX_GRADCHECK}).")
    network = build_mlp(spec, 0, dtype=np.float64)
    network.load_state_dict({k: np.asarray(v, np.float64)
                             for k, v in session.stepper.state_dict().items()})
    network.eval()
    X, y = worker.train_rows
    X, y = np.asarray(X[:64], np.float64), y[:64]
    target = y if session.schema.task == "classification" else \
        np.asarray(y, np.float64).reshape(len(y), -1)      # as the stepper passes them
    errors = gradcheck(network, get_loss(session.stepper.criterion), X, target)
    worst = max(errors.values())
    return {"errors": errors, "worst": worst, "rows": len(X), "agrees": worst < 1e-5}
