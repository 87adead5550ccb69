"""The per-layer statistics: the engines agree, training is untouched, resume keeps them."""

import json

import numpy as np
import pytest
from sklearn.metrics import log_loss

from mlpkit.cli import main
from mlpkit.config import RunConfig, TrainConfig
from mlpkit.data import load_dataset
from mlpkit.diagnostics.statistics import (
    DENSE_EPOCHS,
    PROBE_ROWS,
    baseline_loss,
    input_scale,
    layer_statistics,
    probe_every,
)
from mlpkit.training.session import Session

torch = pytest.importorskip("torch")


def session(engine: str, activation: str = "relu", dropout: float = 0.0, epochs: int = 3):
    data = load_dataset("digits")
    run = RunConfig(dataset="digits", hidden=(32, 16), activation=activation, engine=engine,
                    dropout=dropout, train=TrainConfig(epochs=epochs, batch_size=64, lr=1e-3))
    s = Session(run, data.schema(), dtype=np.float64)
    return s, s.prepare(data.X_train, data.y_train)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_both_engines_probe_the_same_gradients_and_activations(activation):
    numpy_session, split = session("numpy", activation)
    torch_session, _ = session("torch", activation)
    torch_session.stepper.load_state_dict(numpy_session.stepper.state_dict())
    X, y = split.X[:100], split.y[:100]
    grads_n, acts_n = numpy_session.stepper.probe(X, y)
    grads_t, acts_t = torch_session.stepper.probe(X, y)
    assert grads_n.keys() == grads_t.keys() and len(acts_n) == len(acts_t) == 2
    for name in grads_n:
        np.testing.assert_allclose(grads_n[name], grads_t[name], rtol=1e-9, atol=1e-12)
    for a, b in zip(acts_n, acts_t):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_the_probe_gradient_is_the_loss_gradient_by_finite_differences():
    s, split = session("numpy", "tanh")
    X, y = split.X[:50], split.y[:50]
    grads, _ = s.stepper.probe(X, y)
    weights = s.stepper.state_dict()
    eps, (i, j) = 1e-6, (3, 7)

    def loss_at(delta):
        changed = {k: v.copy() for k, v in weights.items()}
        changed["0.weight"][i, j] += delta
        s.stepper.load_state_dict(changed)
        return s.stepper.evaluate(X, y)[0]

    numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
    assert grads["0.weight"][i, j] == pytest.approx(numeric, rel=1e-5)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_the_statistics_leave_training_exactly_as_it_was(engine):
    plain, split = session(engine, dropout=0.2)
    watched, split2 = session(engine, dropout=0.2)
    statistics = layer_statistics(watched, split2)
    plain.fit(split)
    watched.fit(split2, [statistics])
    assert [r["train_loss"] for r in plain.history] == [r["train_loss"] for r in watched.history]
    for name, value in plain.stepper.state_dict().items():
        np.testing.assert_array_equal(value, watched.stepper.state_dict()[name])
    summary = statistics.summary()
    assert summary["probe_rows"] == min(PROBE_ROWS, len(split.X))
    assert [e["epoch"] for e in summary["epochs"]] == [1, 2, 3]
    first = summary["epochs"][0]["layers"]
    assert [layer["layer"] for layer in first] == [1, 2, 3] and "dead" in first[0]
    assert "dead" not in first[2]                       # the output layer has no activation


def test_later_epochs_are_probed_every_kth_with_each_epochs_own_numbers():
    dense_session, split = session("numpy", epochs=DENSE_EPOCHS + 7)
    sparse_session, split2 = session("numpy", epochs=DENSE_EPOCHS + 7)
    dense = layer_statistics(dense_session, split, every=1)
    sparse = layer_statistics(sparse_session, split2, every=3)
    dense_session.fit(split, [dense])
    sparse_session.fit(split2, [sparse])
    kept = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15]
    assert [e["epoch"] for e in sparse.epochs] == kept     # the update ratio: over one epoch
    assert sparse.epochs == [e for e in dense.epochs if e["epoch"] in kept]


def test_the_probe_stride_keeps_the_probe_a_twentieth_of_the_rows_trained():
    assert probe_every(512, 10_240) == 1
    assert probe_every(512, 2_850) == 4                 # 512 rows every 4 epochs of 2 850
    assert probe_every(300, 300) == 20
    digits, split = session("numpy")                  # ~1 150 training rows: every 9th
    assert layer_statistics(digits, split).every == probe_every(PROBE_ROWS, len(split.X)) > 1


def test_the_baseline_is_the_log_loss_of_the_class_frequencies():
    y = np.array([0, 0, 0, 1, 2, 2])
    frequencies = np.bincount(y) / len(y)
    expected = log_loss(y, np.tile(frequencies, (len(y), 1)))
    assert baseline_loss("classification", "cross_entropy", y, None, 3) == \
        pytest.approx(expected)
    values = np.array([1.0, 2.0, 4.0])
    assert baseline_loss("regression", "mse", values, None, 1) == pytest.approx(values.var())


def test_input_scale_is_the_median_size_and_names_the_largest_features():
    rare = np.zeros(512)
    rare[7] = 200.0                                   # a standardised pixel that is rarely on
    X = np.column_stack([np.ones(512) * 3.0, np.arange(512) * -10.0, rare])
    scale = input_scale(X, ["a", "b", "c"])
    assert [name for name, _ in scale["largest"]] == ["b", "a", "c"]
    assert scale["max_typical"] == pytest.approx(np.median(np.arange(512) * 10.0))
    assert scale["largest"][2][1] == 0.0


def test_a_resumed_run_keeps_every_epochs_statistics(tmp_path, capsys):
    args = ["--dataset", "moons", "--hidden", "8", "--seed", "3", "--quiet"]
    assert main(["train", *args, "--epochs", "4", "--out", str(tmp_path / "straight")]) == 0
    assert main(["train", *args, "--epochs", "2", "--out", str(tmp_path / "later")]) == 0
    assert main(["train", "--resume", str(tmp_path / "later"), "--epochs", "4"]) == 0
    straight, later = (json.loads((tmp_path / run / "diagnostics.json").read_text())
                       for run in ("straight", "later"))
    assert [e["epoch"] for e in later["epochs"]] == [1, 2, 3, 4]
    assert later["epochs"] == straight["epochs"]
