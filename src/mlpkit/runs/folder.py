"""Run folders: ``runs/<dataset>-<NNN>/`` (or ``--out DIR``), created fresh, never reused."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from mlpkit.errors import InvalidInputError


def create_run_folder(out: str | Path | None, root: str | Path, dataset: str) -> Path:
    """A new folder, claimed for this process (``.mlpkit-run``): ``out`` if given (it must not
    hold anything), else the next free ``root/<dataset>-NNN``."""
    if out is not None:
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise InvalidInputError(
                f"Output folder '{folder}' is a file; choose another --out (mlpkit never "
                "overwrites a file).")
        if folder.exists() and any(folder.iterdir()):
            raise InvalidInputError(
                f"Output folder '{folder}' already exists and is not empty; choose another --out "
                "(mlpkit never overwrites a run).")
        folder.mkdir(parents=True, exist_ok=True)
        _claim(folder)
        return folder
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = Path(dataset[4:]).stem if dataset.startswith("csv:") else dataset   # csv:x.csv -> x
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "run"
    taken = [int(m.group(1)) for p in root.iterdir()
             if (m := re.fullmatch(re.escape(stem) + r"-(\d+)", p.name))]
    number = max(taken, default=0) + 1
    while True:
        folder = root / f"{stem}-{number:03d}"
        try:
            folder.mkdir()
            _claim(folder)
            return folder
        except FileExistsError:          # another process took it first
            number += 1


CLAIM = ".mlpkit-run"


def _claim(folder: Path) -> None:
    """Take an empty folder for this process alone: the claim file is created exclusively, so
    of two processes given the same --out at once, one wins and the other is refused."""
    try:
        os.close(os.open(folder / CLAIM, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        raise InvalidInputError(
            f"Output folder '{folder}' is being written by another mlpkit process; choose "
            "another --out.") from None
    others = [p.name for p in folder.iterdir() if p.name != CLAIM]
    if others:                  # something else arrived between the check and the claim
        (folder / CLAIM).unlink()
        raise InvalidInputError(
            f"Output folder '{folder}' already exists and is not empty; choose another --out "
            "(mlpkit never overwrites a run).")


def write_config(folder: Path, data: dict[str, Any]) -> None:
    import tomli_w

    from mlpkit.io import atomic

    atomic.write_text(folder / "config.toml", tomli_w.dumps(data))


def read_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        path = path / "config.toml"
    if not path.is_file():
        raise InvalidInputError(f"Config file '{path}' does not exist.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Config file '{path}' is not valid TOML ({exc}).") from None
