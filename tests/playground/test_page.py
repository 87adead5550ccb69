"""The playground's page in a real headless Chromium: it draws while training, steps exactly,
shows the doctor's banner, colours every class, and loads nothing from anywhere else."""

import json
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest

from mlpkit.playground.settings import Settings
from tests.browser import chromium, severe_errors

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    driver = chromium(1400, 1000)
    yield driver
    driver.quit()


def until(driver, script: str, timeout: float = 30.0):
    """Poll a JavaScript expression until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        assert time.monotonic() < deadline, f"the page never got to: {script}"
        time.sleep(0.05)


def click(driver, element_id: str) -> None:
    driver.find_element("id", element_id).click()


def test_play_draws_frames_and_every_request_stays_on_loopback(browser, serve):
    server = serve()
    browser.get(server.url)
    until(browser, "window.pg && pg.static && pg.drawn > 0")
    click(browser, "play")
    until(browser, "pg.latest && pg.latest.running")
    time.sleep(2.0)
    drawn = browser.execute_script("return pg.frames;")
    click(browser, "play")                   # pause
    until(browser, "pg.latest && !pg.latest.running")
    assert drawn >= 10                        # (benchmarks/playground.py measures the rate)
    colours = browser.execute_script("""
        const c = document.getElementById('surface'), d = c.getContext('2d')
          .getImageData(0, 0, c.width, c.height).data, seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
        return seen.size;""")
    assert colours > 20                        # a surface, not a blank canvas
    assert browser.execute_script("return document.querySelectorAll('.neuron').length;") == 8
    assert browser.execute_script("return pg.curve.length;") > 5
    origin = f"http://127.0.0.1:{server.port}/"
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);")
    assert requested and all(name.startswith(origin) for name in requested)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "playground.png"))
    assert severe_errors(browser) == []


def test_step_buttons_advance_exactly_one_batch_and_one_epoch(browser, serve):
    server = serve(Settings(points=200, test_share=0.5, batch_size=10))    # 10 batches an epoch
    browser.get(server.url)
    until(browser, "window.pg && pg.static && pg.drawn > 0")
    click(browser, "step-batch")
    until(browser, "pg.latest.batches === 1 && !pg.latest.running")
    click(browser, "step-batch")
    until(browser, "pg.latest.batches === 2 && !pg.latest.running")
    click(browser, "step-epoch")
    until(browser, "pg.latest.epoch === 1 && !pg.latest.running")
    assert browser.execute_script("return pg.latest.batches;") == 10
    assert "epoch 1 · batches 10" in browser.find_element("id", "status").text


def test_a_learning_rate_of_10_on_spirals_shows_the_divergence_banner_and_its_fix(browser, serve):
    server = serve()
    state = quote(json.dumps({"dataset": "spirals", "lr": 10}))
    browser.get(f"{server.url}#{state}")      # a shared link: the state is in the URL
    until(browser, "pg.settings && pg.settings.dataset === 'spirals' && pg.static && "
                   "pg.static.classes.length === 3")
    click(browser, "play")
    started = time.monotonic()
    until(browser, "document.getElementById('banner-text').textContent"
                   ".startsWith('Training diverges')")
    assert time.monotonic() - started < 3      # the goal is one second; CI's cores are shared
    click(browser, "banner-fix")
    until(browser, "pg.settings.lr === 1")
    assert browser.find_element("css selector", "[data-setting=lr]").get_attribute("value") == "1"


def test_a_three_class_table_shows_three_colours(browser, serve, tmp_path):
    import pandas as pd
    from sklearn.datasets import make_blobs

    X, y = make_blobs(600, centers=3, n_features=3, random_state=1)
    table = pd.DataFrame(X, columns=["a", "b", "c"])
    table["kind"] = np.array(["red", "green", "blue"])[y]
    table.to_csv(tmp_path / "three.csv", index=False)
    server = serve(Settings(dataset="csv", hidden=(8,), lr=0.1),
                   {"path": str(tmp_path / "three.csv"), "target": "kind"})
    browser.get(server.url)
    until(browser, "pg.static && pg.static.classes.length === 3")
    click(browser, "play")
    until(browser, "pg.curve.length > 30 && pg.curve[pg.curve.length - 1].test_score > 0.9")
    click(browser, "play")
    until(browser, "pg.latest && !pg.latest.running")
    shares = browser.execute_script("""
        const c = document.getElementById('surface'), d = c.getContext('2d')
          .getImageData(0, 0, c.width, c.height).data;
        const tint = (r, g, b) => {            // a colour's direction away from white
          const v = [255 - r, 255 - g, 255 - b], n = Math.hypot(...v) || 1;
          return v.map(x => x / n);
        };
        const classes = [tint(245, 147, 34), tint(8, 119, 189), tint(44, 160, 44)];
        const counts = [0, 0, 0];
        let n = 0;
        for (let i = 0; i < d.length; i += 4 * 7) {
          const t = tint(d[i], d[i + 1], d[i + 2]);
          const near = classes.map(k => k.reduce((a, x, m) => a + x * t[m], 0));
          counts[near.indexOf(Math.max(...near))]++;
          n++;
        }
        return counts.map(x => x / n);""")
    assert all(share > 0.05 for share in shares), shares
    assert severe_errors(browser) == []


def test_a_classroom_link_hides_the_chosen_controls_and_keeps_the_rest(browser, serve):
    server = serve()
    state = quote(json.dumps({"hide": ["optimizer", "engine", "tools"], "hidden": [3]}))
    browser.get(f"{server.url}#{state}")
    until(browser, "pg.static && pg.static.hidden[0] === 3")
    hidden = browser.execute_script(
        "return ['optimizer', 'engine', 'tools', 'lr', 'layers'].map("
        "n => document.querySelector(`[data-control=${n}]`).hidden);")
    assert hidden == [True, True, True, False, False]
    assert "hide" in browser.execute_script("return decodeURIComponent(location.hash);")
