"""Run folders: ``runs/<dataset>-<NNN>/`` (or ``--out DIR``), created fresh, never reused."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from mlpkit.errors import InvalidInputError


def create_run_folder(out: str | Path | None, root: str | Path, dataset: str) -> Path:
    """A new empty folder: ``out`` if given (it must not hold anything), else the next free
    ``root/<dataset>-NNN``."""
    if out is not None:
        folder = Path(out)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise InvalidInputError(
                f"Output folder '{folder}' already exists and is not empty; choose another --out "
                "(mlpkit never overwrites a run).")
        folder.mkdir(parents=True, exist_ok=True)
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
            return folder
        except FileExistsError:          # another process took it first
            number += 1


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
