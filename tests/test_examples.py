"""The examples run as a user would run them, and print what they promise."""

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, *args: str) -> str:
    out = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_numpy_mlp_blobs_demo_learns():
    stdout = run_example("numpy_mlp_blobs.py", "--epochs", "30")
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", stdout).group(1))
    assert accuracy >= 90.0
    losses = [float(v) for v in re.findall(r"train loss ([\d.]+)", stdout)]
    assert losses[-1] < losses[0] / 3
