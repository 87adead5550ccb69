"""Fuzzing the readers: each target reads one kind of file as a user's command would, from
bytes that are a valid seed file mutated (or pure noise). Whatever the bytes, a target ends in
a result or one ``MlpkitError``: anything else is a finding.

Shared by ``tests/bad_inputs/test_fuzzing.py`` (Hypothesis draws the mutations, a short
profile) and ``benchmarks/fuzz.py`` (a seeded random stream of them, a long one).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import shutil
import struct
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlpkit.cli import main
from mlpkit.errors import MlpkitError

# Bytes that make readers take other paths: separators, quotes, numbers at float32's edge,
# non-UTF-8, NUL, TOML and JSON syntax.
TOKENS = [b",", b";", b"\t", b"\n", b"\r\n", b'"', b"'", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf",
          b"nan", b"inf", b"-inf", b"1e999", b"3.5e38", b"-0", b"NA", b"", b" ", b"=", b"[",
          b"]", b"{", b"}", b"[[a]]", b"\\u0000", b"2024-02-30", b"9" * 40, b"null", b"true",
          b'"low" = 1e-4', b"\xc3", b"\x80\x80\x80\x80"]
OPS = 6           # flip a byte, set a byte, insert a token, delete a span, truncate, duplicate


def mutate(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    """Apply (op, where, value) mutations; ``where`` and ``value`` are reduced to fit."""
    out = bytearray(data)
    for op, where, value in ops:
        at = where % (len(out) + 1)
        if op == 0 and out:
            out[at % len(out)] ^= 1 << (value % 8)
        elif op == 1 and out:
            out[at % len(out)] = value % 256
        elif op == 2:
            out[at:at] = TOKENS[value % len(TOKENS)]
        elif op == 3:
            del out[at:at + 1 + value % 16]
        elif op == 4:
            del out[at:]
        elif op == 5:
            out[at:at] = out[at:at + 1 + value % 64]
    return bytes(out)


def seed_files(folder: Path) -> dict[str, bytes]:
    """A valid example of each kind of file, made by mlpkit itself where it writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    import pandas as pd

    n = 40
    table = pd.DataFrame({
        "size": rng.normal(10, 3, n).round(3), "count": rng.integers(0, 9, n),
        "color": rng.choice(["red", "blue", "green"], n),
        "day": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "label": rng.choice(["yes", "no"], n)})
    table.loc[[3, 8], "size"] = np.nan
    table.loc[5, "color"] = None
    csv = table.to_csv(index=False).encode()
    (folder / "train.csv").write_bytes(csv)
    parquet = io.BytesIO()
    table.to_parquet(parquet, index=False)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        code = main(["train", "--csv", str(folder / "train.csv"), "--target", "label",
                     "--hidden", "4", "--epochs", "2", "--out", str(folder / "run"), "--quiet"])
    assert code == 0, "the seed run failed"
    run = folder / "run"
    images = b"\x00\x00\x08\x03" + struct.pack(">3I", 2, 3, 3) + bytes(range(18))
    labels = b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\x03\x07"
    from mlpkit.sweep.space import DEFAULT_SPACE_TOML

    return {"csv": csv, "parquet": parquet.getvalue(), "idx": images, "idx_labels": labels,
            "idx_gz": gzip.compress(images, mtime=0),
            "model_json": (run / "model.json").read_bytes(),
            "safetensors": (run / "model.safetensors").read_bytes(),
            "checkpoint": (run / "checkpoint.safetensors").read_bytes(),
            "config": (run / "config.toml").read_bytes(), "space": DEFAULT_SPACE_TOML.encode(),
            "run": str(run).encode()}


# ---- targets: (bytes, a scratch folder, the seeds) -> None, raising only MlpkitError
def read_table(data: bytes, scratch: Path, seeds: dict, suffix: str = ".csv") -> None:
    from mlpkit.data import load_dataset

    path = scratch / f"fuzzed{suffix}"
    path.write_bytes(data)
    result = load_dataset("csv", path=path)
    assert np.isfinite(result.X_train).all() and len(result.X_train) > 0


def read_parquet(data: bytes, scratch: Path, seeds: dict) -> None:
    read_table(data, scratch, seeds, ".parquet")


def read_stream(data: bytes, scratch: Path, seeds: dict) -> None:
    """The streamed reader (first pass, encoding and one epoch's chunks) on a CSV."""
    from mlpkit.data.tables.first_pass import open_stream

    path = scratch / "fuzzed.csv"
    path.write_bytes(data)
    stream = open_stream(path, chunk_bytes=256)
    stream.statistics(0.2, 0, scale=True)
    for frame, where in stream.test_frames():
        X, _ = stream.encode(frame, where)
        assert np.isfinite(X).all()


def read_idx(data: bytes, scratch: Path, seeds: dict) -> None:
    from mlpkit.data.sets.mnist import read_idx as read

    path = scratch / "fuzzed-idx"
    path.write_bytes(data)
    read(path)


def _model_folder(scratch: Path, seeds: dict, **files: bytes) -> Path:
    folder = scratch / "model"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(seeds["run"].decode(), folder)
    for name, content in files.items():
        (folder / name.replace("_", ".")).write_bytes(content)
    return folder


def _load_and_predict(folder: Path) -> None:
    import pandas as pd

    from mlpkit.model import TrainedModel

    model = TrainedModel.load(folder)
    rows = pd.read_csv(io.BytesIO(PREDICTED_ROWS))
    model.predict_output(model.features(rows))


PREDICTED_ROWS = b"size,count,color,day\n10.5,3,red,2024-01-09\n,1,blue,2024-02-01\n"


def read_model_json(data: bytes, scratch: Path, seeds: dict) -> None:
    _load_and_predict(_model_folder(scratch, seeds, model_json=data))


def read_weights(data: bytes, scratch: Path, seeds: dict) -> None:
    """The safetensors parser itself: the SHA-256 record is dropped, so the bytes reach it."""
    meta = json.loads(seeds["model_json"])
    meta.pop("weights_sha256")
    _load_and_predict(_model_folder(scratch, seeds, model_json=json.dumps(meta).encode(),
                                    model_safetensors=data))


def read_recorded_weights(data: bytes, scratch: Path, seeds: dict) -> None:
    """With the record: every altered file must be refused, not only not crash."""
    _load_and_predict(_model_folder(scratch, seeds, model_safetensors=data))
    assert data == seeds["safetensors"], "altered weights were accepted"


def read_checkpoint(data: bytes, scratch: Path, seeds: dict) -> None:
    from mlpkit.io.checkpoints import load_training_checkpoint

    load_training_checkpoint(_model_folder(scratch, seeds, checkpoint_safetensors=data))


def read_config(data: bytes, scratch: Path, seeds: dict) -> None:
    from mlpkit.config import RunConfig
    from mlpkit.runs.folder import read_config as read

    path = scratch / "config.toml"
    path.write_bytes(data)
    RunConfig.from_toml_dict(read(path))


def read_space(data: bytes, scratch: Path, seeds: dict) -> None:
    from mlpkit.sweep.space import SearchSpace

    path = scratch / "space.toml"
    path.write_bytes(data)
    SearchSpace.load(path)


Target = Callable[[bytes, Path, dict], None]
TARGETS: dict[str, tuple[Target, str]] = {       # name -> (target, the seed it mutates)
    "csv": (read_table, "csv"), "csv-stream": (read_stream, "csv"),
    "parquet": (read_parquet, "parquet"), "idx": (read_idx, "idx"),
    "idx-gzip": (read_idx, "idx_gz"), "model.json": (read_model_json, "model_json"),
    "safetensors": (read_weights, "safetensors"),
    "safetensors-recorded": (read_recorded_weights, "safetensors"),
    "checkpoint": (read_checkpoint, "checkpoint"), "config.toml": (read_config, "config"),
    "space.toml": (read_space, "space"),
}


def outcome(name: str, data: bytes, scratch: Path, seeds: dict) -> str:
    """'read' or 'refused'; any other exception propagates: it is a finding."""
    target, _ = TARGETS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            target(data, scratch, seeds)
        except MlpkitError:
            return "refused"
    return "read"
