"""The table recipe's parts, each against an independent reference: label smoothing against
PyTorch's autograd, the robust scaler against scikit-learn's RobustScaler and the formula, the
coslog4 schedule against its formula, the export against ONNX Runtime."""


import math

import numpy as np
import pytest
import torch

from mlpkit.cli import main
from mlpkit.config import RunConfig
from mlpkit.data.preprocessing import Standardizer
from mlpkit.diagnostics.statistics import baseline_loss
from mlpkit.errors import InvalidParameterError
from mlpkit.model import TrainedModel
from mlpkit.runs.train import start
from mlpkit.training.callbacks import coslog4


@pytest.fixture
def messy_csv(tmp_path):
    from tests.test_export import messy

    path = tmp_path / "data.csv"
    messy().drop(columns="value").to_csv(path, index=False)
    return path


def smoothed_gradients(engine: str, smoothing: float, class_weight: str | None,
                       activation: str = "relu", embedding: str | None = None):
    run = RunConfig("blobs", {"n_samples": 90, "centers": 3}).with_options(
        {"hidden": (5,), "label_smoothing": smoothing, "engine": engine, "val_fraction": 0.0,
         "seed": 4, "class_weight": class_weight, "activation": activation,
         "embedding": embedding})
    _, session, split = start(run)
    stepper = session.stepper
    stepper.bind(split.X, split.y, split.weights)
    weights = {k: np.array(v, np.float64) for k, v in stepper.state_dict().items()}
    loss, grads = stepper.full_batch_gradients()
    return loss, grads, weights, split, stepper


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_label_smoothing_matches_autograd_and_evaluation_reports_the_plain_loss(
        engine, class_weight):
    smoothing = 0.2
    loss, grads, weights, split, stepper = smoothed_gradients(engine, smoothing, class_weight)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    x = torch.tensor(np.asarray(split.X, np.float64))
    logits = torch.relu(x @ params["0.weight"].T + params["0.bias"]) @ params["2.weight"].T \
        + params["2.bias"]
    target = torch.tensor(split.y)
    # written out, not through torch's label_smoothing: (1-e) one-hot + e/K
    q = (1 - smoothing) * torch.nn.functional.one_hot(target, 3) + smoothing / 3
    per_row = -(q * torch.log_softmax(logits, dim=1)).sum(dim=1)
    w = torch.ones(len(target), dtype=torch.float64) if split.weights is None else \
        torch.tensor(np.asarray(split.weights, np.float64))
    reference = (per_row * w).sum() / w.sum()
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-5)
    for name, param in params.items():
        np.testing.assert_allclose(grads[name], param.grad.numpy(), rtol=1e-4, atol=1e-6)
    plain = torch.nn.functional.cross_entropy(logits, target).item()
    assert stepper.evaluate(split.X, split.y)[0] == pytest.approx(plain, rel=1e-5)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("activation", ["selu", "mish"])
def test_selu_and_mish_match_autograd(engine, activation):
    loss, grads, weights, split, _ = smoothed_gradients(engine, 0.0, None, activation)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    x = torch.tensor(np.asarray(split.X, np.float64))
    z = x @ params["0.weight"].T + params["0.bias"]
    if activation == "selu":       # the formulas, not torch's own layers
        a = 1.0507009873554805 * torch.where(z > 0, z, 1.6732632423543772 * torch.expm1(z))
    else:
        a = z * torch.tanh(torch.log1p(torch.exp(z)))
    logits = a @ params["2.weight"].T + params["2.bias"]
    reference = torch.nn.functional.cross_entropy(logits, torch.tensor(split.y))
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-5)
    for name, param in params.items():
        np.testing.assert_allclose(grads[name], param.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_the_periodic_embedding_matches_autograd(engine):
    loss, grads, weights, split, _ = smoothed_gradients(engine, 0.0, None, "relu", "periodic")
    params = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    x = torch.tensor(np.asarray(split.X, np.float64))
    u = 2 * math.pi * x[:, :, None] * params["0.frequencies"] + params["0.phases"]
    e = (torch.cos(u)[:, :, :, None] * params["0.weight"]).sum(dim=2) + params["0.bias"]
    inputs = torch.cat([e.reshape(len(x), -1), x], dim=1)
    hidden = torch.relu(inputs @ params["1.weight"].T + params["1.bias"])
    logits = hidden @ params["3.weight"].T + params["3.bias"]
    reference = torch.nn.functional.cross_entropy(logits, torch.tensor(split.y))
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-5)
    for name, param in params.items():
        np.testing.assert_allclose(grads[name], param.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_the_periodic_embedding_passes_the_finite_difference_check():
    from mlpkit.numpy_engine.embedding import PeriodicEmbedding
    from mlpkit.numpy_engine.gradcheck import gradcheck
    from mlpkit.numpy_engine.layers import Linear
    from mlpkit.numpy_engine.losses import MSELoss
    from mlpkit.numpy_engine.network import Sequential

    rng = np.random.default_rng(1)
    embedding = PeriodicEmbedding((0, 2), rng, dtype=np.float64)     # inputs 0 and 2 of 3
    embedding.frequencies.data *= 10          # several periods over the inputs' range
    model = Sequential(Linear(3, 3, rng=rng, dtype=np.float64), embedding,   # (its input
                       Linear(9, 2, rng=rng, dtype=np.float64))   # gradient reaches layer 0)
    X, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    errors = gradcheck(model, MSELoss(), X, y)
    assert set(errors) == {"0.weight", "0.bias", "1.frequencies", "1.phases", "1.weight",
                           "1.bias", "2.weight", "2.bias"}
    assert max(errors.values()) < 1e-7


def test_the_constant_guess_under_label_smoothing_is_the_smoothed_entropy():
    y = np.array([0, 0, 0, 1, 2, 2])
    smoothing = 0.1
    q = (1 - smoothing) * np.bincount(y) / len(y) + smoothing / 3
    logits = torch.tensor(np.log(q), requires_grad=True)
    loss = torch.nn.functional.cross_entropy(logits.expand(len(y), 3), torch.tensor(y),
                                             label_smoothing=smoothing)
    loss.backward()      # the constant's best: no gradient left
    assert np.abs(logits.grad.numpy()).max() < 1e-12
    assert baseline_loss("classification", "cross_entropy", y, None, 3, smoothing) == \
        pytest.approx(loss.item())


def test_the_robust_scaler_is_scikit_learns_then_the_smooth_clip():
    from sklearn.preprocessing import RobustScaler

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.standard_cauchy(500), rng.exponential(size=500),
                         rng.random(500) < 0.1, np.full(500, 7.0)]).astype(np.float32)
    scaler = Standardizer.fit_robust(X, block=3)        # blocks of columns: the same result
    reference = RobustScaler().fit(X.astype(np.float64))
    np.testing.assert_allclose(scaler.mean, reference.center_, rtol=1e-6)
    np.testing.assert_allclose(scaler.scale[:2], reference.scale_[:2], rtol=1e-5)
    assert scaler.scale[2] == 0.5 and scaler.scale[3] == 1.0   # IQR 0: half the range; constant
    z = (X.astype(np.float64) - scaler.mean) / scaler.scale
    np.testing.assert_allclose(scaler.transform(X), z / np.sqrt(1 + (z / 3) ** 2), rtol=1e-5,
                               atol=1e-6)
    assert np.abs(scaler.transform(X)).max() < 3.0
    rows = np.array([0, 1, 2, 3, 4, 5, 6])
    weights = np.zeros(500)
    weights[rows] = [1, 2, 1, 3, 1, 1, 2]
    weighted = Standardizer.fit_robust(X, weights=weights)   # a weight: that many rows
    repeated = X[np.repeat(rows, [1, 2, 1, 3, 1, 1, 2])].astype(np.float64)
    q25, q50, q75 = np.quantile(repeated, [0.25, 0.5, 0.75], axis=0, method="inverted_cdf")
    np.testing.assert_allclose(weighted.mean, q50)
    np.testing.assert_allclose(weighted.scale[:2], (q75 - q25)[:2], rtol=1e-6)


def test_coslog4_rises_and_falls_four_times_on_a_log_axis():
    assert coslog4(0.0) == 0.0 and coslog4(1.0) == pytest.approx(0.0, abs=1e-12)
    for cycle in range(4):      # peaks where log2(1 + 15 t) = k + 1/2, zeros at k
        assert coslog4((2 ** (cycle + 0.5) - 1) / 15) == pytest.approx(1.0)
        assert coslog4((2 ** cycle - 1) / 15) == pytest.approx(0.0, abs=1e-12)


def test_a_coslog4_run_uses_the_formula_at_each_epochs_middle(tmp_path):
    assert main(["train", "--dataset", "moons", "--schedule", "coslog4", "--lr", "0.01",
                 "--epochs", "12", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    lines = (tmp_path / "r" / "history.csv").read_text().splitlines()
    column = lines[0].split(",").index("lr")
    rates = [float(line.split(",")[column]) for line in lines[1:]]
    np.testing.assert_allclose(rates, [0.01 * coslog4((e + 0.5) / 12) for e in range(12)],
                               rtol=1e-6)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_robust_scaled_smoothed_table_model_saves_exports_and_predicts_alike(
        tmp_path, engine, messy_csv):
    pytest.importorskip("onnxruntime")
    from tests.test_export import check

    run = tmp_path / "run"
    assert main(["train", "--csv", str(messy_csv), "--target", "label", "--scaler", "robust",
                 "--label-smoothing", "0.1", "--engine", engine, "--epochs", "3",
                 "--hidden", "8", "8", "--activations", "selu", "mish", "--embedding", "periodic",
                 "--out", str(run), "--quiet", "--no-baselines"]) == 0
    model = TrainedModel.load(run)
    assert model.scaler.clip and model.options["label_smoothing"] == 0.1
    assert model.spec.embedding == "periodic"
    assert main(["export", str(run), "-o", str(tmp_path / "m.onnx")]) == 0
    import pandas as pd

    check(tmp_path, model, tmp_path / "m.onnx", pd.read_csv(messy_csv).drop(columns="label"))


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_clipped_regression_stays_in_the_training_range_through_every_door(tmp_path, engine):
    pytest.importorskip("onnxruntime")
    import pandas as pd

    from tests.test_export import check, messy

    table = messy().drop(columns="label")
    table.to_csv(tmp_path / "data.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--csv", str(tmp_path / "data.csv"), "--target", "value",
                 "--clip-output", "--scaler", "standard", "--engine", engine,
                 "--epochs", "5", "--out", str(run), "--quiet", "--no-baselines"]) == 0
    model = TrainedModel.load(run)
    low, high = model.target_range
    far = pd.DataFrame({"size": [-1e4, 1e4, 10.0], "color": ["red", "blue", None],
                        "day": ["2021-03-01"] * 3, "visits": [0.0, 0.0, 2.0],
                        "rooms": [1, 6, 9]})
    predicted = model.predict_output(model.features(far))
    unclipped = TrainedModel.load(run)
    unclipped.target_range = None
    raw = unclipped.predict_output(unclipped.features(far))
    assert ((raw < low) | (raw > high)).any()         # the far rows do leave the range ...
    np.testing.assert_allclose(predicted, np.clip(raw, low, high))    # ... and are clipped
    assert main(["export", str(run), "-o", str(tmp_path / "m.onnx")]) == 0
    check(tmp_path, model, tmp_path / "m.onnx", pd.concat([table.drop(columns="value"), far]))


def test_robust_scaling_of_a_streamed_table_is_refused_in_one_line(tmp_path, capsys,
                                                                   messy_csv):
    assert main(["train", "--csv", str(messy_csv), "--target", "label", "--stream",
                 "--scaler", "robust", "--out", str(tmp_path / "x")]) == 2
    error = capsys.readouterr().err
    assert "--scaler robust needs the training rows' quantiles" in error
    assert error.count("\n") == 1 and not (tmp_path / "x").exists()
    with pytest.raises(InvalidParameterError, match="'minmax'"):
        RunConfig().with_options({"scaler": "minmax"})
