"""Atomic file writes: a temporary file in the same folder, fsync, rename, fsync the folder.

A reader (or a crash) therefore sees either the old file or the new one, never half of one,
and once a write returns, the new file survives a power cut.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlpkit.errors import InvalidInputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: str | Path) -> None:
    """Flush a file's (or a folder's: its entries) data to the disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _publish(temp: str | Path, path: Path) -> None:
    """The written temporary file, made durable, becomes ``path``; the rename made durable."""
    _fsync(temp)
    os.chmod(temp, 0o666 & ~_umask())     # mkstemp's 0600 -> what open() would have made
    os.replace(temp, path)
    _fsync(path.parent)


def write_bytes(path: str | Path, data: bytes) -> None:
    with writing(path) as temp:
        temp.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


@contextmanager
def writing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write a large file into piece by piece (a streamed
    prediction, a conversion); renamed onto ``path`` only when the block ends without error."""
    path = Path(path)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        yield Path(temp)
        _publish(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def refuse_existing(path: str | Path, overwrite: bool) -> None:
    """An output file named with -o is never replaced unless ``--overwrite`` says so."""
    if Path(path).exists() and not overwrite:
        raise InvalidInputError(f"Output file '{path}' already exists; choose another -o or "
                                "pass --overwrite.")


def json_safe(value: Any) -> Any:
    """JSON has no NaN: non-finite numbers become null, in nested dicts and lists too."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value
