"""The playground in a real browser: frames drawn per second while the default network trains
at full speed, how long a command takes to show on the page, and what drawing costs training.

    python benchmarks/playground.py --seconds 10 --steps 40

Starts ``mlpkit playground`` as its own process (as a user would), drives headless Chromium
with Selenium, and measures on the page itself: frames drawn (``pg.frames``) over a play of
``--seconds``; the delay from a click on "step batch" to the frame that shows the new batch
drawn (``pg.latencies``, ``--steps`` clicks while paused); and the training speed (epochs per
second) with the page open and drawing, against the same network trained with no page
(the trainer alone, in this process). Prints a Markdown table for RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # tests.browser

from tests.browser import chromium  # noqa: E402


def until(driver, script: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (value := driver.execute_script(f"return {script};")):
        if time.monotonic() > deadline:
            raise TimeoutError(script)
        time.sleep(0.02)
    return value


def with_page(seconds: float, steps: int) -> dict:
    exports = tempfile.mkdtemp()
    server = subprocess.Popen([sys.executable, "-m", "mlpkit", "playground", "--no-browser",
                               "--port", "0", "--exports", exports],
                              stdout=subprocess.PIPE, text=True)
    driver = chromium(1400, 1000)
    try:
        url = server.stdout.readline().split(": ", 1)[1].strip()
        driver.get(url)
        until(driver, "window.pg && pg.static && pg.drawn > 0")
        driver.find_element("id", "play").click()
        until(driver, "pg.latest && pg.latest.running")
        frames0, epoch0 = driver.execute_script("return [pg.frames, pg.latest.epoch];")
        started = time.monotonic()
        time.sleep(seconds)
        frames1, epoch1 = driver.execute_script("return [pg.frames, pg.latest.epoch];")
        elapsed = time.monotonic() - started
        driver.find_element("id", "play").click()
        until(driver, "pg.latest && !pg.latest.running")
        for _ in range(steps):
            count = driver.execute_script("return pg.latencies.length;")
            driver.find_element("id", "step-batch").click()
            until(driver, f"pg.latencies.length > {count} && !pg.latest.running")
        latencies = driver.execute_script("return pg.latencies;")
        return {"fps": (frames1 - frames0) / elapsed, "epochs_per_s": (epoch1 - epoch0) / elapsed,
                "latency_median": statistics.median(latencies),
                "latency_p90": sorted(latencies)[int(0.9 * len(latencies))]}
    finally:
        driver.quit()
        server.terminate()
        server.wait()


def without_page(seconds: float) -> float:
    """Epochs per second of the same trainer, with no page reading its frames."""
    from mlpkit.playground.settings import Settings
    from mlpkit.playground.worker import Worker

    worker = Worker(Settings(), None, tempfile.mkdtemp())
    while worker.view is None:
        time.sleep(0.01)
    worker.send("play", {}).result(30)
    while not worker.curve:
        time.sleep(0.01)
    epoch0, started = len(worker.curve), time.monotonic()
    time.sleep(seconds)
    rate = (len(worker.curve) - epoch0) / (time.monotonic() - started)
    worker.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    page = with_page(args.seconds, args.steps)
    alone = without_page(args.seconds)
    print("| measure | value |\n| --- | --- |")
    print(f"| frames drawn per second while training at full speed | {page['fps']:.1f} |")
    print(f"| click on step batch -> frame drawn, median (90th pct) | "
          f"{page['latency_median']:.0f} ms ({page['latency_p90']:.0f} ms) |")
    print(f"| epochs per second, page open and drawing | {page['epochs_per_s']:.0f} |")
    print(f"| epochs per second, no page | {alone:.0f} |")
    print(f"| training speed with the page / without | {page['epochs_per_s'] / alone:.2f} |")


if __name__ == "__main__":
    main()
