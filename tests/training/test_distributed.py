"""Distributed training (DDP under torchrun, gloo on the CPU): 2 processes against 1.

Every test here starts real processes: ``mlpkit train --nproc 2``, or torchrun itself."""

import csv
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
from mlpkit.io.checkpoints import load_training_checkpoint
from mlpkit.torch_engine.distributed import Group
from mlpkit.torch_engine.launcher import launch

pytest.importorskip("torch")

COLUMNS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


def mlpkit(*args: str, launcher: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *launcher, "-m", "mlpkit", *args],
                          capture_output=True, text=True, timeout=240)


def history(folder: Path) -> list[dict[str, float]]:
    with open(folder / "history.csv") as f:
        return [{k: float(row[k]) for k in COLUMNS} for row in csv.DictReader(f)]


def assert_same_run(one: Path, two: Path) -> None:
    """The same history and final weights, to float32 rounding."""
    a, b = history(one), history(two)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for k in COLUMNS:
            assert y[k] == pytest.approx(x[k], rel=1e-5, abs=1e-7), k
    wa, wb = load_file(one / "model.safetensors"), load_file(two / "model.safetensors")
    for key in wa:
        np.testing.assert_allclose(wb[key], wa[key], rtol=1e-5, atol=1e-6)


def test_a_global_batch_is_split_into_disjoint_slices_that_cover_it():
    rows = np.arange(11) * 7
    slices = [Group(r, 3, r, 3, "cpu").shard(rows) for r in range(3)]
    assert [len(s) for s in slices] == [4, 4, 3]
    np.testing.assert_array_equal(np.concatenate(slices), rows)


EVEN = ["--dataset", "moons", "--data-option", "n_samples=1000", "--hidden", "16", "16",
        "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9", "--batch-size", "32",
        "--epochs", "4"]
# 448 training rows in batches of 33 (the last one 19 rows: 10 + 9), class weights, alpha
UNEVEN = ["--dataset", "blobs", "--data-option", "n_samples=701", "--hidden", "12",
          "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--batch-size", "33",
          "--class-weight", "balanced", "--alpha", "0.01", "--epochs", "4"]


@pytest.mark.parametrize("args, launcher", [
    (EVEN, ()),
    (UNEVEN, ("-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2")),
], ids=["even-nproc", "uneven-torchrun"])
def test_two_processes_compute_what_one_process_computes(tmp_path, args, launcher):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", *args, "--engine", "torch", "--threads", "1", "--quiet",
                 "--out", str(one)]) == 0
    extra = () if launcher else ("--nproc", "2")
    result = mlpkit("train", *args, *extra, "--quiet", "--out", str(two), launcher=launcher)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("run folder:") == 1          # rank 0 alone reports
    assert_same_run(one, two)
    metrics = json.loads((two / "metrics.json").read_text())
    assert metrics["run"]["processes"] == 2 and metrics["run"]["engine"] == "torch"
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())


def test_early_stopping_ends_both_ranks_at_the_epoch_one_process_stops(tmp_path):
    args = ["--dataset", "moons", "--data-option", "n_samples=600", "--hidden", "16",
            "--optimizer", "sgd", "--lr", "0.5", "--batch-size", "16", "--epochs", "60",
            "--patience", "2"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", *args, "--engine", "torch", "--threads", "1", "--quiet",
                 "--out", str(one)]) == 0
    result = mlpkit("train", *args, "--nproc", "2", "--quiet", "--out", str(two))
    assert result.returncode == 0, result.stderr
    assert "stopped: early stopping" in result.stdout
    assert len(history(two)) < 60
    assert_same_run(one, two)


def test_a_stop_asked_by_one_rank_only_is_agreed_by_every_rank(tmp_path):
    worker = Path(__file__).with_name("distributed_worker.py")
    assert launch(2, [str(worker), str(tmp_path)]) == 0
    epochs = [json.loads((tmp_path / f"rank{r}.json").read_text())["epochs"] for r in (0, 1)]
    assert epochs == [3, 3]


def test_resume_on_two_processes_continues_exactly(tmp_path):
    args = ["--dataset", "moons", "--hidden", "16", "--optimizer", "sgd", "--momentum", "0.9",
            "--batch-size", "31", "--checkpoint-every", "0", "--quiet"]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(["train", *args, "--engine", "torch", "--threads", "1", "--epochs", "6",
                 "--out", str(straight)]) == 0
    first = mlpkit("train", *args, "--nproc", "2", "--epochs", "3", "--out", str(resumed))
    assert first.returncode == 0, first.stderr
    again = mlpkit("train", "--resume", str(resumed), "--epochs", "6", "--nproc", "2",
                   "--quiet")
    assert again.returncode == 0, again.stderr
    assert_same_run(straight, resumed)


def _start_long_run(out: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "mlpkit", "train", "--nproc", "2", "--dataset", "moons",
         "--data-option", "n_samples=4000", "--hidden", "64", "64", "--batch-size", "16",
         "--epochs", "100000", "--checkpoint-every", "0", "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if (out / "checkpoint.safetensors").exists() and \
                load_training_checkpoint(out)[1]["epoch"] >= 2:
            return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the run wrote no checkpoint in 120 s")


def _ranks(launcher: int) -> dict[int, int]:
    """{rank: pid} of the launcher's worker processes."""
    found = {}
    for child in Path(f"/proc/{launcher}/task/{launcher}/children").read_text().split():
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        ranks = [int(e[5:]) for e in environ if e.startswith(b"RANK=")]
        if ranks:
            found[ranks[0]] = int(child)
    return found


def _gone(pids) -> bool:
    deadline = time.time() + 10
    while time.time() < deadline:
        if not any(Path(f"/proc/{p}").exists() for p in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_to_the_launcher_stops_every_rank_with_the_checkpoint_intact(tmp_path):
    out = tmp_path / "run"
    process = _start_long_run(out)
    workers = _ranks(process.pid)
    assert sorted(workers) == [0, 1]
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    # Known race, not ours: under load a gloo thread torn down at exit sometimes has the C++
    # runtime print this line (seen on the code before diagnostics too, 3 runs in 6 with a
    # busy core); every other line must be mlpkit's one line.
    lines = [line for line in stderr.strip().splitlines()
             if line != "terminate called without an active exception"]
    assert lines == [line for line in lines if line.startswith("mlpkit: interrupted")]
    assert len(lines) == 1
    assert f"Resume with: mlpkit train --resume {out} --nproc 2" in stderr
    assert _gone(workers.values())
    done = load_training_checkpoint(out)[1]["epoch"]
    again = mlpkit("train", "--resume", str(out), "--nproc", "2", "--epochs", str(done + 1),
                   "--quiet")
    assert again.returncode == 0, again.stderr
    assert len(history(out)) == done + 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_rank_that_dies_stops_the_others_with_one_clear_line(tmp_path):
    out = tmp_path / "run"
    process = _start_long_run(out)
    workers = _ranks(process.pid)
    os.kill(workers[1], signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "Traceback" not in stderr
    assert "mlpkit: error: process of rank 1 was killed (SIGKILL)" in stderr
    assert _gone(workers.values())
    load_training_checkpoint(out)           # intact: rank 0 alone wrote it


@pytest.mark.parametrize("args, message", [
    (["--engine", "numpy"], "The numpy engine trains in one process"),
    (["--optimizer", "lbfgs"], "lbfgs trains full-batch in one process"),
    (["--nproc", "0"], "--nproc must be 1 or more"),
])
def test_what_cannot_run_on_several_processes_is_refused_before_any_starts(
        tmp_path, capsys, args, message):
    argv = ["train", "--dataset", "xor", "--out", str(tmp_path / "run"), *args]
    if "--nproc" not in args:
        argv += ["--nproc", "2"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"mlpkit: error: {message}") and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_nproc_1_is_the_ordinary_single_process_path(tmp_path):
    assert main(["train", "--dataset", "xor", "--nproc", "1", "--epochs", "2", "--quiet",
                 "--out", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["run"]["processes"] == 1 and metrics["run"]["engine"] == "numpy"


def test_bad_input_on_two_processes_is_one_line_and_touches_nothing(tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    result = mlpkit("train", "--nproc", "2", "--dataset", "xor", "--out", str(taken))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"mlpkit: error: Output folder '{taken}' already exists and is not empty; choose another "
        "--out (mlpkit never overwrites a run)."]
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]


def test_a_streamed_parquet_folder_trains_on_two_processes_each_reading_its_share(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "parts"
    folder.mkdir()
    X = rng.normal(size=(3000, 4))
    for k in range(3):        # uneven files and row groups: the ranks' rows differ every epoch
        part = pd.DataFrame(X[k * 1000:(k + 1) * 1000], columns=list("abcd"))
        part["y"] = np.where(part.a + part.b > 0, "up", "down")
        part.to_parquet(folder / f"part-{k}.parquet", row_group_size=300 + 70 * k)
    args = ("train", "--csv", str(folder), "--target", "y", "--stream", "--engine", "torch",
            "--epochs", "4", "--quiet")
    two, one = tmp_path / "two", tmp_path / "one"
    result = mlpkit(*args, "--nproc", "2", "--out", str(two))
    assert result.returncode == 0, result.stderr
    assert mlpkit(*args, "--out", str(one)).returncode == 0
    metrics = json.loads((two / "metrics.json").read_text())
    alone = json.loads((one / "metrics.json").read_text())
    assert metrics["run"]["processes"] == 2 and len(history(two)) == 4
    assert metrics["test"]["n_samples"] == alone["test"]["n_samples"]
    assert metrics["test"]["accuracy"] > alone["test"]["accuracy"] - 0.03
