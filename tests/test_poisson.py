"""The Poisson loss (scikit-learn's ``loss="poisson"``): counts through a log link, the same
prediction from every door, in both engines."""

import numpy as np
import pandas as pd
import pytest

import mlpkit
from mlpkit.cli import main
from mlpkit.errors import InvalidInputError, InvalidParameterError
from mlpkit.export import onnx_inputs

from .test_export import run_outside_mlpkit

pytest.importorskip("torch")


def counts(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    rate = np.exp(1.0 + X[:, 0] - 0.5 * X[:, 1] ** 2)
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "visits": rng.poisson(rate)})


def test_a_poisson_run_predicts_the_same_rates_through_every_door(tmp_path, capsys):
    table = counts()
    table.to_csv(tmp_path / "counts.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--csv", str(tmp_path / "counts.csv"), "--target", "visits",
                 "--loss", "poisson", "--hidden", "16", "--epochs", "40", "--lr", "0.01",
                 "--out", str(run), "--quiet"]) == 0
    rows = table.drop(columns="visits")
    rows.to_csv(tmp_path / "rows.csv", index=False)
    assert main(["predict", str(run), str(tmp_path / "rows.csv"), "-o",
                 str(tmp_path / "out.csv")]) == 0
    written = pd.read_csv(tmp_path / "out.csv")["prediction"].to_numpy()

    model = mlpkit.load(run)
    assert model.loss == "poisson" and model.out_activation_ == "exp"
    np.testing.assert_allclose(model.predict(rows), written, rtol=1e-6)
    assert written.min() > 0                             # a rate, never negative
    assert main(["export", str(run), "-o", str(tmp_path / "m.onnx")]) == 0
    onnx = run_outside_mlpkit(tmp_path, tmp_path / "m.onnx",
                              onnx_inputs(model.model_, rows))["prediction"]
    np.testing.assert_allclose(onnx, written, rtol=1e-4)
    # it learned the rates: closer to them than the best constant
    rate = np.exp(1.0 + rows["a"] - 0.5 * rows["b"] ** 2)
    assert np.mean((written - rate) ** 2) < 0.5 * np.var(rate)


def test_both_engines_fit_the_same_poisson_network():
    table = counts(seed=1)
    X, y = table[["a", "b"]].to_numpy(), table["visits"].to_numpy(np.float64)
    fits = [mlpkit.MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), solver="lbfgs",
                                max_iter=50, random_state=0, engine=engine).fit(X, y)
            for engine in ("numpy", "torch")]
    np.testing.assert_allclose(fits[0].loss_curve_, fits[1].loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(fits[0].predict(X), fits[1].predict(X), rtol=1e-6)


def test_poisson_refuses_negative_counts_and_classifiers():
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(InvalidInputError, match="negative which is not allowed for Poisson"):
        mlpkit.MLPRegressor(loss="poisson").fit(X, [1.0, 2.0, -1.0, 0.0])
    with pytest.raises(InvalidParameterError, match="'poisson' is for a regression target"):
        mlpkit.MLPClassifier(loss="poisson").fit(X, [0, 1, 0, 1])


def test_a_streamed_poisson_table_with_a_negative_count_is_refused_before_training(tmp_path,
                                                                                    capsys):
    table = counts(seed=2)
    table.loc[240:259, "visits"] = -3               # twenty rows: some are training rows
    table.to_csv(tmp_path / "counts.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--csv", str(tmp_path / "counts.csv"), "--target", "visits",
                 "--loss", "poisson", "--stream", "--batch-size", "32", "--epochs", "2",
                 "--out", str(run), "--quiet"]) == 2
    assert "negative which is not allowed for Poisson regression" in capsys.readouterr().err
    assert not run.exists()                           # nothing half-written
