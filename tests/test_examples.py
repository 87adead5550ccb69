"""Every example runs as a user would run it, and prints the figure it promises."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"


def run_example(name: str, *args: str, tmp_path: Path | None = None) -> str:
    out = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args],
                         capture_output=True, text=True, timeout=300,
                         cwd=tmp_path or ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


def number(pattern: str, text: str) -> float:
    return float(re.search(pattern, text).group(1))


def test_perceptron(tmp_path):
    out = run_example("perceptron.py", "--out", str(tmp_path))
    errors = [int(v) for v in re.search(r"updates per epoch: \[(.*)\]", out).group(1).split(",")]
    assert errors[-1] == 0 and number(r"test accuracy: ([\d.]+)%", out) >= 98
    assert number(r"zero init: angle .* = ([\d.]+) degrees", out) == 0.0
    assert number(r"ratio of norms ([\d.]+)", out) == pytest.approx(10000.0, rel=1e-3)
    assert (tmp_path / "perceptron_regions.png").exists()


def test_gradient_descent(tmp_path):
    out = run_example("gradient_descent.py", "--out", str(tmp_path))
    assert "lr 0.1: x = 2.000, 1.600, 1.280" in out and out.count("converges") == 2
    assert "lr 1.05" in out and "diverges" in out


def test_adaline(tmp_path):
    out = run_example("adaline.py", "--out", str(tmp_path))
    start, end = re.search(r"lr 1.0: loss ([\d.e+-]+) -> ([\d.e+-]+)", out).groups()
    assert float(end) > 1000 * float(start)
    assert number(r"lr 0.1: .*test accuracy ([\d.]+)%", out) >= 95
    assert number(r"after partial_fit on \d+ more examples: test accuracy ([\d.]+)%", out) >= 95


def test_numpy_mlp():
    out = run_example("numpy_mlp.py")
    assert number(r"2-10-2 sigmoid.*test accuracy: ([\d.]+)%", out) >= 97
    assert number(r"2-10-5-2 sigmoid: test accuracy: ([\d.]+)%", out) >= 95


def test_pytorch_path(tmp_path):
    out = run_example("pytorch_path.py", "--epochs", "200", "--out", str(tmp_path / "p"))
    rows = [line for line in out.splitlines() if line[:1].isdigit()]
    assert len(rows) == 6
    assert max(float(row.split()[-1]) for row in rows) < 1e-5


def test_circles():
    out = run_example("circles.py")
    assert number(r"test accuracy: ([\d.]+)%", out) >= 97


@pytest.mark.skipif(not MNIST.is_dir(), reason=f"MNIST files not found at {MNIST}")
def test_mnist_in_one_epoch(tmp_path):
    out = run_example("mnist.py", "--data-dir", str(MNIST), "--epochs", "1", "--out",
                      str(tmp_path / "m"))
    assert number(r"test accuracy: ([\d.]+)%", out) >= 85


def test_save_reload():
    out = run_example("save_reload.py", "--epochs", "5")
    assert number(r"max \|p_torch - p_numpy\| = ([\d.e+-]+)", out) < 1e-5
    assert "mlpkit.load(run).predict_proba == the run's: True" in out


def test_gpu_example_skips_cleanly_or_times():
    out = run_example("gpu.py", "--epochs", "1", "--samples", "2000")
    assert out.startswith("no CUDA GPU here: skipping") or "s/epoch, GPU" in out
