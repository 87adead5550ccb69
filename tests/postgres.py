"""A throwaway PostgreSQL server from the distribution's packages, for the sweep's tests and
``benchmarks/sweep_postgres.py``: initdb in a temporary folder, trust on loopback only, a free
port, stopped (``immediate``) at the end. PostgreSQL refuses to run as root, so as root it
runs as the ``postgres`` user the package creates."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl (Debian keeps them out of PATH), or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def unavailable() -> str | None:
    """Why no server can be started here (None: one can)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the PostgreSQL driver is missing: pip install 'mlpkit[postgres]'"
    if binaries() is None:
        return "no PostgreSQL server here (Debian: apt-get install postgresql)"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or _uid("postgres") is None):
        return "running as root without a 'postgres' user to run the server as"
    return None


def _uid(user: str) -> int | None:
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(database: str = "mlpkit") -> Iterator[str]:
    """Yield the URL of a fresh database on a new server; everything is removed after."""
    bin_dir = binaries()
    root = Path(tempfile.mkdtemp(prefix="mlpkit-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        os.chown(root, _uid("postgres"), -1)
    data, port = root / "data", _free_port()

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, timeout=120,
                       cwd=root)

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
        "--no-sync")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
        "-w", "start")
    try:
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
            database)
        yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60, cwd=root)
        shutil.rmtree(root, ignore_errors=True)
