"""Hostile and corrupt model files are refused with one line; nothing in them ever runs."""

import json
import os
import pickle
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from .conftest import tree


class Payload:
    """Unpickling this runs a shell command that creates a marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def rewrite_json(mutate):
    def apply(run: Path, marker: Path) -> None:
        meta = json.loads((run / "model.json").read_text())
        mutate(meta)
        (run / "model.json").write_text(json.dumps(meta))
    return apply


def set_key(path, value):
    def mutate(meta):
        target = meta
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def safetensors_header(header: dict, length: int | None = None) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text


W = "'run/model.safetensors'"
J = "'run/model.json'"


def unrecorded(damage):
    """``damage``, and the weights' SHA-256 struck from model.json, as a forger would (the
    record proves integrity, not origin): what the reader's own checks must then catch."""
    def both(run, marker):
        damage(run, marker)
        meta = json.loads((run / "model.json").read_text())
        del meta["weights_sha256"]
        (run / "model.json").write_text(json.dumps(meta))
    return both


def write_weights(make):
    return lambda run, marker: (run / "model.safetensors").write_bytes(make(run, marker))


def flip_a_byte(run, marker):
    data = bytearray((run / "model.safetensors").read_bytes())
    data[-5] ^= 0x01                                   # in the last weight's bytes
    (run / "model.safetensors").write_bytes(bytes(data))


ALTERED = f"{W} is not the file model.json was written with (its SHA-256 differs: altered, " \
    "truncated or from another run); restore it or retrain."
CASES = [
    ("pickle-payload-as-weights", unrecorded(write_weights(
        lambda run, marker: pickle.dumps(Payload(marker)))),
     f"{W} is not a valid safetensors file ("),
    ("torch-save-zip-as-weights", unrecorded(lambda run, marker: __import__("torch").save(
        {"w": Payload(marker)}, run / "model.safetensors")),
     f"{W} is not a valid safetensors file ("),
    ("truncated-weights", unrecorded(write_weights(
        lambda run, marker: (run / "model.safetensors").read_bytes()[:-100])),
     f"{W} is not a valid safetensors file ("),
    ("absurd-header-length", unrecorded(write_weights(
        lambda run, marker: safetensors_header({}, length=2**62))),
     f"{W} is not a valid safetensors file ("),
    ("absurd-tensor-size", unrecorded(write_weights(lambda run, marker: safetensors_header(
        {"0.weight": {"dtype": "F32", "shape": [100000, 100000],
                      "data_offsets": [0, 40_000_000_000]}}))),
     f"{W} is not a valid safetensors file ("),
    ("empty-weights", unrecorded(write_weights(lambda run, marker: b"")),
     f"{W} is not a valid safetensors file ("),
    ("a-flipped-byte", flip_a_byte, ALTERED),
    ("truncated-with-its-record", write_weights(
        lambda run, marker: (run / "model.safetensors").read_bytes()[:-100]), ALTERED),
    ("weights-of-another-run-same-shape", lambda run, marker: rewrite_weights(
        run, lambda w: w.__iadd__(0.01)), ALTERED),
    ("shapes-disagree-with-json", rewrite_json(set_key(["spec", "hidden"], [9])),
     f"{W}: 0.weight has shape (8, 2), but model.json describes (9, 2)."),
    ("unknown-json-key", rewrite_json(set_key(["exec"], "rm -rf /")),
     f"{J} has unknown keys ['exec']; it was not written by this version of mlpkit."),
    ("unknown-spec-key", rewrite_json(set_key(["spec", "layers_code"], "x")),
     f"{J} has an invalid spec: Unknown model spec field(s): ['layers_code']."),
    ("wrong-format-version", rewrite_json(set_key(["format_version"], 99)),
     f"{J} has format version 99; this mlpkit reads version 1. Upgrade mlpkit or retrain the "
     "model."),
    ("not-an-mlpkit-file", rewrite_json(set_key(["format"], "keras")),
     f"{J} is not an mlpkit model description."),
    ("json-not-json", lambda run, marker: (run / "model.json").write_text("{'spec':"),
     f"{J} is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 "
     "(char 1))."),
    ("json-a-list", lambda run, marker: (run / "model.json").write_text("[1, 2]"),
     f"{J} is not an mlpkit model description."),
    ("negative-size-in-spec", rewrite_json(set_key(["spec", "n_inputs"], -2)),
     f"{J} has an invalid spec: n_inputs must be a positive integer, got -2."),
    ("class-count-mismatch", rewrite_json(set_key(["class_names"], ["a", "b"])),
     f"{J} names 2 classes for a network with 4 outputs."),
    ("scaler-wrong-length", rewrite_json(set_key(["preprocessing", "scaler", "mean"], [0, 0, 0])),
     f"{J} has a scaler for 3 features, but the network has 2 inputs."),
    ("scaler-zero-scale", rewrite_json(set_key(["preprocessing", "scaler", "scale"], [0, 1])),
     f"{J} has a scaler with non-positive or non-finite values."),
    ("unknown-task", rewrite_json(set_key(["task"], "clustering")),
     f"{J} has task 'clustering'; expected one of classification, regression, multilabel."),
    ("unknown-engine", rewrite_json(set_key(["engine"], "jax")),
     f"{J} names engine 'jax'; expected 'numpy' or 'torch'."),
    ("nan-weights", unrecorded(lambda run, marker: rewrite_weights(run, lambda w: w.fill(np.nan))),
     f"{W}: 0.weight holds NaN or infinite values."),
    ("integer-weights", unrecorded(lambda run, marker: rewrite_weights(run, lambda w: None,
                                                                       np.int32)),
     f"{W}: 0.weight holds int32 values; a model's weights are floating-point numbers."),
    ("weights-linked-outside", lambda run, marker: link_outside(run),
     f"{W} is a link to a file outside the model folder; copy the file itself into the folder."),
]


def rewrite_weights(run, change, dtype=None):
    from safetensors.numpy import load_file, save_file

    weights = load_file(run / "model.safetensors")
    change(weights["0.weight"])
    if dtype is not None:
        weights["0.weight"] = weights["0.weight"].astype(dtype)
    save_file(weights, run / "model.safetensors")


def link_outside(run):
    outside = run.parent / "elsewhere.safetensors"
    (run / "model.safetensors").rename(outside)
    (run / "model.safetensors").symlink_to(outside)


@pytest.mark.parametrize("command", ["evaluate", "predict"])
@pytest.mark.parametrize("name, damage, message", CASES, ids=[c[0] for c in CASES])
def test_hostile_model_files_are_refused(tmp_path, monkeypatch, run_cli, trained_run, command,
                                         name, damage, message):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(trained_run, tmp_path / "run")
    (tmp_path / "points.csv").write_text("x0,x1\n1,2\n")
    marker = tmp_path / "PAYLOAD-RAN"
    damage(tmp_path / "run", marker)
    before = tree(tmp_path)
    argv = ["evaluate", "run"] if command == "evaluate" else \
        ["predict", "run", "points.csv", "-o", "out.csv"]
    code, err = run_cli(argv)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"mlpkit: error: {message}")
    assert not marker.exists()                 # the payload never ran
    assert tree(tmp_path) == before


def test_a_pickle_checkpoint_is_never_unpickled_on_resume(tmp_path, monkeypatch, run_cli,
                                                          trained_run):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(trained_run, tmp_path / "run")
    marker = tmp_path / "PAYLOAD-RAN"
    (tmp_path / "run" / "checkpoint.safetensors").write_bytes(pickle.dumps(Payload(marker)))
    code, err = run_cli(["train", "--resume", "run", "--epochs", "5"])
    assert code == 2 and err.startswith("mlpkit: error: 'run/checkpoint.safetensors' is damaged "
                                        "and cannot be resumed (")
    assert not marker.exists()


def test_the_payload_is_real(tmp_path):
    """The marker test can fail: unpickling the payload does create the marker."""
    marker = tmp_path / "PAYLOAD-RAN"
    pickle.loads(pickle.dumps(Payload(marker)))   # noqa: S301 - deliberately, once, here
    assert marker.exists()


def test_an_altered_checkpoint_is_refused_on_resume(tmp_path, monkeypatch, run_cli,
                                                    trained_run):
    """A checkpoint that still parses but whose arrays changed after writing (a flipped bit in
    a weight) is refused, not resumed from."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    monkeypatch.chdir(tmp_path)
    shutil.copytree(trained_run, tmp_path / "run")
    path = tmp_path / "run" / "checkpoint.safetensors"
    with safe_open(path, framework="numpy") as f:
        header, arrays = f.metadata(), {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    name = sorted(arrays)[0]
    arrays[name] = arrays[name].copy()
    arrays[name].flat[0] += 1
    save_file(arrays, path, metadata=header)            # the old record, new numbers
    code, err = run_cli(["train", "--resume", "run", "--epochs", "5"])
    assert code == 2 and err == ("mlpkit: error: 'run/checkpoint.safetensors' was altered "
                                 "after it was written (its arrays' SHA-256 differs) and "
                                 "cannot be resumed.\n")


def test_an_older_model_folder_without_the_record_loads_and_says_so(tmp_path, monkeypatch,
                                                                     run_cli, trained_run):
    from mlpkit.io.model_files import UnverifiedModelWarning
    from mlpkit.model import TrainedModel

    monkeypatch.chdir(tmp_path)
    shutil.copytree(trained_run, tmp_path / "run")
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    assert len(meta.pop("weights_sha256")) == 64                 # every new folder has it
    (tmp_path / "run" / "model.json").write_text(json.dumps(meta))
    (tmp_path / "points.csv").write_text("x0,x1\n1,2\n")
    code, err = run_cli(["predict", "run", "points.csv", "-o", "out.csv"])
    assert code == 0 and err.startswith("mlpkit: warning: 'run/model.json' records no SHA-256")
    assert err.count("\n") == 1
    with pytest.warns(UnverifiedModelWarning, match="records no SHA-256 of its weights"):
        TrainedModel.load(tmp_path / "run")
