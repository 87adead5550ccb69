"""The piecewise-linear encoding (``--embedding piecewise``): its forward pass against the
identity it must keep, its backward pass against autograd and finite differences, its bins
against NumPy's quantiles, and a model with it through every door."""

import numpy as np
import pytest
import torch

from mlpkit.cli import main
from mlpkit.config import BINS, MLPSpec
from mlpkit.diagnostics.gradient_table import gradient_table
from mlpkit.errors import InvalidParameterError
from mlpkit.model import TrainedModel
from mlpkit.numpy_engine.piecewise import PiecewiseLinear, fit_edges


def encoded(x: np.ndarray, seed: int = 0):
    edges = fit_edges(np.random.default_rng(seed).normal(size=(300, 3)), (0, 2), BINS)
    layer = PiecewiseLinear(3, (0, 2), edges, dtype=np.float64)
    return layer, np.asarray(edges), layer.forward(x)


def test_the_bins_add_back_up_to_the_clipped_input_and_the_rest_passes_through():
    x = np.random.default_rng(1).normal(scale=1.5, size=(50, 3))
    layer, edges, out = encoded(x)
    assert out.shape == (50, 2 * BINS + 1)
    np.testing.assert_array_equal(out[:, -1], x[:, 1])       # the input not encoded
    for f, column in enumerate((0, 2)):
        bins = out[:, f * BINS:(f + 1) * BINS]
        assert ((bins >= 0) & (bins <= 1)).all()
        assert (np.diff(bins, axis=1) <= 0).all()              # 1s, then a fraction, then 0s
        rebuilt = edges[f, 0] + bins @ np.diff(edges[f])       # sum of filled widths
        np.testing.assert_allclose(rebuilt, np.clip(x[:, column], edges[f, 0], edges[f, -1]))


def test_the_edges_are_the_training_rows_quantiles_and_a_weight_counts_as_rows():
    X = np.random.default_rng(2).exponential(size=(101, 2))
    edges = np.asarray(fit_edges(X, (1,), 4))
    np.testing.assert_allclose(edges[0], np.quantile(X[:, 1], [0, 0.25, 0.5, 0.75, 1]))
    weights = np.random.default_rng(3).integers(1, 4, size=101)
    repeated = np.repeat(X, weights, axis=0)
    np.testing.assert_allclose(
        fit_edges(X, (0, 1), 8, weights.astype(float)),
        np.quantile(repeated, np.linspace(0, 1, 9), axis=0, method="inverted_cdf").T)


def test_its_input_gradient_matches_autograd():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 3))
    layer, edges, out = encoded(x)
    grad_out = rng.normal(size=out.shape)
    ours = layer.backward(grad_out)
    tx = torch.tensor(x, requires_grad=True)
    e = torch.tensor(edges)
    t = (tx[:, [0, 2], None] - e[:, :-1]) / (e[:, 1:] - e[:, :-1])    # the formula itself
    reference = torch.cat([t.clamp(0, 1).flatten(1), tx[:, [1]]], dim=1)
    np.testing.assert_allclose(out, reference.detach().numpy(), atol=1e-12)
    (reference * torch.tensor(grad_out)).sum().backward()
    np.testing.assert_allclose(ours, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ensemble", [1, 3])
def test_gradcheck_through_it_agrees_with_finite_differences_and_autograd(ensemble):
    rows = gradient_table((5, 4), "tanh", "cross_entropy", "float64", 3, 3, 12, 0,
                          "piecewise", ensemble, input_scaling=True)
    assert rows[0].name == "0.scale"          # its gradient flows back through the encoding
    assert max(max(r.vs_differences, r.vs_autograd) for r in rows) < 1e-6


def test_a_model_file_with_broken_edges_is_refused():
    good = MLPSpec(2, 1, (4,), embedding="piecewise",
                   edges=fit_edges(np.arange(20.0).reshape(10, 2), (0, 1), BINS))
    data = good.to_dict()
    assert MLPSpec.from_dict(data).edges == good.edges
    for broken in (data["edges"][:1], [row[::-1] for row in data["edges"]],
                   [[float("nan")] * (BINS + 1)] * 2, "many"):
        with pytest.raises(InvalidParameterError, match="edges must be 2 rows of 17"):
            MLPSpec.from_dict({**data, "edges": broken})
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
    assert model.spec.embedding == "piecewise" and len(model.spec.edges) == \
        len(model.spec.embedded)
    assert main(["export", str(run), "-o", str(tmp_path / "m.onnx")]) == 0
    check(tmp_path, model, tmp_path / "m.onnx", pd.read_csv(tmp_path / "data.csv")
          .drop(columns="value"))


def test_a_streamed_table_cannot_have_piecewise_bins(tmp_path, capsys):
    from tests.test_export import messy

    messy().to_csv(tmp_path / "data.csv", index=False)
    assert main(["train", "--csv", str(tmp_path / "data.csv"), "--target", "value",
                 "--stream", "--scaler", "standard", "--no-clip-output",
                 "--embedding", "piecewise", "--out", str(tmp_path / "x")]) == 2
    error = capsys.readouterr().err
    assert "--embedding piecewise needs the training rows' quantiles" in error
    assert error.count("\n") == 1 and not (tmp_path / "x").exists()
