"""The page's network as the other doors know it: an ordinary run folder (``export``), the
``mlpkit train`` command that trains it again, and the network as PyTorch code (``code``)."""

from __future__ import annotations

import shlex
from dataclasses import replace
from typing import Any

from mlpkit.options import BY_NAME
from mlpkit.playground.data import edited
from mlpkit.runs.folder import create_run_folder, write_config
from mlpkit.runs.train import write_results
from mlpkit.training.state import TrainingState

TORCH_ACTIVATIONS = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()",
                     "identity": "nn.Identity()", "selu": "nn.SELU()", "mish": "nn.Mish()"}


def replay_config(worker):
    """The RunConfig that trains the page's network again: its settings, for the epochs it
    trained, on the data it trained on (an edited set: the rows the export writes)."""
    epochs = max(len(worker.curve), 1)
    return worker.session.config.with_options({"epochs": epochs})


def export(worker, state: TrainingState | None) -> dict[str, Any]:
    """A new run folder under the playground's export root: config.toml, the model files,
    history, metrics, the doctor, plots and report.html (``runs.train.write_results``)."""
    session, data, settings = worker.session, worker.data, worker.settings
    run = replay_config(worker)
    folder = create_run_folder(None, worker.exports, "playground")
    notes = []
    if edited(settings):
        run = replace(run, dataset="csv", dataset_options={
            "path": str(folder / "train.csv"), "test_path": str(folder / "test.csv"),
            "target": "label", "task": data.task})
        _write_rows(folder / "train.csv", data.X_train, data.y_train, data.feature_names)
        _write_rows(folder / "test.csv", data.X_test, data.y_test, data.feature_names)
        notes.append("the edited points are in train.csv and test.csv")
    if worker.changed_live:
        notes.append(f"{', '.join(sorted(set(worker.changed_live)))} changed while training: "
                     "config.toml holds the last values, so a replay differs")
    per_epoch = -(-len(worker.split.y) // settings.batch_size)
    if worker.live.batches % per_epoch:
        notes.append("exported in the middle of an epoch: a replay trains whole epochs")
    write_config(folder, run.to_toml_dict())
    state = state or TrainingState(stepper=session.stepper, history=session.history,
                                   epochs=run.train.max_epochs)
    metrics, findings = write_results(session, folder, data, worker.split, state,
                                      worker.statistics)
    return {"folder": str(folder), "replay": f"mlpkit train --config "
            f"{shlex.quote(str(folder / 'config.toml'))} --engine numpy",
            "notes": notes, "test": metrics["test"].get("accuracy", metrics["test"].get("r2"))}


def _write_rows(path, X, y, names) -> None:
    import pandas as pd

    frame = pd.DataFrame(X.astype("float64"), columns=list(names))
    frame["label"] = y
    frame.to_csv(path, index=False, float_format="%.9g")


def code(worker) -> dict[str, str]:
    """The equivalent ``mlpkit train`` command, and the network as ``nn.Sequential``."""
    return {"command": train_command(worker), "torch": sequential(worker.session.spec)}


def train_command(worker) -> str:
    """``mlpkit train`` with the page's settings (an edited set: the rows an export writes)."""
    run = replay_config(worker)
    words = ["mlpkit", "train"]
    if edited(worker.settings):
        words += ["--csv", "train.csv", "--test-csv", "test.csv", "--target", "label"]
    elif run.dataset == "csv":
        options = dict(run.dataset_options)
        words += ["--csv", str(options.pop("path"))]
        for key, value in options.items():
            words += ["--data-option", f"{key}={value}"] if value is not None else []
    else:
        words += ["--dataset", run.dataset]
        for key, value in run.dataset_options.items():
            words += ["--data-option", f"{key}={value}"]
    for name, value in run.option_values().items():
        option = BY_NAME[name]
        if option.flag is None or value == option.default or value is None:
            continue
        if option.parse is None:          # a switch
            if option.flag.startswith("--no-"):
                words.append(option.flag if not value else "--" + option.flag[5:])
            elif value:
                words.append(option.flag)
        elif isinstance(value, tuple):
            words += [option.flag, *map(str, value)]
        else:
            words += [option.flag, str(value)]
    return shlex.join(words)


def sequential(spec) -> str:
    """``spec.layers()`` as PyTorch: the same layers, in the same order (so the same
    ``<index>.weight`` names: the model files load into it)."""
    lines = ["import torch.nn as nn", "", "model = nn.Sequential("]
    for kind, *args in spec.layers():
        if kind == "linear":
            lines.append(f"    nn.Linear({args[0]}, {args[1]}),")
        elif kind == "activation":
            lines.append(f"    {TORCH_ACTIVATIONS[args[0]]},")
        else:
            lines.append(f"    nn.Dropout({args[0]}),")
    lines.append(")")
    return "\n".join(lines)
