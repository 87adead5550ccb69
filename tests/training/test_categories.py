"""``--category-embedding D``: a text column of more than 9 values as D learned numbers per
value instead of a one-hot input each. The hand-written backward against autograd on the
formula (a lookup, as ``nn.functional.embedding``) and against finite differences; the plan
around it; model files with wrong blocks refused; every door (Python, the other engine, ONNX
Runtime, the estimators) predicts the same."""

import numpy as np
import pytest
import torch

from mlpkit.config import MLPSpec
from mlpkit.data.tables.columns import fit_encoder
from mlpkit.diagnostics.gradient_table import gradient_table
from mlpkit.errors import InvalidParameterError
from mlpkit.estimators import TabularRegressor
from mlpkit.io.model_files import n_parameters
from mlpkit.numpy_engine.categories import CategoryEmbedding
from mlpkit.numpy_engine.models import build_mlp as numpy_mlp
from mlpkit.recipe import categories
from mlpkit.torch_engine.models import build_mlp as torch_mlp

BLOCKS = ((1, 4), (5, 9))          # two categories: 3 and 4 values, inputs 0 and 4 numbers


def test_the_layer_matches_autograd_on_the_formula():
    rng = np.random.default_rng(0)
    layer = CategoryEmbedding(9, BLOCKS, 2, rng, dtype=np.float64)
    x, g = rng.normal(size=(6, 9)), rng.normal(size=(6, 6))       # any inputs: it is linear
    out = layer(x)
    grad_x = layer.backward(g)
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(layer.weight.data.copy()).requires_grad_()
    reference = torch.cat([tx[:, [0, 4]], tx[:, 1:4] @ tw[:3], tx[:, 5:9] @ tw[3:]], dim=1)
    (reference * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(out, reference.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(layer.weight.grad, tw.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_one_hot_rows_get_their_values_rows_of_the_table_and_unseen_ones_zeros():
    layer = CategoryEmbedding(9, BLOCKS, 2, np.random.default_rng(1), dtype=np.float64)
    codes = np.array([[2, 0], [0, 3], [1, 1]])
    x = np.zeros((4, 9))
    x[:3, 0], x[:3, 4] = 7.0, -1.0
    for row, (a, b) in enumerate(codes):
        x[row, 1 + a], x[row, 5 + b] = 1.0, 1.0                     # row 3: unseen in both
    out = layer(x)
    weight = torch.from_numpy(layer.weight.data)
    lookup = torch.cat([torch.nn.functional.embedding(torch.from_numpy(codes[:, 0]), weight[:3]),
                        torch.nn.functional.embedding(torch.from_numpy(codes[:, 1]), weight[3:])],
                       dim=1).numpy()
    np.testing.assert_array_equal(out[:3, 2:], lookup)
    np.testing.assert_array_equal(out[:3, :2], [[7.0, -1.0]] * 3)
    np.testing.assert_array_equal(out[3], np.zeros(6))


@pytest.mark.parametrize("ensemble", [1, 3])
def test_gradcheck_through_it_agrees_with_finite_differences_and_autograd(ensemble):
    rows = gradient_table((5, 4), "tanh", "cross_entropy", "float64", 4, 3, 8, 0, "periodic",
                          ensemble, category_embedding=3)
    assert rows[0].name == "0.weight" and rows[0].shape == (3, 3)
    assert max(max(r.vs_differences, r.vs_autograd) for r in rows) < 1e-6


def test_the_plan_passes_numbers_on_and_embeds_past_them_in_both_engines():
    spec = MLPSpec(9, 2, (5,), embedding="periodic", embedded=(0, 4), input_scaling=True,
                   categories=BLOCKS, category_embedding=3)
    assert spec.layers()[:3] == [("categories", 9, BLOCKS, 3), ("scaling", 8),
                                 ("periodic", 8, (0, 1))]       # the numbers, now first
    ours, theirs = numpy_mlp(spec, 2, dtype=np.float64), torch_mlp(spec, 2, dtype=torch.float64)
    X = np.random.default_rng(3).normal(size=(7, 9))
    np.testing.assert_allclose(theirs(torch.from_numpy(X)).detach().numpy(), ours(X),
                               rtol=1e-12)
    assert n_parameters(spec) == sum(v.size for v in ours.state_dict().values())
    assert MLPSpec.from_dict(spec.to_dict()) == spec
    assert "categories" not in MLPSpec(9, 2).to_dict()         # files stay as they were


@pytest.mark.parametrize("blocks, dim", [(((1, 4), (3, 9)), 3), (((1, 4),), 0),
                                         (((0, 1),), 3), (((1, 10),), 3), (((1.0, 4),), 3),
                                         ("abc", 3), (((1, 4), (4, 4)), 3)])
def test_a_model_files_wrong_blocks_are_refused(blocks, dim):
    with pytest.raises(InvalidParameterError, match="categories must be ordered, separate"):
        MLPSpec(9, 2, categories=blocks, category_embedding=dim)


def table(n=600, seed=0):
    """messy()'s table and a city of 14 values, each with its own effect."""
    from tests.test_export import messy

    frame = messy(n, seed)
    rng = np.random.default_rng(seed + 1)
    city = rng.integers(0, 14, n)
    frame["city"] = np.array([f"c{i}" for i in range(14)], dtype=object)[city]
    frame["value"] += np.linspace(-6, 6, 14)[city]
    return frame


def test_only_categories_of_more_than_nine_values_are_embedded():
    frame = table()
    encoder = fit_encoder(frame, ["size", "color", "city", "rooms"], "median", "t.csv")
    names = encoder.feature_names
    start = names.index("city=c0")
    assert encoder.category_blocks(9) == ((start, start + 14),)
    assert categories(8, encoder) == {"categories": ((start, start + 14),),
                                      "category_embedding": 8}
    assert categories(0, encoder) == {} and categories(8, None) == {}


@pytest.mark.parametrize("target, engine", [("label", "numpy"), ("value", "torch")])
def test_a_table_model_embeds_its_city_and_every_door_predicts_alike(tmp_path, capsys, target,
                                                                     engine):
    from tests.test_export import check_every_door, train_table

    frame = table().drop(columns="value" if target == "label" else "label")
    model = train_table(tmp_path, frame, target, engine, ["--category-embedding", "4",
                                                          "--epochs", "6"])
    assert model.spec.category_embedding == 4 and len(model.spec.categories) == 1
    notes = {c.name: c.note for c in model.schema.encoder.columns}
    assert notes["city"] == "14 values, each as 4 learned numbers (--category-embedding 0: " \
        "one-hot)" and notes["color"].startswith("4 values, one-hot")
    rows = frame.drop(columns=target)
    rows.loc[rows.index[:5], "city"] = "elsewhere"                 # unseen: no value's numbers
    check_every_door(tmp_path, capsys, model, engine, rows)


def test_the_estimator_embeds_the_same_way():
    frame = table()
    X, y = frame.drop(columns=["label", "value"]), frame["value"]
    fitted = TabularRegressor(category_embedding=4, max_iter=3, random_state=0).fit(X, y)
    assert fitted.model_.spec.categories is not None
    assert fitted.model_.state_dict["0.weight"].shape == (14, 4)
    assert np.all(np.isfinite(fitted.predict(X.iloc[:20])))
    assert TabularRegressor(max_iter=3).fit(X, y).model_.spec.categories is None
