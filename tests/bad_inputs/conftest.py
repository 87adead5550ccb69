"""Helpers for the bad-input corpus: run the CLI in-process and watch the file tree."""

import hashlib
from pathlib import Path

import pytest

from mlpkit.cli import main


def tree(root: Path) -> dict[str, str]:
    """Every file under root with the SHA-256 of its bytes (folders as a marker)."""
    state = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        state[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return state


@pytest.fixture
def run_cli(capsys):
    def run(argv: list[str]) -> tuple[int, str]:
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as exc:          # argparse's own exits
            code = exc.code
        return code, capsys.readouterr().err
    return run


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A small finished blobs run, shared read-only by the corpus (copied before mutation)."""
    out = tmp_path_factory.mktemp("shared-run") / "blobs"
    assert main(["train", "--dataset", "blobs", "--hidden", "8", "--epochs", "3", "--out",
                 str(out), "--quiet"]) == 0
    return out
