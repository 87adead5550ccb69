"""The report and the comparison page, opened from file:// in a real headless Chromium."""

import json
import shutil
from pathlib import Path

import pytest

from mlpkit.cli import main

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.skip("Debian's chromium and chromium-driver are not installed (make test "
                    "installs them as root with apt-get)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1200,2400"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER),
                              options=options)
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
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
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
