"""Reliability II: resource bombs refused before allocation, faults while writing, never
clobbering, odd but valid files. Each case: exit code, one line, no traceback, and the file
tree checked for what was (not) written or changed."""

import errno
import gzip
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpkit.data.sets.mnist import read_idx
from mlpkit.errors import InvalidInputError

from .conftest import tree

MNIST = Path(__file__).parents[2].parent / "shared" / "data" / "mnist"


def one_line(code, err, expected_code=2):
    assert code == expected_code
    assert err.count("\n") == 1 and "Traceback" not in err
    return err.strip()


# ---- resource bombs
def test_a_network_too_big_for_the_machine_is_refused_before_allocation(tmp_path, run_cli,
                                                                       monkeypatch):
    from mlpkit.training import budget

    monkeypatch.setattr(budget, "machine_bytes", lambda: 64 * 2**30)   # any host: a 64 GiB one
    code, err = run_cli(["train", "--dataset", "blobs", "--hidden", "100000", "100000", "--out",
                         str(tmp_path / "run"), "--quiet"])
    message = one_line(code, err)
    assert message.startswith("mlpkit: error: Training the 2-100000-100000-4 network "
                              "(10,000,800,004 parameters) needs about 186.4 GiB of memory; this "
                              "machine has 64.0 GiB. ")
    assert message.endswith("GiB. Use smaller --hidden layers (each weight matrix is the product "
                            "of two widths).")
    assert not (tmp_path / "run").exists()


def test_a_gzip_bomb_behind_an_idx_header_is_refused_before_decompressing(tmp_path):
    header = struct.pack(">BBBB3I", 0, 0, 0x08, 3, 60000, 10000, 10000)   # promises 6 TB
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    bomb.write_bytes(gzip.compress(header + bytes(1 << 20)))
    with pytest.raises(InvalidInputError) as info:
        read_idx(bomb)
    assert str(info.value) == (
        f"'{bomb}' has a header that promises 6000000000000 data bytes for shape (60000, 10000, "
        f"10000), more than {bomb.stat().st_size} compressed bytes can hold; it is damaged or "
        "hostile: fetch it again.")


@pytest.mark.skipif(not MNIST.is_dir(), reason="needs ../shared/data/mnist")
def test_the_bomb_through_the_command_line(tmp_path, run_cli):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for part in MNIST.glob("*.gz"):
        (folder / part.name).symlink_to(part)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(struct.pack(">BBBBI", 0, 0, 0x08, 1, 4_000_000_000)))
    code, err = run_cli(["train", "--dataset", "mnist", "--data-dir", str(folder), "--out",
                         str(tmp_path / "run"), "--quiet"])
    assert "has a header that promises 4000000000 data bytes" in one_line(code, err)
    assert not (tmp_path / "run").exists()


def test_a_csv_wider_than_any_table_is_refused(tmp_path, run_cli):
    (tmp_path / "wide.csv").write_text(",".join(f"c{i}" for i in range(20001)) + "\n"
                                       + ",".join("1" for _ in range(20001)) + "\n")
    code, err = run_cli(["train", "--csv", str(tmp_path / "wide.csv"), "--out",
                         str(tmp_path / "run")])
    assert one_line(code, err) == (
        f"mlpkit: error: CSV file '{tmp_path / 'wide.csv'}' has 20001 columns; mlpkit reads at "
        "most 10000. Keep the columns you need (or check the separator).")


# ---- faults while writing
@pytest.fixture
def full_disk(monkeypatch):
    """Every atomic write fails as on a full disk, after its temporary file was written."""
    import mlpkit.io.atomic as atomic

    def no_space(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(atomic.os, "replace", no_space)


def test_a_full_disk_during_a_new_run_leaves_nothing(tmp_path, run_cli, full_disk):
    code, err = run_cli(["train", "--dataset", "xor", "--epochs", "2", "--out",
                         str(tmp_path / "run"), "--quiet"])
    assert one_line(code, err) == (
        f"mlpkit: error: No space left on device '{tmp_path / 'run' / 'config.toml'}'; free some "
        "space or write somewhere else (--out, -o). Nothing was left half-written.")
    assert not (tmp_path / "run").exists()


def test_a_failed_write_never_damages_an_earlier_run(tmp_path, run_cli, trained_run,
                                                     monkeypatch):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    (tmp_path / "in.csv").write_text("x0,x1\n0.5,1.5\n")
    before = tree(tmp_path)
    import mlpkit.io.atomic as atomic

    def read_only(src, dst):
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(atomic.os, "replace", read_only)
    for argv in (["train", "--resume", str(run), "--epochs", "5", "--quiet"],
                 ["report", str(run)],
                 ["predict", str(run), str(tmp_path / "in.csv"), "-o",
                  str(tmp_path / "p.csv")]):
        code, err = run_cli(argv)
        assert "Read-only file system" in one_line(code, err)
        assert err.strip().endswith("write somewhere else (--out, -o). Nothing was left "
                                    "half-written.")
    (run / "plots" / "curves.png").unlink()          # report must draw it again: and fail whole
    before = {k: v for k, v in before.items() if k != "run/plots/curves.png"}
    code, err = run_cli(["report", str(run)])
    assert "Read-only file system" in one_line(code, err)
    assert tree(tmp_path) == before
    assert not (tmp_path / "p.csv").exists()


# ---- never clobber
def test_out_onto_a_file_or_a_foreign_folder_is_refused(tmp_path, run_cli):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    before = tree(tmp_path)
    code, err = run_cli(["train", "--dataset", "xor", "--out", str(tmp_path / "notes.txt")])
    assert one_line(code, err) == (
        f"mlpkit: error: Output folder '{tmp_path / 'notes.txt'}' is a file; choose another --out "
        "(mlpkit never overwrites a file).")
    code, err = run_cli(["train", "--dataset", "xor", "--out", str(tmp_path / "photos")])
    assert one_line(code, err) == (
        f"mlpkit: error: Output folder '{tmp_path / 'photos'}' already exists and is not empty; "
        "choose another --out (mlpkit never overwrites a run).")
    assert tree(tmp_path) == before


def test_two_processes_writing_the_same_out_one_wins_the_other_refuses(tmp_path):
    out = tmp_path / "shared"
    argv = [sys.executable, "-m", "mlpkit", "train", "--dataset", "xor", "--epochs", "20",
            "--out", str(out), "--quiet"]
    both = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in both]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2]
    loser = next(err for code, err in results if code == 2)
    assert loser.strip() in (
        f"mlpkit: error: Output folder '{out}' is being written by another mlpkit process; "
        "choose another --out.",
        f"mlpkit: error: Output folder '{out}' already exists and is not empty; choose another "
        "--out (mlpkit never overwrites a run).")
    assert (out / "metrics.json").is_file() and (out / "report.html").is_file()


# ---- odd but valid files
def odd_table():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.normal(size=120), "b": rng.choice(["x", "y"], 120),
                         "y": (np.arange(120) % 2)})


@pytest.mark.parametrize("name, write", [
    ("bom", lambda t, p: t.to_csv(p, index=False, encoding="utf-8-sig")),
    ("crlf", lambda t, p: t.to_csv(p, index=False, lineterminator="\r\n")),
    ("semicolons", lambda t, p: t.to_csv(p, index=False, sep=";")),
    ("tabs", lambda t, p: t.to_csv(p, index=False, sep="\t")),
    ("trailing-comma", lambda t, p: p.write_text(
        "\n".join(",".join(map(str, row)) + "," for row in [t.columns, *t.values.tolist()])))])
def test_odd_but_valid_csvs_train_and_read_the_same_columns(tmp_path, run_cli, name, write):
    write(odd_table(), tmp_path / "odd.csv")
    code, err = run_cli(["train", "--csv", str(tmp_path / "odd.csv"), "--target", "y",
                         "--epochs", "3", "--out", str(tmp_path / "run"), "--quiet"])
    assert code == 0, err
    from mlpkit.model import TrainedModel

    model = TrainedModel.load(tmp_path / "run")
    assert model.schema.feature_names == ["a", "b=x", "b=y"]


def test_latin1_text_gets_the_fix_in_one_line(tmp_path, run_cli):
    odd_table().assign(b=["é", "x"] * 60).to_csv(tmp_path / "l.csv", index=False,
                                                 encoding="latin-1")
    code, err = run_cli(["train", "--csv", str(tmp_path / "l.csv"), "--out",
                         str(tmp_path / "run")])
    assert one_line(code, err) == (
        f"mlpkit: error: '{tmp_path / 'l.csv'}' is not a text CSV file (it holds binary or "
        "non-UTF-8 bytes); save the table as UTF-8 CSV.")
    assert not (tmp_path / "run").exists()


def test_prediction_rows_by_name_extra_columns_noted(tmp_path, run_cli):
    odd_table().to_csv(tmp_path / "t.csv", index=False)
    assert run_cli(["train", "--csv", str(tmp_path / "t.csv"), "--target", "y", "--epochs", "3",
                    "--out", str(tmp_path / "run"), "--quiet"])[0] == 0
    rows = odd_table().drop(columns="y")
    rows.to_csv(tmp_path / "in.csv", index=False)
    rows[["b", "a"]].assign(note="x").to_csv(tmp_path / "odd.csv", index=False)
    assert run_cli(["predict", str(tmp_path / "run"), str(tmp_path / "in.csv"), "-o",
                    str(tmp_path / "p1.csv")])[0] == 0
    code, err = run_cli(["predict", str(tmp_path / "run"), str(tmp_path / "odd.csv"), "-o",
                         str(tmp_path / "p2.csv")])
    assert one_line(code, err, 0) == (
        f"mlpkit: warning: '{tmp_path / 'odd.csv'}' has column(s) ['note'] that the model does "
        "not use; they are ignored.")
    assert (tmp_path / "p1.csv").read_bytes() == (tmp_path / "p2.csv").read_bytes()


def test_float64_weights_are_read_as_float64_and_half_precision_as_float32(tmp_path, run_cli,
                                                                          trained_run):
    import shutil

    from safetensors.numpy import load_file, save_file

    from mlpkit.io.model_files import sha256
    from mlpkit.model import TrainedModel

    def rewritten(arrays):          # new weights, and model.json's record of them
        save_file(arrays, run / "model.safetensors")
        meta = json.loads((run / "model.json").read_text())
        meta["weights_sha256"] = sha256((run / "model.safetensors").read_bytes())
        (run / "model.json").write_text(json.dumps(meta))

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    weights = load_file(run / "model.safetensors")
    rewritten({k: v.astype(np.float64) for k, v in weights.items()})
    model = TrainedModel.load(run)
    assert all(w.dtype == np.float64 for w in model.state_dict.values())   # a float64 model
    for key, value in weights.items():
        np.testing.assert_array_equal(model.state_dict[key], value)
    rewritten({k: v.astype(np.float16) for k, v in weights.items()})
    model = TrainedModel.load(run)
    assert all(w.dtype == np.float32 for w in model.state_dict.values())
    for key, value in weights.items():
        np.testing.assert_array_equal(model.state_dict[key], value.astype(np.float16))
