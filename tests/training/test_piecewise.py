"""The piecewise-linear encoding (``--embedding piecewise``): its forward pass against the
identity it must keep, its backward pass against autograd and finite differences, its bins
against NumPy's quantiles and scikit-learn's RobustScaler, and a model with it through every
door."""

import numpy as np
import pytest
import torch

from mlpkit.cli import main
from mlpkit.config import MLPSpec
from mlpkit.diagnostics.gradient_table import gradient_table
from mlpkit.errors import InvalidParameterError
from mlpkit.model import TrainedModel
from mlpkit.numpy_engine.piecewise import PiecewiseLinear, bin_arrays, fit_bins
from mlpkit.plan import BINS


def encoded(x: np.ndarray, seed: int = 0):
    bins = fit_bins(np.random.default_rng(seed).normal(size=(300, 3)), (0, 2), BINS)
    layer = PiecewiseLinear(3, (0, 2), bins, dtype=np.float64)
    return layer, np.asarray(bins), layer.forward(x)


def test_the_bins_add_back_up_to_the_clipped_input_and_the_rest_passes_through():
    x = np.random.default_rng(1).normal(scale=1.5, size=(50, 3))
    layer, bins, out = encoded(x)
    assert out.shape == (50, 2 * BINS + 1)
    np.testing.assert_array_equal(out[:, -1], x[:, 1])       # the input not encoded
    edges, centre, spread = bins[:, :BINS + 1], bins[:, BINS + 1:-BINS], bins[:, -BINS:]
    for f, column in enumerate((0, 2)):
        y = out[:, f * BINS:(f + 1) * BINS]
        assert (np.abs(y) < 3).all()                           # the smooth clip's range
        p = centre[f] + spread[f] * y / np.sqrt(1 - (y / 3) ** 2)    # the clip undone
        assert (p > -1e-9).all() and (p < 1 + 1e-9).all()
        assert (np.diff(p, axis=1) <= 1e-9).all()              # 1s, then a fraction, then 0s
        rebuilt = edges[f, 0] + p @ np.diff(edges[f])          # sum of filled widths
        np.testing.assert_allclose(rebuilt, np.clip(x[:, column], edges[f, 0], edges[f, -1]))


def test_the_bins_are_the_training_rows_quantiles_scaled_as_robustscaler_scales():
    from sklearn.preprocessing import RobustScaler

    X = np.random.default_rng(2).exponential(size=(101, 2))
    bins = np.asarray(fit_bins(X, (1,), 4))
    np.testing.assert_allclose(bins[0, :5], np.quantile(X[:, 1], [0, 0.25, 0.5, 0.75, 1]))
    lower, inverse, centre, spread = bin_arrays(bins, np.float64)
    p = np.clip((X[:, [1]] - lower) * inverse, 0, 1).round(6)  # (101, 4): the bins' values
    #                                         (rounded: a row on an edge is 1 - 1e-16, not 1)
    reference = RobustScaler().fit(p)
    iqr = np.percentile(p, 75, axis=0) > np.percentile(p, 25, axis=0)
    assert iqr.any() and not iqr.all()       # (RobustScaler divides by 1 where the IQR is 0)
    np.testing.assert_allclose(centre[0], reference.center_, atol=1e-6)
    np.testing.assert_allclose(spread[0][iqr], reference.scale_[iqr], rtol=1e-6)
    np.testing.assert_allclose(spread[0][~iqr], np.ptp(p, axis=0)[~iqr] / 2, rtol=1e-6)
    weights = np.random.default_rng(3).integers(1, 4, size=101)
    repeated = np.repeat(X, weights, axis=0)
    weighted = np.asarray(fit_bins(X, (0, 1), 8, weights.astype(float)))
    np.testing.assert_allclose(   # (weighted quantiles: the inverted CDF, as the scaler's)
        weighted[:, :9],
        np.quantile(repeated, np.linspace(0, 1, 9), axis=0, method="inverted_cdf").T)
    assert (weighted[:, -8:] > 0).all()


def test_its_input_gradient_matches_autograd():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 3))
    layer, bins, out = encoded(x)
    grad_out = rng.normal(size=out.shape)
    ours = layer.backward(grad_out)
    tx = torch.tensor(x, requires_grad=True)
    e, m, s = (torch.tensor(a) for a in (bins[:, :BINS + 1], bins[:, BINS + 1:-BINS],
                                         bins[:, -BINS:]))
    t = (tx[:, [0, 2], None] - e[:, :-1]) / (e[:, 1:] - e[:, :-1])    # the formula itself
    z = (t.clamp(0, 1) - m) / s
    reference = torch.cat([(z / torch.sqrt(1 + (z / 3) ** 2)).flatten(1), tx[:, [1]]], dim=1)
    np.testing.assert_allclose(out, reference.detach().numpy(), atol=1e-12)
    (reference * torch.tensor(grad_out)).sum().backward()
    np.testing.assert_allclose(ours, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ensemble", [1, 3])
def test_gradcheck_through_it_agrees_with_finite_differences_and_autograd(ensemble):
    rows = gradient_table((5, 4), "tanh", "cross_entropy", "float64", 3, 3, 12, 0,
                          "piecewise", ensemble, input_scaling=True)
    assert rows[0].name == "0.scale"          # its gradient flows back through the encoding
    assert max(max(r.vs_differences, r.vs_autograd) for r in rows) < 1e-6


def test_a_model_file_with_broken_bins_is_refused():
    good = MLPSpec(2, 1, (4,), embedding="piecewise",
                   bins=fit_bins(np.arange(20.0).reshape(10, 2), (0, 1), BINS))
    data = good.to_dict()
    assert MLPSpec.from_dict(data).bins == good.bins
    no_spread = [row[:-1] + (0.0,) for row in good.bins]
    for broken in (data["bins"][:1], [row[::-1] for row in data["bins"]], no_spread,
                   [[float("nan")] * (3 * BINS + 1)] * 2, "many"):
        with pytest.raises(InvalidParameterError, match="bins must be 2 rows of 49"):
            MLPSpec.from_dict({**data, "bins": broken})
    with pytest.raises(InvalidParameterError, match="prepare the data"):
        PiecewiseLinear(2, (0, 1), None)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_piecewise_table_model_saves_exports_and_predicts_alike(tmp_path, engine):
    pytest.importorskip("onnxruntime")
    import pandas as pd

    from tests.test_export import check, messy

    table = messy()
    table.to_csv(tmp_path / "data.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--csv", str(tmp_path / "data.csv"), "--target", "value",
                 "--embedding", "piecewise", "--engine", engine, "--epochs", "3",
                 "--hidden", "8", "--out", str(run), "--quiet", "--no-baselines"]) == 0
    model = TrainedModel.load(run)
    assert model.spec.embedding == "piecewise" and len(model.spec.bins) == \
        len(model.spec.embedded)
    assert main(["export", str(run), "-o", str(tmp_path / "m.onnx")]) == 0
    check(tmp_path, model, tmp_path / "m.onnx", pd.read_csv(tmp_path / "data.csv")
          .drop(columns="value"))


@pytest.mark.parametrize("kind", ["piecewise", "table"])
def test_a_streamed_table_cannot_have_piecewise_bins(tmp_path, capsys, kind):
    from tests.test_export import messy

    messy().to_csv(tmp_path / "data.csv", index=False)
    assert main(["train", "--csv", str(tmp_path / "data.csv"), "--target", "value",
                 "--stream", "--scaler", "standard", "--no-clip-output",
                 "--embedding", kind, "--out", str(tmp_path / "x")]) == 2
    error = capsys.readouterr().err
    assert f"--embedding {kind} needs the training rows' quantiles" in error
    assert error.count("\n") == 1 and not (tmp_path / "x").exists()


def test_the_recipe_bins_a_large_regression_and_embeds_the_rest_periodically():
    from mlpkit.recipe import PIECEWISE_ROWS, embedding

    assert embedding("table", "regression") == "piecewise"          # (rows not yet known)
    assert embedding("table", "regression", PIECEWISE_ROWS) == "piecewise"
    assert embedding("table", "regression", PIECEWISE_ROWS - 1) == "periodic"
    assert embedding("table", "classification", 10**6) == "periodic"
    assert embedding("table", "multilabel") == "periodic"
    assert embedding("piecewise", "regression", 10) == "piecewise"  # an explicit value wins
    assert embedding(None, "regression") is None


@pytest.mark.parametrize("target, rows, flags, expected", [
    ("value", 1600, [], "piecewise"), ("value", 400, [], "periodic"),
    ("label", 1600, [], "periodic"), ("value", 1600, ["--embedding", "periodic"], "periodic"),
    ("value", 400, ["--embedding", "piecewise"], "piecewise"),
    ("label", 400, ["--embedding", "none"], None)])
def test_a_csv_run_takes_the_recipes_embedding_for_its_task_and_size(tmp_path, target, rows,
                                                                     flags, expected):
    from tests.test_export import messy

    # 1600 rows: 1024 to train on, after the test and validation rows; 400 rows: 256
    table = messy(rows).drop(columns="value" if target == "label" else "label")
    table.to_csv(tmp_path / "data.csv", index=False)
    assert main(["train", "--csv", str(tmp_path / "data.csv"), "--target", target,
                 "--epochs", "2", "--out", str(tmp_path / "run"), "--quiet", "--no-baselines",
                 *flags]) == 0
    model = TrainedModel.load(tmp_path / "run")
    assert model.spec.embedding == expected
    assert (model.spec.bins is not None) == (expected == "piecewise")
    assert 'embedding = "table"' in (tmp_path / "run" / "config.toml").read_text() or flags


def test_a_table_regressor_bins_its_numbers_by_default():
    from mlpkit import TabularClassifier, TabularRegressor

    X = np.random.default_rng(5).normal(size=(1300, 3))      # 1040 rows after validation
    regressor = TabularRegressor(max_iter=2, random_state=0).fit(X, X[:, 0])
    assert regressor.model_.spec.embedding == "piecewise" and len(regressor.model_.spec.bins) == 3
    classifier = TabularClassifier(max_iter=2, random_state=0).fit(X, X[:, 0] > 0)
    assert classifier.model_.spec.embedding == "periodic"
    assert TabularRegressor(embedding="none", max_iter=2).fit(X, X[:, 1]).model_.spec.embedding \
        is None
