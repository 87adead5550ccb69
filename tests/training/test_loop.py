"""The one training loop: both engines, same seed -> same numbers; callbacks; weights."""

import math

import numpy as np
import pytest

from mlpkit.config import MLPSpec, RunConfig, TrainConfig
from mlpkit.data import Standardizer, load_dataset
from mlpkit.data.batching import ArrayRows
from mlpkit.data.schema import Schema
from mlpkit.engines import make_stepper
from mlpkit.errors import InvalidInputError
from mlpkit.numpy_engine.models import build_mlp as build_numpy
from mlpkit.training.loop import fit
from mlpkit.training.session import Session, sample_weights

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def moons():
    data = load_dataset("moons", n_samples=600)
    scaler = Standardizer.fit(data.X_train)
    return scaler.transform(data.X_train), data.y_train, scaler.transform(data.X_test), data.y_test


def session_for(engine, config, spec, task="classification"):
    """A session training ``spec`` on already-scaled data (the holdout is the session's)."""
    run_config = RunConfig(hidden=spec.hidden, activation=spec.activation, init=spec.init,
                           dropout=spec.dropout, scale=False, engine=engine, device="cpu",
                           train=config)
    names = [f"x{i}" for i in range(spec.n_inputs)]
    classes = [str(c) for c in range(spec.n_outputs)] if task == "classification" else []
    return Session(run_config, Schema(task, names, classes))


def run(engine, X, y, config, spec=None, callbacks=()):
    session = session_for(engine, config, spec or MLPSpec(2, 2, (16, 16)))
    state = session.fit(session.prepare(X, y), callbacks)
    return session.stepper, state


def test_same_seed_same_initial_weights_in_both_engines():
    spec = MLPSpec(5, 3, (7, 4), "tanh", init="xavier_uniform", dropout=0.1)
    from mlpkit.torch_engine.models import build_mlp as build_torch

    ours = build_numpy(spec, 42).state_dict()
    theirs = build_torch(spec, 42).state_dict()
    assert list(ours) == list(theirs) == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight",
                                          "6.bias"]
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key].numpy())
    assert not np.array_equal(ours["0.weight"], build_numpy(spec, 43).state_dict()["0.weight"])


@pytest.mark.parametrize("optimizer, extra", [("sgd", {"momentum": 0.9, "nesterov": True}),
                                              ("adam", {}), ("rmsprop", {}), ("adamw", {})])
def test_both_engines_follow_the_same_trajectory(moons, optimizer, extra):
    X, y, *_ = moons
    config = TrainConfig(epochs=8, batch_size=32, optimizer=optimizer, lr=0.01, seed=3, **extra)
    _, a = run("numpy", X, y, config)
    _, b = run("torch", X, y, config)
    for key in ("train_loss", "val_loss"):
        np.testing.assert_allclose(a.history.column(key), b.history.column(key), rtol=1e-4)
    assert a.history.column("val_accuracy") == pytest.approx(b.history.column("val_accuracy"))
    assert a.history[-1]["train_loss"] < a.history[0]["train_loss"]


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_same_seed_twice_is_identical_and_another_seed_is_not(moons, engine):
    X, y, *_ = moons
    config = TrainConfig(epochs=3, seed=5, lr=0.01)
    s1, a = run(engine, X, y, config, MLPSpec(2, 2, (8,), dropout=0.2))
    s2, b = run(engine, X, y, config, MLPSpec(2, 2, (8,), dropout=0.2))
    assert a.history.column("train_loss") == b.history.column("train_loss")
    for key, value in s1.state_dict().items():
        np.testing.assert_array_equal(value, s2.state_dict()[key])
    other = TrainConfig(epochs=3, seed=6, lr=0.01)
    _, c = run(engine, X, y, other, MLPSpec(2, 2, (8,), dropout=0.2))
    assert c.history.column("train_loss") != a.history.column("train_loss")


def test_full_batch_takes_one_step_per_epoch(moons):
    X, y, *_ = moons
    config = TrainConfig(epochs=2, batch_size=None, optimizer="sgd", lr=0.1, val_fraction=0,
                         weight_decay=0.0)
    stepper, state = run("numpy", X, y, config)
    assert len(state.history) == 2 and state.history[0]["val_loss"] is None
    # one full-batch SGD step by hand from the same initial weights gives the same weights
    model = build_numpy(MLPSpec(2, 2, (16, 16)), np.random.default_rng(config.seed))
    from mlpkit.numpy_engine import SGD, CrossEntropyLoss

    loss, opt = CrossEntropyLoss(), SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        loss(model(X), y)
        model.backward(loss.backward())
        opt.step()
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(stepper.state_dict()[key], value, rtol=1e-5, atol=1e-7)


def test_early_stopping_stops_and_restores_the_best_weights(moons):
    X, y, *_ = moons
    config = TrainConfig(epochs=200, lr=0.05, patience=3, seed=0)
    stepper, state = run("numpy", X, y, config)      # patience: the session adds the callback
    assert len(state.history) < 200
    best = min(state.history, key=lambda r: r["val_loss"])
    assert state.best_epoch == best["epoch"] == len(state.history) - 3
    assert state.stop_reason.startswith("early stopping: no improvement for 3 epochs")


def test_patience_stops_no_earlier_than_min_epochs_and_keeps_the_best(moons):
    X, y, *_ = moons
    early = run("numpy", X, y, TrainConfig(epochs=200, lr=0.05, patience=3, seed=0))[1]
    stop = len(early.history)
    late = run("numpy", X, y, TrainConfig(epochs=200, lr=0.05, patience=3, seed=0,
                                          min_epochs=stop + 10))[1]
    assert [r["val_loss"] for r in late.history[:stop]] == \
        [r["val_loss"] for r in early.history]                # the same run until then
    assert stop + 10 <= len(late.history) < 200
    best = min(late.history, key=lambda r: r["val_loss"])
    assert late.best_epoch == best["epoch"]
    assert len(late.history) == max(stop + 10, best["epoch"] + 3)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_divergence_is_caught_within_one_epoch_and_good_weights_kept(moons, engine):
    X, y, *_ = moons
    config = TrainConfig(epochs=20, optimizer="sgd", lr=1e6, seed=0)
    stepper, state = run(engine, X * 1e3, y, config, MLPSpec(2, 2, (16,), "relu"))
    assert state.stop_training
    diverged = state.history[-1]["epoch"]
    assert state.stop_reason == (
        f"training diverged in epoch {diverged} (the loss or weights became NaN or infinite); "
        f"kept the weights of epoch {diverged - 1}. Lower the learning rate (it was 1e+06) or "
        "scale the features.")
    assert all(np.isfinite(w).all() for w in stepper.state_dict().values())


def test_schedules_change_the_learning_rate(moons):
    X, y, *_ = moons
    checks = (("step", lambda lrs: lrs[:3] == [0.1] * 3 and lrs[3] == pytest.approx(0.01)),
              ("cosine", lambda lrs: lrs[0] == 0.1 and all(np.diff(lrs) < 0)))
    for kind, check in checks:
        config = TrainConfig(epochs=9, lr=0.1, optimizer="sgd", schedule=kind)
        _, state = run("numpy", X, y, config)
        assert check(state.history.column("lr")), (kind, state.history.column("lr"))


def test_balanced_class_weights_match_scikit_learn():
    from sklearn.utils.class_weight import compute_sample_weight

    y = np.array([0, 0, 0, 0, 1, 2, 2])
    np.testing.assert_allclose(sample_weights(y, None, "balanced", 3),
                               compute_sample_weight("balanced", y))
    np.testing.assert_allclose(sample_weights(y, np.full(7, 2.0), {1: 5.0}, 3),
                               [2, 2, 2, 2, 10, 2, 2])
    with pytest.raises(InvalidInputError) as info:
        sample_weights(y, None, {7: 1.0}, 3)
    assert str(info.value) == ("class_weight names class 7, but there are 3 classes (0 to 2).")


def test_class_weight_shifts_predictions_toward_the_rare_class():
    from sklearn.datasets import make_blobs

    X_all, y_all = make_blobs(1500, centers=[[0, 0], [1.5, 1.5]], cluster_std=1.5, random_state=0)
    X_all = X_all.astype(np.float32)
    keep = (y_all[:1000] == 0) | (np.arange(1000) % 10 == 0)   # 1 in 10 of class 1 kept
    X, y = X_all[:1000][keep], y_all[:1000][keep]
    X_test = X_all[1000:]
    rare = []
    for weight in (None, "balanced"):
        config = TrainConfig(epochs=30, lr=0.01, class_weight=weight, val_fraction=0)
        stepper, _ = run("numpy", X, y, config, MLPSpec(2, 2, (8,)))
        rare.append(stepper.predict_output(X_test).argmax(axis=1).mean())
    assert rare[1] > rare[0] + 0.1


def test_regression_trains_with_mse():
    data = load_dataset("diabetes")
    scaler = Standardizer.fit(data.X_train)
    y_mean, y_std = data.y_train.mean(), data.y_train.std()
    y = (data.y_train - y_mean) / y_std
    config = TrainConfig(epochs=40, lr=0.01)
    for engine in ("numpy", "torch"):
        session = session_for(engine, config, MLPSpec(10, 1, (32,)), "regression")
        state = session.fit(session.prepare(scaler.transform(data.X_train), y.astype(np.float32)))
        assert state.history[0]["train_accuracy"] is None
        assert state.history[-1]["val_loss"] < 0.7 and not math.isnan(state.history[-1]["val_loss"])


def test_data_loader_path_trains_exactly_like_the_device_path(moons):
    X, y, *_ = moons
    config = TrainConfig(epochs=4, batch_size=32, lr=0.01, seed=2)
    spec = MLPSpec(2, 2, (8,))
    weights = np.ones(len(y), np.float32)
    weights[::3] = 2.0
    results = []
    for data_loader in (False, True):
        stepper = make_stepper("torch", spec, "classification", config, "cpu", data_loader)
        state = fit(stepper, ArrayRows(X, y, weights), config)
        results.append((state.history.column("train_loss"), stepper.state_dict()))
    assert results[0][0] == results[1][0]
    for key, value in results[0][1].items():
        np.testing.assert_array_equal(value, results[1][1][key])


def test_data_loader_is_refused_for_the_numpy_engine():
    from mlpkit.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError) as info:
        make_stepper("numpy", MLPSpec(2, 2), "classification", TrainConfig(), "cpu", True)
    assert str(info.value).startswith("--data-loader feeds the torch engine's device;")


def test_mse_on_one_hot_targets_is_the_same_in_both_engines_and_learns(moons):
    X, y, *_ = moons
    config = TrainConfig(epochs=6, batch_size=32, optimizer="sgd", lr=0.5, loss="mse", seed=4)
    _, a = run("numpy", X, y, config)
    _, b = run("torch", X, y, config)
    np.testing.assert_allclose(a.history.column("train_loss"), b.history.column("train_loss"),
                               rtol=1e-4)
    assert a.history[-1]["train_loss"] < a.history[0]["train_loss"] < 0.3   # squared probs
    assert a.history[-1]["val_accuracy"] >= 0.8


def test_regression_refuses_cross_entropy():
    from mlpkit.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError) as info:
        make_stepper("numpy", MLPSpec(2, 1), "regression", TrainConfig(loss="cross_entropy"))
    assert str(info.value) == ("A regression target trains with loss 'mse', 'squared_error' "
                               "or 'poisson', not 'cross_entropy'.")


def test_two_callbacks_of_one_class_keep_separate_checkpoint_entries(moons):
    from mlpkit.training.callbacks import Callback, EarlyStopping

    class Snap(Callback):
        def on_epoch_end(self, state, record):
            self.saved = state.snapshot()

    X, y, X_val, y_val = moons
    config = TrainConfig(epochs=6, lr=0.01, seed=0)
    stepper = make_stepper("numpy", MLPSpec(2, 2, (8,)), "classification", config, "cpu")
    loose, strict, snap = EarlyStopping(50), EarlyStopping(50, min_delta=10.0), Snap()
    fit(stepper, ArrayRows(X, y), config, validation=(X_val, y_val),
        callbacks=[loose, strict, snap])
    arrays, meta = snap.saved
    loose_wait = meta["callbacks"]["EarlyStopping"]["wait"]
    assert loose_wait < 6 and loose_wait == loose.wait
    assert meta["callbacks"]["EarlyStopping#2"]["wait"] == 5   # epoch 1 only beat infinity
    assert any(k.startswith("callback/EarlyStopping/") for k in arrays)

    from mlpkit.training.callbacks import NanGuard
    from mlpkit.training.history import History
    from mlpkit.training.loop import restore
    from mlpkit.training.state import TrainingState

    again = [EarlyStopping(50), EarlyStopping(50, min_delta=10.0)]
    stepper2 = make_stepper("numpy", MLPSpec(2, 2, (8,)), "classification", config, "cpu")
    state = TrainingState(stepper2, History(), 6)
    restore(snap.saved, stepper2, np.random.default_rng(0), [NanGuard(), *again], state)
    assert again[0].wait == loose_wait and again[1].wait == 5 and state.restored
