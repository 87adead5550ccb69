"""ONNX export: the exported file, run by ONNX Runtime in a process that never imports mlpkit,
predicts what mlpkit predicts on the same raw rows (batch sizes 1 and 1000)."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import mlpkit
from mlpkit.cli import main
from mlpkit.export import onnx_inputs
from mlpkit.model import TrainedModel

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

RUNNER = """
import json, sys
import numpy as np
import onnxruntime
feeds = {k: np.array(v["data"], dtype=object if v["dtype"] == "str" else v["dtype"])
         for k, v in json.load(open(sys.argv[2])).items()}
session = onnxruntime.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
names = [o.name for o in session.get_outputs()]
out = dict(zip(names, session.run(None, feeds)))
assert "mlpkit" not in sys.modules
json.dump({k: v.tolist() for k, v in out.items()}, open(sys.argv[3], "w"))
"""


def run_outside_mlpkit(tmp_path, onnx_file, feeds):
    """ONNX Runtime in a fresh Python process with only onnxruntime and numpy imported."""
    (tmp_path / "runner.py").write_text(RUNNER)
    encoded = {k: {"dtype": "str" if v.dtype == object else str(v.dtype), "data": v.tolist()}
               for k, v in feeds.items()}
    (tmp_path / "feeds.json").write_text(json.dumps(encoded))
    subprocess.run([sys.executable, str(tmp_path / "runner.py"), str(onnx_file),
                    str(tmp_path / "feeds.json"), str(tmp_path / "out.json")], check=True)
    return {k: np.array(v) for k, v in json.loads((tmp_path / "out.json").read_text()).items()}


def messy(n=400, seed=0):
    rng = np.random.default_rng(seed)
    size = rng.normal(10, 3, n)
    color = rng.choice(["red", "green", "blue"], n).astype(object)
    day = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    label = np.where((color == "red") ^ (size > 10) ^ (day.month > 6), "yes", "no")
    value = 2 * size + (color == "red") * 5 + day.month + rng.normal(0, 1, n)
    frame = pd.DataFrame({"size": size, "color": color, "day": day.strftime("%Y-%m-%d"),
                          "label": label, "value": value})
    frame.loc[rng.choice(n, 20, replace=False), "size"] = np.nan
    frame.loc[rng.choice(n, 20, replace=False), "color"] = None
    frame.loc[rng.choice(n, 10, replace=False), "day"] = None
    visits = np.where(rng.random(n) < 0.5, 0.0, rng.integers(1, 9, n).astype(float))
    visits[:20] = 1e-9                      # not 0 in float32 either: no point mass there
    frame["visits"] = visits                # 0 on half the rows: a point mass, a 0/1 feature
    frame.loc[rng.choice(n, 15, replace=False), "visits"] = np.nan
    frame["rooms"] = rng.integers(1, 7, n)  # whole numbers, 6 values: a code, a 0/1 feature each
    return frame


def check(tmp_path, model: TrainedModel, onnx_file, rows):
    for batch in (rows.iloc[:1] if hasattr(rows, "iloc") else rows[:1],
                  rows.sample(1000, replace=True, random_state=0) if hasattr(rows, "iloc")
                  else rows[np.random.default_rng(0).integers(0, len(rows), 1000)]):
        want = model.predict_output(model.features(batch))
        got = run_outside_mlpkit(tmp_path, onnx_file, onnx_inputs(model, batch))
        if model.task == "classification":
            assert np.abs(got["probabilities"] - want).max() <= 1e-5
            assert [str(v) for v in got["label"]] == [str(v) for v in model.predict_labels(want)]
        else:
            np.testing.assert_allclose(got["prediction"], want, rtol=1e-5)


def train_table(tmp_path, table, target: str, engine: str, flags: list[str]) -> TrainedModel:
    """``mlpkit train`` on ``table`` (a DataFrame) with ``flags``: the model it saved."""
    table.to_csv(tmp_path / "data.csv", index=False)
    assert main(["train", "--csv", str(tmp_path / "data.csv"), "--target", target, "--engine",
                 engine, *flags, "--out", str(tmp_path / "run"), "--quiet",
                 "--no-baselines"]) == 0
    return TrainedModel.load(tmp_path / "run")


def check_every_door(tmp_path, capsys, model: TrainedModel, engine: str, rows) -> None:
    """``train_table``'s model predicts on ``rows`` in the other engine and as an exported
    ONNX file (run by ONNX Runtime) what it predicts in its own."""
    other = "torch" if engine == "numpy" else "numpy"
    np.testing.assert_allclose(model.predict_output(model.features(rows), engine=other),
                               model.predict_output(model.features(rows)), rtol=1e-4,
                               atol=1e-5)
    assert main(["export", str(tmp_path / "run"), "-o", str(tmp_path / "m.onnx")]) == 0
    capsys.readouterr()
    check(tmp_path, model, tmp_path / "m.onnx", rows)


@pytest.mark.parametrize("target, engine", [("label", "numpy"), ("value", "torch")])
def test_csv_models_export_with_their_preprocessing(tmp_path, capsys, target, engine):
    table = messy().drop(columns="value" if target == "label" else "label")
    table.to_csv(tmp_path / "data.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--csv", str(tmp_path / "data.csv"), "--target", target, "--engine",
                 engine, "--epochs", "30", "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["export", str(run), "--format", "onnx", "-o", str(tmp_path / "m.onnx")]) == 0
    assert "inputs: numeric: float32 [N, 3], NaN where missing, columns size, visits, rooms" \
        in capsys.readouterr().out
    model = TrainedModel.load(run)
    roles = {c.name: c.role for c in model.schema.encoder.columns}
    assert roles == {"size": "numeric", "color": "category", "day": "date", "visits": "numeric",
                     "rooms": "numeric"}
    names = model.schema.encoder.feature_names
    assert "visits=0" in names and [f"rooms={k}" for k in range(1, 7)] == \
        [n for n in names if n.startswith("rooms=")]
    rows = table.drop(columns=target)
    rows.loc[rows.index[0], "color"] = "purple"            # unseen: all zeros in both
    with pytest.warns(mlpkit.DataWarning):
        check(tmp_path, model, tmp_path / "m.onnx", rows)


def test_array_models_and_estimators_export(tmp_path):
    from mlpkit.data import load_dataset

    run = tmp_path / "wine"
    assert main(["train", "--dataset", "wine", "--epochs", "20", "--out", str(run),
                 "--quiet"]) == 0
    assert main(["export", str(run), "-o", str(tmp_path / "wine.onnx")]) == 0
    data = load_dataset("wine")
    check(tmp_path, TrainedModel.load(run), tmp_path / "wine.onnx", data.X_test)

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = 50 + 10 * X[:, 0] - 5 * X[:, 1] ** 2
    regressor = mlpkit.MLPRegressor(hidden_layer_sizes=(16,), max_iter=50,
                                    random_state=0).fit(X, y)
    regressor.export_onnx(tmp_path / "r.onnx")
    got = run_outside_mlpkit(tmp_path, tmp_path / "r.onnx", {"X": X.astype(np.float32)})
    np.testing.assert_allclose(got["prediction"], regressor.predict(X), rtol=1e-5)


def test_export_refuses_to_overwrite_and_names_a_missing_extra(tmp_path, capsys, monkeypatch):
    run = tmp_path / "xor"
    assert main(["train", "--dataset", "xor", "--epochs", "2", "--out", str(run),
                 "--quiet"]) == 0
    (tmp_path / "m.onnx").write_text("mine")
    capsys.readouterr()
    assert main(["export", str(run), "-o", str(tmp_path / "m.onnx")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"mlpkit: error: Output file '{tmp_path / 'm.onnx'}' already exists; choose another -o "
        "or pass --overwrite.")
    assert (tmp_path / "m.onnx").read_text() == "mine"
    monkeypatch.setitem(sys.modules, "onnx", None)          # as if it were not installed
    assert main(["export", str(run), "-o", str(tmp_path / "n.onnx")]) == 2
    assert capsys.readouterr().err.strip() == (
        "mlpkit: error: ONNX export needs the onnx package; install it with: pip install "
        "'mlpkit[export]'")
    assert not (tmp_path / "n.onnx").exists()


def test_multilabel_models_export_a_sigmoid_per_label_and_an_indicator_matrix(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.5]).astype(int)
    classifier = mlpkit.MLPClassifier(hidden_layer_sizes=(16,), max_iter=30,
                                      random_state=0).fit(X, Y)
    classifier.export_onnx(tmp_path / "m.onnx")
    got = run_outside_mlpkit(tmp_path, tmp_path / "m.onnx", {"X": X.astype(np.float32)})
    assert got["probabilities"].shape == (300, 3)
    assert np.abs(got["probabilities"] - classifier.predict_proba(X)).max() <= 1e-5
    np.testing.assert_array_equal(got["label"], classifier.predict(X))


def test_multi_output_regressors_export_one_column_per_target_in_its_units(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    Y = np.column_stack([50 + 10 * X[:, 0], -3 + 0.1 * X[:, 1] * X[:, 2]])
    regressor = mlpkit.MLPRegressor(hidden_layer_sizes=(16,), max_iter=30,
                                    random_state=0).fit(X, Y)
    regressor.export_onnx(tmp_path / "r2.onnx")
    got = run_outside_mlpkit(tmp_path, tmp_path / "r2.onnx", {"X": X.astype(np.float32)})
    assert got["prediction"].shape == (300, 2)
    np.testing.assert_allclose(got["prediction"], regressor.predict(X), rtol=1e-5, atol=1e-5)


def test_every_activation_of_the_option_table_has_an_onnx_operator():
    from mlpkit.io.onnx_layers import ACTIVATIONS
    from mlpkit.options import ACTIVATIONS as TABLE

    assert set(ACTIVATIONS) == set(TABLE)
