"""The command line as a user runs it: output, exit codes, no tracebacks."""

import subprocess
import sys
import time

from mlpkit.data import ENTRIES


def mlpkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlpkit", *args], capture_output=True, text=True,
                          timeout=120)


def test_datasets_lists_every_built_in_set_with_shapes():
    out = mlpkit("datasets")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:4] == ["name", "train", "test", "classes"]
    listed = {line.split()[0]: line for line in lines[1:]}
    assert set(listed) == {e.name for e in ENTRIES.values()}
    assert "60000 x 784  10000 x 784  10" in listed["mnist"]
    assert "800 x 2      200 x 2      4" in listed["blobs"]
    assert "regression" in listed["diabetes"]


def test_help_is_fast_and_unknown_commands_exit_2():
    start = time.perf_counter()
    out = mlpkit("--help")
    elapsed = time.perf_counter() - start
    assert out.returncode == 0 and "datasets" in out.stdout
    assert elapsed < 5   # generous: the 0.5 s goal is measured in benchmarks/, not here
    bad = mlpkit("fly")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "invalid choice: 'fly'" in bad.stderr
