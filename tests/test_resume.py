"""Interrupted and resumed runs end exactly where uninterrupted ones do (CPU, same engine)."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from safetensors.numpy import load_file

from mlpkit.cli import main
from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.data import Standardizer, load_dataset
from mlpkit.data.batching import ArrayRows
from mlpkit.engines import make_stepper
from mlpkit.io.checkpoints import load_training_checkpoint
from mlpkit.training.callbacks import Callback, EarlyStopping, LearningRateSchedule
from mlpkit.training.loop import fit

pytest.importorskip("torch")


class InterruptAfter(Callback):
    """Ask the loop to stop once epoch ``k`` is done: the next epoch runs one batch and stops."""

    def __init__(self, k):
        self.k = k

    def on_epoch_end(self, state, record):
        if record["epoch"] == self.k:
            state.interrupt_requested = True


class Snapshots(Callback):
    def __init__(self):
        self.saved = {}

    def on_epoch_end(self, state, record):
        self.saved[record["epoch"]] = state.snapshot()


def callbacks_for(config):
    return [LearningRateSchedule(config.schedule, config.lr), EarlyStopping(50)]


@pytest.fixture(scope="module")
def data():
    d = load_dataset("moons", n_samples=500)
    return Standardizer.fit(d.X_train).transform(d.X_train), d.y_train


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("optimizer, schedule", [("adam", "cosine"), ("sgd", "plateau")])
def test_interrupted_then_resumed_equals_uninterrupted(data, engine, optimizer, schedule):
    X, y = data
    spec = MLPSpec(2, 2, (12, 12), "tanh", dropout=0.2)
    extra = {"momentum": 0.9, "nesterov": True} if optimizer == "sgd" else {}
    config = TrainConfig(epochs=9, batch_size=32, optimizer=optimizer, lr=0.05, seed=1,
                         schedule=schedule, **extra)

    def stepper():
        return make_stepper(engine, spec, "classification", config, "cpu")

    held_out = (X[:60], y[:60])          # early stopping's best weights are part of the state
    straight = stepper()
    full = fit(straight, ArrayRows(X, y), config, validation=held_out,
               callbacks=callbacks_for(config))

    first, snapshots = stepper(), Snapshots()
    cut = fit(first, ArrayRows(X, y), config, validation=held_out,
              callbacks=[*callbacks_for(config), snapshots, InterruptAfter(4)])
    assert cut.interrupted and len(cut.history) == 4

    second = stepper()   # a fresh process would build exactly this
    resumed = fit(second, ArrayRows(X, y), config, validation=held_out,
                  callbacks=callbacks_for(config),
                  resume_from=snapshots.saved[4])
    drop = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert drop(resumed.history) == drop(full.history)
    for key, value in straight.state_dict().items():
        np.testing.assert_array_equal(second.state_dict()[key], value)


def test_sigkill_leaves_a_loadable_checkpoint_and_resume_matches_a_straight_run(tmp_path):
    args = ["--dataset", "circles", "--data-option", "n_samples=30000", "--hidden", "32", "32",
            "--dropout", "0.1", "--epochs", "30", "--batch-size", "32", "--checkpoint-every", "0",
            "--quiet"]
    assert main(["train", *args, "--out", str(tmp_path / "straight")]) == 0

    killed = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "mlpkit", "train", *args, "--out",
                                str(killed)], env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 120
    while time.time() < deadline:
        if (killed / "checkpoint.safetensors").exists():
            done = load_training_checkpoint(killed)[1]["epoch"]
            if done >= 2:
                break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    arrays, meta = load_training_checkpoint(killed)          # loads after a hard kill
    assert 2 <= meta["epoch"] < 30

    assert main(["train", "--resume", str(killed), "--quiet"]) == 0
    a = load_file(tmp_path / "straight" / "model.safetensors")
    b = load_file(killed / "model.safetensors")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_resume_errors(tmp_path, capsys):
    out = tmp_path / "done"
    assert main(["train", "--dataset", "xor", "--epochs", "3", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"mlpkit: error: Run '{out}' has already trained 3 of its 3 epochs; pass --epochs N with "
        "N > 3 to train it further.")
    assert main(["train", "--resume", str(out), "--lr", "0.1"]) == 2
    assert capsys.readouterr().err.strip() == (
        "mlpkit: error: --resume continues a run with its own config.toml; only --epochs and "
        "--quiet may go with it.")
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"mlpkit: error: '{tmp_path}' has no checkpoint.safetensors; only a run folder made by "
        "mlpkit train can be resumed.")
    assert main(["train", "--resume", str(out), "--epochs", "5", "--quiet"]) == 0
    assert len(open(out / "history.csv").read().splitlines()) == 6


def test_sigterm_ends_after_the_batch_with_143_and_the_run_resumes(tmp_path):
    out = tmp_path / "term"
    process = subprocess.Popen(
        [sys.executable, "-m", "mlpkit", "train", "--dataset", "circles", "--epochs", "100000",
         "--checkpoint-every", "0", "--out", str(out), "--quiet"], stderr=subprocess.PIPE,
        text=True)
    deadline = time.time() + 60
    while not (out / "checkpoint.safetensors").exists() and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143
    assert f"Resume with: mlpkit train --resume {out}" in stderr
    done = load_training_checkpoint(out)[1]["epoch"]
    assert main(["train", "--resume", str(out), "--epochs", str(done + 2), "--quiet"]) == 0
    assert len(open(out / "history.csv").read().splitlines()) == done + 3


def test_divergence_on_the_command_line_stops_keeps_good_weights_and_advises(tmp_path, capsys):
    out = tmp_path / "diverge"
    assert main(["train", "--dataset", "moons", "--optimizer", "sgd", "--lr", "1e7",
                 "--no-scale", "--data-option", "noise=50", "--epochs", "30", "--out", str(out),
                 "--quiet"]) == 0
    stdout = capsys.readouterr().out
    assert "stopped: training diverged in epoch " in stdout
    assert "Lower the learning rate (it was 1e+07) or scale the features." in stdout
    from mlpkit.model import TrainedModel

    model = TrainedModel.load(out)       # the kept weights are finite and load
    assert all(np.isfinite(w).all() for w in model.state_dict.values())
