"""Baselines in every table run: the constant guess, a linear model and HistGradientBoosting on
the network's own split, in metrics.json, the report, the summary and the doctor."""

import json

import numpy as np
import pandas as pd
import pytest

from mlpkit.cli import main
from mlpkit.diagnostics.doctor import diagnose


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["kind"] = np.where(X[:, 0] * X[:, 1] + 0.3 * X[:, 2] > 0, "yes", "no")
    frame["amount"] = 3 * np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + rng.normal(0, 0.1, 800)
    path = tmp_path_factory.mktemp("baselines") / "table.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def unboxed(monkeypatch):
    """Every baseline runs, however busy the machine (the time box has its own test)."""
    from mlpkit.runs import baselines

    monkeypatch.setattr(baselines, "FLOOR", 600.0)


def train(table, tmp_path, *flags, target="kind"):
    drop = "amount" if target == "kind" else "kind"
    assert main(["train", "--csv", str(table), "--target", target, "--drop", drop,
                 "--out", str(tmp_path), "--quiet", *flags]) == 0
    return json.loads((tmp_path / "metrics.json").read_text())


def test_a_table_run_scores_the_baselines_on_its_split(table, tmp_path, capsys, unboxed):
    metrics = train(table, tmp_path / "run")
    baselines = metrics["baselines"]
    assert list(baselines) == ["constant", "linear", "hist_gradient_boosting"]
    counts = metrics["data"]["class_counts"]
    majority = int(np.argmax(counts["train"]))          # the prior guess: the largest class
    assert baselines["constant"]["accuracy"] == pytest.approx(
        counts["test"][majority] / sum(counts["test"]))
    assert 0.6 < baselines["linear"]["accuracy"] < 0.8      # xor-like: a line does poorly
    assert baselines["hist_gradient_boosting"]["accuracy"] > 0.85
    assert all(b["seconds"] > 0 for b in baselines.values())
    out = capsys.readouterr().out
    assert f"constant {baselines['constant']['accuracy']:.4f}" in out
    page = (tmp_path / "run" / "report.html").read_text()
    assert "<h2>Baselines</h2>" in page and \
        f"{baselines['hist_gradient_boosting']['accuracy']:.4f}" in page
    assert "baseline-beats-network" not in {f.id for f in diagnose(tmp_path / "run")}


def test_regression_baselines_score_r2_and_the_doctor_names_a_better_one(table, tmp_path,
                                                                         unboxed):
    metrics = train(table, tmp_path / "weak", "--epochs", "1", "--hidden", "2",
                    target="amount")
    baselines = metrics["baselines"]
    assert abs(baselines["constant"]["r2"]) < 0.05           # the mean explains nothing
    assert baselines["hist_gradient_boosting"]["r2"] > 0.9
    finding = next(f for f in diagnose(tmp_path / "weak") if f.id == "baseline-beats-network")
    assert finding.severity == "info" and "HistGradientBoosting" in finding.message
    assert finding.advice.startswith("mlpkit sweep --config ")


def test_no_baselines_skips_them(table, tmp_path):
    assert "baselines" not in train(table, tmp_path / "none", "--no-baselines", "--epochs", "3")


def test_a_baseline_that_would_cost_more_than_a_fifth_of_the_run_is_left_out_and_said(
        table, tmp_path, capsys, monkeypatch):
    from mlpkit.runs import baselines as module

    monkeypatch.setattr(module, "FLOOR", 0.0)          # no free second: the probe decides
    monkeypatch.setattr(module, "SHARE", 1e-9)
    metrics = train(table, tmp_path / "boxed", "--epochs", "2")
    boxed = metrics["baselines"]["hist_gradient_boosting"]
    assert "accuracy" not in boxed and boxed["seconds"] > 0
    assert boxed["skipped"].startswith("would take about ") and "more than a fifth" in boxed[
        "skipped"]
    assert metrics["baselines"]["linear"]["accuracy"] > 0.5     # the cheap ones still run
    assert f"hist gradient boosting skipped: {boxed['skipped']}" in capsys.readouterr().out
    assert "skipped: would take about" in (tmp_path / "boxed" / "report.html").read_text()
    diagnose(tmp_path / "boxed")                       # the doctor reads it without a score


def test_the_forecast_counts_the_binning_once(monkeypatch):
    """Fits of 1 and 10 iterations taking 1.0 s and 1.9 s: binning 0.9 s, 0.1 s an iteration,
    so 100 iterations take 1.0 + 99 * 0.1 s, not 10 times the 10-iteration fit."""
    from mlpkit.runs import baselines as module

    clock = iter([0.0, 1.0, 5.0, 6.9])
    monkeypatch.setattr(module.time, "perf_counter", lambda: next(clock))
    estimator = module.contenders("classification", 0)["hist_gradient_boosting"]
    X, y = np.random.default_rng(0).normal(size=(60, 2)), np.arange(60) % 2
    expected, probes = module._expected_seconds(estimator, X, y)
    assert expected == pytest.approx(1.0 + 99 * 0.1) and probes == pytest.approx(2.9)
