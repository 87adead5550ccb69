"""The report and the comparison page, opened from file:// in a real headless Chromium."""

import json
from pathlib import Path

import pytest

from mlpkit.cli import main
from tests.browser import chromium, severe_errors

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("report-runs")
    assert main(["train", "--dataset", "moons", "--hidden", "16", "16", "--epochs", "40", "--lr",
                 "0.01", "--animate", "--out", str(root / "a"), "--quiet"]) == 0
    assert main(["train", "--dataset", "moons", "--hidden", "8", "--epochs", "20",
                 "--engine", "torch", "--out", str(root / "b"), "--quiet"]) == 0
    assert main(["compare", str(root / "a"), str(root / "b"), "-o", str(root / "cmp.html")]) == 0
    return root


def open_page(driver, path: Path, shot: str) -> list[tuple[bool, int]]:
    driver.get(path.as_uri())
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / shot))
    assert severe_errors(driver) == []
    return images


def table(driver, css: str) -> list[list[str]]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' tr')).map("
        "r => Array.from(r.cells).map(c => c.textContent));", css)


def test_report_renders_every_figure_and_the_metrics_of_metrics_json(browser, runs):
    folder = runs / "a"
    images = open_page(browser, folder / "report.html", "report.png")
    assert len(images) == 7          # curves, confusion, data, regions, GIF, layer statistics
    assert all(complete and width > 0 for complete, width in images)
    metrics = json.loads((folder / "metrics.json").read_text())
    rows = table(browser, "table.metrics")
    assert rows[0] == ["metric", "train", "val", "test"]
    shown = {row[0]: row[1:] for row in rows[1:]}
    for name in ("loss", "accuracy", "f1_macro"):
        assert shown[name] == [f"{metrics[s][name]:.4f}" for s in ("train", "val", "test")]
    per_class = table(browser, "table.per-class")
    f1_of_class_0 = metrics["test"]["per_class"]["0"]["f1"]
    assert per_class[1][0] == "0" and per_class[1][3] == f"{f1_of_class_0:.4f}"


def test_comparison_page_renders_both_runs(browser, runs):
    images = open_page(browser, runs / "cmp.html", "compare.png")
    assert len(images) == 1 and images[0][1] > 0
    rows = table(browser, "table.metrics")
    assert [r[0] for r in rows[1:]] == ["a", "b"]
    for row, name in zip(rows[1:], ["a", "b"]):
        test = json.loads((runs / name / "metrics.json").read_text())["test"]
        assert row[1] == f"{test['accuracy']:.4f}"
