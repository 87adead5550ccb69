"""mlpkit train / evaluate / predict end to end, as a user runs them."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load_file

from mlpkit.cli import main


def cli(*args: str) -> int:
    return main(list(args))


@pytest.fixture(scope="module")
def blobs_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "blobs"
    assert cli("train", "--dataset", "blobs", "--hidden", "10", "--activation", "sigmoid",
               "--epochs", "30", "--lr", "0.01", "--out", str(out), "--quiet") == 0
    return out


def test_run_folder_is_complete(blobs_run):
    names = {p.name for p in blobs_run.iterdir()}
    assert names == {".mlpkit-run", "config.toml", "model.safetensors", "model.json", "history.csv",
                     "metrics.json", "checkpoint.safetensors", "plots", "report.html",
                     "diagnostics.json"}
    assert {p.name for p in (blobs_run / "plots").iterdir()} == {
        "curves.png", "decision_regions.png", "dataset.png", "confusion_matrix.png",
        "gradient_norms.png", "activation_health.png"}
    metrics = json.loads((blobs_run / "metrics.json").read_text())
    assert set(metrics) == {"train", "val", "test", "data", "run"}
    assert metrics["data"]["class_counts"]["test"] == [50, 50, 50, 50]
    test = metrics["test"]
    assert test["accuracy"] >= 0.9 and len(test["confusion_matrix"]) == 4
    assert sum(map(sum, test["confusion_matrix"])) == test["n_samples"] == 200
    assert set(test["per_class"]) == {"0", "1", "2", "3"}
    history = pd.read_csv(blobs_run / "history.csv")
    assert list(history.epoch) == list(range(1, 31))
    assert history.train_loss.iloc[-1] < history.train_loss.iloc[0]


def test_evaluate_reproduces_the_test_metrics(blobs_run, capsys):
    assert cli("evaluate", str(blobs_run), "--json") == 0
    evaluated = json.loads(capsys.readouterr().out)
    saved = json.loads((blobs_run / "metrics.json").read_text())["test"]
    assert evaluated["accuracy"] == saved["accuracy"]
    assert evaluated["confusion_matrix"] == saved["confusion_matrix"]


def test_text_evaluate_prints_each_metric_once_as_json_has_it(tmp_path, capsys):
    run = tmp_path / "diabetes"
    assert cli("train", "--dataset", "diabetes", "--epochs", "5", "--out", str(run),
               "--quiet") == 0
    capsys.readouterr()
    assert cli("evaluate", str(run), "--json") == 0
    metrics = json.loads(capsys.readouterr().out)
    assert cli("evaluate", str(run)) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert len(names) == len(set(names)) and {"r2", "rmse", "n_samples"} <= set(names)
    for line in lines:
        name, value = line.split()
        assert float(value) == pytest.approx(metrics[name], abs=5e-5)


def test_evaluate_on_another_dataset_with_the_same_features(blobs_run, capsys):
    assert cli("evaluate", str(blobs_run), "--dataset", "blobs", "--data-option",
               "random_state=7") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("accuracy")


def test_predict_writes_one_row_per_input_and_engines_agree(blobs_run, tmp_path):
    points = pd.DataFrame({"x0": [0.0, 2.0, -5.0, 9.0], "x1": [4.0, 1.0, 2.5, -1.0]})
    points.to_csv(tmp_path / "points.csv", index=False)
    outputs = {}
    for engine in ("numpy", "torch"):
        target = tmp_path / f"pred-{engine}.csv"
        assert cli("predict", str(blobs_run), str(tmp_path / "points.csv"), "-o", str(target),
                   "--engine", engine) == 0
        outputs[engine] = pd.read_csv(target)
    numpy_out, torch_out = outputs["numpy"], outputs["torch"]
    assert list(numpy_out.columns) == ["prediction", "p_0", "p_1", "p_2", "p_3"]
    assert len(numpy_out) == 4
    probs = numpy_out[["p_0", "p_1", "p_2", "p_3"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert (numpy_out.prediction == probs.argmax(axis=1)).all()
    assert np.abs(probs - torch_out[["p_0", "p_1", "p_2", "p_3"]].to_numpy()).max() < 1e-5


def test_torch_trained_model_predicts_the_same_in_numpy(tmp_path):
    out = tmp_path / "torch-run"
    assert cli("train", "--dataset", "moons", "--engine", "torch", "--epochs", "5",
               "--out", str(out), "--quiet") == 0
    from mlpkit.data import load_dataset
    from mlpkit.model import TrainedModel

    model = TrainedModel.load(out)
    X = load_dataset("moons").X_test
    assert model.engine == "torch"
    assert np.abs(model.predict_output(X, "numpy") - model.predict_output(X, "torch")).max() < 1e-5


def test_config_rerun_is_bit_for_bit(blobs_run, tmp_path):
    again = tmp_path / "again"
    assert cli("train", "--config", str(blobs_run / "config.toml"), "--out", str(again),
               "--quiet") == 0
    first = load_file(blobs_run / "model.safetensors")
    second = load_file(again / "model.safetensors")
    assert first.keys() == second.keys()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
    h1, h2 = pd.read_csv(blobs_run / "history.csv"), pd.read_csv(again / "history.csv")
    pd.testing.assert_frame_equal(h1.drop(columns="seconds"), h2.drop(columns="seconds"))


def test_csv_training_and_prediction_applies_the_same_encoding(tmp_path):
    rng = np.random.default_rng(0)
    n = 300
    color = rng.choice(["red", "green", "blue"], n)
    size = rng.normal(size=n)
    label = np.where((color == "red") ^ (size > 0), "yes", "no")
    pd.DataFrame({"color": color, "size": size, "label": label}).to_csv(tmp_path / "t.csv",
                                                                         index=False)
    out = tmp_path / "csv-run"
    assert cli("train", "--csv", str(tmp_path / "t.csv"), "--target", "label", "--epochs", "60",
               "--lr", "0.01", "--hidden", "16", "--out", str(out), "--quiet") == 0
    assert json.loads((out / "metrics.json").read_text())["test"]["accuracy"] >= 0.9
    pd.DataFrame({"size": [1.0, 1.0], "color": ["red", "blue"]}).to_csv(tmp_path / "new.csv",
                                                                        index=False)
    assert cli("predict", str(out), str(tmp_path / "new.csv"), "-o", str(tmp_path / "p.csv")) == 0
    assert pd.read_csv(tmp_path / "p.csv").prediction.tolist() == ["no", "yes"]


@pytest.mark.parametrize("args, message", [
    (["--lr", "-1"], "mlpkit: error: lr must be a positive number, got -1.0."),
    (["--hidden", "0"], "mlpkit: error: each hidden layer size must be a positive integer, got 0."),
    (["--activation", "sigmod"], "mlpkit: error: Unknown activation 'sigmod'. Did you mean "
                                 "'sigmoid'? Known: identity, logistic, mish, relu, selu, "
                                 "sigmoid, tanh."),
    (["--batch-size", "abc"], "mlpkit train: error: argument --batch-size: invalid batch size "
                              "'abc' (a whole number, 'auto', 'table' or 'full'); see "
                              "'mlpkit train --help'."),
    (["--epochs", "0"], "mlpkit: error: epochs must be a positive integer, got 0."),
    (["--dataset", "blobz"], "mlpkit: error: Unknown dataset 'blobz'. Did you mean 'blobs'? Known: "
                             "blobs, breast_cancer, circles, csv, diabetes, digits, fashion_mnist, "
                             "iris, mnist, moons, spirals, surface, wine, xor."),
    (["--csv", "nowhere.csv"], "mlpkit: error: CSV file 'nowhere.csv' does not exist; check the "
                               "path."),
    (["--frobnicate"], "mlpkit: error: unrecognized arguments: --frobnicate; see 'mlpkit --help'."),
])
def test_bad_arguments_exit_2_with_one_line_and_leave_no_run_folder(tmp_path, args, message):
    out = subprocess.run([sys.executable, "-m", "mlpkit", "train", *args, "--quiet"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip() == message
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_existing_output_folder_is_never_overwritten(blobs_run, capsys):
    before = (blobs_run / "model.safetensors").read_bytes()
    assert cli("train", "--dataset", "moons", "--out", str(blobs_run), "--quiet") == 2
    assert capsys.readouterr().err.strip() == (
        f"mlpkit: error: Output folder '{blobs_run}' already exists and is not empty; choose "
        "another --out (mlpkit never overwrites a run).")
    assert (blobs_run / "model.safetensors").read_bytes() == before


def test_ctrl_c_stops_after_the_batch_and_keeps_the_checkpoint(tmp_path):
    out = tmp_path / "long"
    process = subprocess.Popen(
        [sys.executable, "-m", "mlpkit", "train", "--dataset", "circles", "--epochs", "100000",
         "--out", str(out), "--quiet"], stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 60
    while not (out / "history.csv").exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    saved = len(pd.read_csv(out / "history.csv"))     # history is saved with each checkpoint
    first_line, = stderr.strip().splitlines()
    assert first_line.startswith("mlpkit: interrupted during epoch ")
    assert first_line.endswith(f"; '{out}' keeps the checkpoint of epoch {saved}. Resume with: "
                               f"mlpkit train --resume {out}")
    from mlpkit.model import TrainedModel

    assert TrainedModel.load(out).spec.n_inputs == 2
    assert not list(Path(out).glob(".*.tmp"))


def test_run_folders_are_numbered_per_dataset_and_csv_runs_are_named_after_the_file(tmp_path,
                                                                                   monkeypatch):
    from mlpkit.runs.folder import create_run_folder

    monkeypatch.chdir(tmp_path)
    assert create_run_folder(None, "runs", "moons").name == "moons-001"
    assert create_run_folder(None, "runs", "moons").name == "moons-002"
    assert create_run_folder(None, "runs", "csv:patients.csv").name == "patients-001"


def test_predict_into_a_folder_that_does_not_exist_creates_it(blobs_run, tmp_path, capsys):
    pd.DataFrame({"x0": [0.0, 3.0], "x1": [1.0, -2.0]}).to_csv(tmp_path / "p.csv", index=False)
    target = tmp_path / "new" / "dir" / "out.csv"
    assert cli("predict", str(blobs_run), str(tmp_path / "p.csv"), "-o", str(target)) == 0
    assert len(pd.read_csv(target)) == 2
    (tmp_path / "file").write_text("not a folder")
    assert cli("predict", str(blobs_run), str(tmp_path / "p.csv"), "-o",
               str(tmp_path / "file" / "out.csv")) == 2
    assert capsys.readouterr().err.strip() == (
        f"mlpkit: error: Cannot write '{tmp_path / 'file' / 'out.csv'}': a folder or file is in "
        "the way; choose another -o.")


def test_data_options_read_booleans_numbers_and_text():
    from mlpkit.cli.arguments import key_value as _key_value

    assert _key_value("encode_categorical=False") == ("encode_categorical", False)
    assert _key_value("shuffle=true") == ("shuffle", True)
    assert _key_value("n_samples=500") == ("n_samples", 500)
    assert _key_value("noise=0.25") == ("noise", 0.25)
    assert _key_value("target=Falsehood") == ("target", "Falsehood")


def test_data_option_false_reaches_the_loader(tmp_path, capsys):
    pd.DataFrame({"color": ["red", "blue"] * 20, "y": [0, 1] * 20}).to_csv(tmp_path / "c.csv",
                                                                           index=False)
    assert cli("train", "--csv", str(tmp_path / "c.csv"), "--data-option",
               "encode_categorical=False", "--out", str(tmp_path / "r"), "--quiet") == 2
    assert "holds text; one-hot encode it" in capsys.readouterr().err
