import threading

import pytest

from mlpkit.playground.server import Playground
from mlpkit.playground.settings import Settings
from mlpkit.playground.worker import Worker


@pytest.fixture
def serve(tmp_path):
    """start(settings, csv) -> a playground server on a free loopback port, in this process."""
    servers = []

    def start(settings: Settings | None = None, csv: dict | None = None) -> Playground:
        worker = Worker(settings or Settings(), csv, str(tmp_path / "exports"))
        server = Playground(worker, 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
