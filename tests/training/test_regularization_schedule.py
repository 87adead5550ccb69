"""``--regularization-schedule flat_cos``: dropout and weight decay as set for the first half
of the planned epochs, then half a cosine down to 0 — against the formula, in both engines,
and in the weights both engines reach."""

import numpy as np
import pytest

from mlpkit.cli import main
from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.training.callbacks import Callback, flat_cos
from tests.training.test_loop import moons, run  # noqa: F401  (moons: the fixture)


class Seen(Callback):
    """Each epoch's end: the dropout and weight decay the next epoch trains with."""

    def __init__(self) -> None:
        self.values: list[tuple[float, float]] = []

    def on_epoch_end(self, state, record) -> None:
        stepper = state.stepper
        self.values.append((stepper.dropouts()[0].p,
                            stepper.optimizer.param_groups[0]["weight_decay"]))


def test_flat_cos_is_flat_for_half_the_run_then_half_a_cosine_to_zero():
    assert flat_cos(0.0) == flat_cos(0.5) == 1.0
    assert flat_cos(0.75) == pytest.approx(0.5) and flat_cos(1.0) == pytest.approx(0.0)
    assert flat_cos(0.6) == pytest.approx(0.5 + 0.5 * np.cos(np.pi * 0.2))


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_each_epoch_trains_at_the_formulas_dropout_and_weight_decay(moons, engine):  # noqa: F811
    X, y, *_ = moons
    seen = Seen()
    config = TrainConfig(epochs=8, weight_decay=0.01, regularization_schedule="flat_cos",
                         lr=0.01, seed=1)
    run(engine, X, y, config, MLPSpec(2, 2, (16, 16), dropout=0.2), [seen])
    factors = np.array([flat_cos(min(epoch + 0.5, 8) / 8) for epoch in range(1, 9)])
    np.testing.assert_allclose(np.array(seen.values), np.c_[0.2 * factors, 0.01 * factors],
                               rtol=1e-12, atol=1e-15)


def test_under_early_stopping_it_spans_the_epochs_sure_to_be_trained(moons):  # noqa: F811
    X, y, *_ = moons
    seen = Seen()
    config = TrainConfig(epochs=7, patience=50, min_epochs=4, weight_decay=0.01,
                         regularization_schedule="flat_cos", lr=0.01, seed=1)
    run("numpy", X, y, config, MLPSpec(2, 2, (16,), dropout=0.3), [seen])
    factors = np.array([flat_cos(min(epoch + 0.5, 4) / 4) for epoch in range(1, 8)])
    np.testing.assert_allclose(np.array(seen.values), np.c_[0.3 * factors, 0.01 * factors],
                               rtol=1e-12, atol=1e-15)
    assert seen.values[-1] == (0.0, 0.0)          # none after them


def test_both_engines_decay_the_weights_alike_and_unlike_a_constant_decay(moons):  # noqa: F811
    X, y, *_ = moons
    config = TrainConfig(epochs=6, weight_decay=0.5, regularization_schedule="flat_cos",
                         lr=0.01, seed=2)
    ours, _ = run("numpy", X, y, config)
    theirs, _ = run("torch", X, y, config)
    constant, _ = run("numpy", X, y, TrainConfig(epochs=6, weight_decay=0.5, lr=0.01, seed=2))
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs.state_dict()[key], rtol=1e-4, atol=1e-5)
    assert not np.allclose(ours.state_dict()["0.weight"], constant.state_dict()["0.weight"],
                           atol=1e-4)


def test_lbfgs_refuses_it_with_one_line(tmp_path, capsys):
    assert main(["train", "--dataset", "moons", "--optimizer", "lbfgs",
                 "--regularization-schedule", "flat_cos", "--out", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err.strip() == (
        "mlpkit: error: lbfgs runs no epochs to schedule over; drop --regularization-schedule, "
        "or use sgd or adam.")
    assert not (tmp_path / "r").exists()
