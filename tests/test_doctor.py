"""mlpkit doctor: each finding provoked by a run built for it, and healthy runs left alone."""

import base64
import json

import numpy as np
import pytest

from mlpkit.cli import main
from mlpkit.diagnostics.doctor import diagnose

DEMO = ["--dataset", "moons", "--hidden", "16", "16", "--epochs", "60", "--lr", "0.01"]
TWELVE_SIGMOIDS = ["--hidden", *["16"] * 12, "--activation", "sigmoid"]


def train(tmp_path, capsys, *args: str, name: str = "run"):
    """Train through the command line; (folder, what it printed)."""
    folder = tmp_path / name
    assert main(["train", *args, "--out", str(folder), "--quiet"]) == 0
    return folder, capsys.readouterr().out


def ids(folder, severity: str = "warning") -> set[str]:
    return {f.id for f in diagnose(folder) if f.severity == severity}


def doctor_json(folder, capsys) -> dict:
    assert main(["doctor", str(folder), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ---- each finding, provoked
def test_a_huge_learning_rate_is_diagnosed_with_advice_that_runs(tmp_path, capsys):
    folder, printed = train(tmp_path, capsys, *DEMO[:-2], "--optimizer", "sgd", "--lr", "20")
    found = {f["id"]: f for f in doctor_json(folder, capsys)["findings"]}
    assert {"divergence", "lr-too-high"} <= set(found)
    assert "warning: [divergence]" in printed and "warning: [lr-too-high]" in printed
    finding = found["lr-too-high"]
    assert finding["severity"] == "warning" and finding["evidence"]["lr"] == 20
    advice = finding["advice"].split()
    assert advice[:4] == ["mlpkit", "train", "--config", str(folder / "config.toml")]
    assert advice[-2:] == ["--lr", "2"]
    again, _ = train(tmp_path, capsys, *advice[2:], "--epochs", "3", name="again")
    assert json.loads((again / "metrics.json").read_text())["run"]["epochs"] == 3
    assert 'lr = 2.0' in (again / "config.toml").read_text()


def test_twelve_sigmoid_layers_have_vanishing_gradients(tmp_path, capsys):
    folder, printed = train(tmp_path, capsys, "--dataset", "moons", *TWELVE_SIGMOIDS,
                            "--epochs", "8")
    assert "vanishing-gradients" in ids(folder)
    assert "[vanishing-gradients]" in printed
    found = {f["id"]: f for f in doctor_json(folder, capsys)["findings"]}
    evidence = found["vanishing-gradients"]["evidence"]
    assert max(evidence["first_to_last_gradient_ratio"]) < 1e-6


def test_twelve_sigmoid_layers_on_the_torch_engine_too(tmp_path, capsys):
    folder, _ = train(tmp_path, capsys, "--dataset", "moons", *TWELVE_SIGMOIDS, "--epochs", "4",
                      "--engine", "torch")
    assert "vanishing-gradients" in ids(folder)


def test_large_valued_features_without_scaling_are_unscaled_inputs(tmp_path, capsys):
    folder, _ = train(tmp_path, capsys, "--dataset", "wine", "--no-scale", "--epochs", "20")
    found = {f.id: f for f in diagnose(folder)}
    assert "unscaled-inputs" in found
    assert found["unscaled-inputs"].evidence["largest"][0][0] == "proline"
    assert found["unscaled-inputs"].advice.endswith("--scale")
    fixed, _ = train(tmp_path, capsys, *found["unscaled-inputs"].advice.split()[2:],
                     name="fixed")
    assert "unscaled-inputs" not in ids(fixed)


def test_a_tiny_learning_rate_is_too_low(tmp_path, capsys):
    folder, _ = train(tmp_path, capsys, *DEMO[:-2], "--optimizer", "sgd", "--lr", "1e-5")
    assert ids(folder) == {"lr-too-low"}      # not also underfitting: the cause is named


def test_a_learning_rate_that_kills_relus_is_dead_relu(tmp_path, capsys):
    folder, _ = train(tmp_path, capsys, "--dataset", "moons", "--hidden", "32", "32",
                      "--lr", "0.1", "--epochs", "40")
    finding = next(f for f in diagnose(folder) if f.id == "dead-relu")
    assert max(finding.evidence["dead_share_by_layer"].values()) > 0.5


def test_tanh_on_unscaled_features_saturates(tmp_path, capsys):
    folder, _ = train(tmp_path, capsys, "--dataset", "breast_cancer", "--no-scale",
                      "--activation", "tanh", "--epochs", "10")
    assert {"saturation", "unscaled-inputs"} <= ids(folder)


def test_an_unscaled_regression_target_explodes_the_gradients(tmp_path, capsys):
    folder, _ = train(tmp_path, capsys, "--dataset", "diabetes", "--no-scale", "--epochs", "20")
    found = {f.id: f for f in diagnose(folder)}
    assert "exploding-gradients" in found and "unscaled-inputs" not in found
    assert found["exploding-gradients"].evidence["gradient_to_weight_ratio"] > 100


def test_a_linear_network_on_circles_underfits(tmp_path, capsys):
    folder, _ = train(tmp_path, capsys, "--dataset", "circles", "--activation", "identity",
                      "--epochs", "10")
    assert ids(folder) == {"underfitting"}


def test_a_big_network_on_few_noisy_rows_overfits(tmp_path, capsys):
    args = ["--dataset", "moons", "--data-option", "n_samples=120", "--data-option",
            "noise=0.35", "--hidden", "256", "256", "--lr", "0.003"]
    folder, _ = train(tmp_path, capsys, *args, "--epochs", "300")
    assert "overfitting" in ids(folder)
    stopped, _ = train(tmp_path, capsys, *args, name="stopped")      # early stopping's default
    assert "overfitting" not in ids(stopped)


def imbalanced_csv(path):
    rng = np.random.default_rng(0)
    n = 3000
    rare = rng.random(n) < 0.03
    X = rng.normal(size=(n, 2)) + rare[:, None] * 1.2
    rows = [f"{a:.4f},{b:.4f},{'rare' if r else 'common'}" for (a, b), r in zip(X, rare)]
    path.write_text("x1,x2,kind\n" + "\n".join(rows) + "\n")
    return path


def test_a_neglected_rare_class_is_class_imbalance(tmp_path, capsys):
    data = imbalanced_csv(tmp_path / "imbalanced.csv")
    folder, _ = train(tmp_path, capsys, "--csv", str(data), "--target", "kind",
                      "--epochs", "20")
    finding = next(f for f in diagnose(folder) if f.id == "class-imbalance")
    assert finding.evidence["class"] == "rare" and finding.evidence["recall"] < 0.5
    assert finding.advice.endswith("--class-weight balanced")
    fixed, _ = train(tmp_path, capsys, *finding.advice.split()[2:], name="fixed")
    assert "class-imbalance" not in ids(fixed)
    recall = json.loads((fixed / "metrics.json").read_text())["val"]["per_class"]["rare"]
    assert recall["recall"] > finding.evidence["recall"]


# ---- healthy runs: no warning of any kind
HEALTHY = {
    "readme-demo": DEMO,
    "blobs-walkthrough": ["--dataset", "blobs", "--hidden", "10", "--activation", "sigmoid",
                          "--no-scale", "--epochs", "2000", "--batch-size", "full",
                          "--optimizer", "sgd", "--lr", "0.2", "--val-fraction", "0"],
    "circles-walkthrough": ["--dataset", "circles", "--hidden", "10", "--init",
                            "kaiming_uniform", "--optimizer", "sgd", "--lr", "0.1",
                            "--batch-size", "64", "--epochs", "100"],
    "sigmoid-mse-walkthrough": ["--dataset", "moons", "--hidden", "10", "5", "--activation",
                                "sigmoid", "--loss", "mse", "--epochs", "50"],
    "digits-defaults": ["--dataset", "digits"],
    "breast-cancer-defaults": ["--dataset", "breast_cancer"],
    "diabetes-defaults": ["--dataset", "diabetes"],
    "spirals-defaults": ["--dataset", "spirals", "--epochs", "150"],
    "wine-lbfgs": ["--dataset", "wine", "--optimizer", "lbfgs"],
}


@pytest.mark.parametrize("args", HEALTHY.values(), ids=HEALTHY.keys())
def test_a_healthy_run_gets_no_warning(tmp_path, capsys, args):
    folder, printed = train(tmp_path, capsys, *args)
    assert ids(folder) == set()
    assert "warning" not in printed
    assert main(["doctor", str(folder)]) == 0
    out, info = capsys.readouterr().out, ids(folder, "info")
    assert all(f"info: [{i}]" in out for i in info) and ("no findings" in out) == (not info)


def test_the_report_shows_the_diagnosis(tmp_path, capsys):
    folder, _ = train(tmp_path, capsys, "--dataset", "moons", *TWELVE_SIGMOIDS, "--epochs", "5")
    page = (folder / "report.html").read_text()
    section = page[page.index("<h2>Diagnosis</h2>"):]
    assert "vanishing-gradients" in section
    assert section.count("<img src=\"data:image/png;base64,") >= 2   # gradients, activations
    png = (folder / "plots" / "gradient_norms.png").read_bytes()
    assert png.startswith(b"\x89PNG") and base64.b64encode(png).decode() in section
