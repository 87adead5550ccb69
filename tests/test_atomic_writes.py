"""Atomic writes: the temporary file is made durable before its rename, and the rename too."""

import os
from pathlib import Path

import pytest

from mlpkit.io import atomic


@pytest.fixture
def synced(monkeypatch):
    """The paths os.fsync was called on, in order, and each call's time relative to renames."""
    events: list[tuple[str, str]] = []
    real_fsync, real_open, real_replace = os.fsync, os.open, os.replace
    names: dict[int, str] = {}

    def opening(path, flags, *args, **kwargs):
        handle = real_open(path, flags, *args, **kwargs)
        names[handle] = str(path)
        return handle

    def fsync(handle):
        events.append(("fsync", names.get(handle, "?")))
        real_fsync(handle)

    def replace(src, dst):
        events.append(("replace", str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "open", opening)
    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    return events


@pytest.mark.parametrize("how", ["write_text", "writing"])
def test_each_write_fsyncs_the_file_then_renames_then_fsyncs_the_folder(tmp_path, synced, how):
    target = tmp_path / "out.csv"
    if how == "write_text":
        atomic.write_text(target, "a,b\n1,2\n")
    else:
        with atomic.writing(target) as temp:
            Path(temp).write_text("a,b\n1,2\n")
    assert target.read_text() == "a,b\n1,2\n"
    kinds = [kind for kind, _ in synced]
    assert kinds == ["fsync", "replace", "fsync"]
    assert synced[0][1].endswith(".tmp") and synced[2][1] == str(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic.writing(target) as temp:
        Path(temp).write_text("half")
        raise RuntimeError("disk gone")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]
