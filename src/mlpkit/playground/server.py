"""The playground's web server: the standard library's threading HTTP server, Server-Sent
Events for frames, POST for commands.

Why this server: it costs no dependency, and one SSE stream of ~30 frames a second plus a
POST per click is all the page needs (WebSockets would add a dependency for nothing the page
uses). Safe by default, as Jupyter's server: it binds 127.0.0.1 only; every request must name
this server in its Host header (a DNS-rebinding page cannot); the page and its API need the
per-start token; bodies are bounded; the assets are the package's own files, by name, and the
page loads nothing from anywhere else (a Content-Security-Policy says so to the browser).
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from mlpkit.errors import MlpkitError
from mlpkit.io.atomic import json_safe
from mlpkit.playground.frames import Painter
from mlpkit.playground.worker import Worker

MAX_BODY = 256 * 1024             # bytes of one command
FRAME_INTERVAL = 1 / 30           # at most 30 frames a second per page
COMMAND_TIMEOUT = 120.0           # an export of a large network takes a while
ASSETS = {"app.js": "text/javascript", "style.css": "text/css"}
POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
          "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class Playground(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, worker: Worker, port: int) -> None:
        try:
            super().__init__(("127.0.0.1", port), Handler)
        except OSError:                       # busy: any free port
            super().__init__(("127.0.0.1", 0), Handler)
        self.worker = worker
        self.token = secrets.token_urlsafe(24)
        self.port = self.server_address[1]
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        self.closing = threading.Event()
        self.loop_thread: threading.Thread | None = None

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self.loop_thread = threading.current_thread()
        super().serve_forever(poll_interval)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def close(self) -> None:
        """Stop the worker, the loop and the socket. ``shutdown`` only for a loop on another
        thread: on the loop's own thread (Ctrl-C) the loop is over, and a Ctrl-C that came
        before the loop's first line would leave ``shutdown`` waiting forever."""
        self.closing.set()
        self.worker.close()
        if self.loop_thread not in (None, threading.current_thread()):
            self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: Playground
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:     # quiet: the terminal shows the URL only
        pass

    # ---- checks every request passes first
    def _allowed(self, token: str | None) -> bool:
        if self.headers.get("Host") not in self.server.hosts:
            self._send(HTTPStatus.FORBIDDEN, b"refused: unexpected Host header", "text/plain")
            return False
        if token is not None and hmac.compare_digest(token, self.server.token):
            return True
        self._send(HTTPStatus.FORBIDDEN, b"refused: missing or wrong token", "text/plain")
        return False

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        token = parse_qs(url.query).get("token", [None])[0]
        if url.path.startswith("/static/") and url.path[8:] in ASSETS:
            if self._allowed(self.server.token):      # the Host check; assets need no token
                name = url.path[8:]
                self._send(HTTPStatus.OK, _asset(name), ASSETS[name])
            return
        if not self._allowed(token):
            return
        if url.path == "/":
            page = _asset("index.html").replace(b"{{token}}", self.server.token.encode())
            self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
        elif url.path == "/api/events":
            self._events()
        elif url.path == "/api/settings":
            self._json(HTTPStatus.OK, self.server.worker.settings.to_dict())
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def do_POST(self) -> None:
        if not self._allowed(self.headers.get("X-Token")):
            return
        if urlsplit(self.path).path != "/api/command":
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length", "-1"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                       {"error": f"A command is at most {MAX_BODY} bytes."})
            return
        try:
            command = json.loads(self.rfile.read(length))
            if not isinstance(command, dict) or not isinstance(command.get("op"), str):
                raise ValueError
        except ValueError:
            self._json(HTTPStatus.BAD_REQUEST, {"error": "A command is JSON: {\"op\": ...}."})
            return
        future = self.server.worker.send(command["op"], command)
        try:
            self._json(HTTPStatus.OK, future.result(timeout=COMMAND_TIMEOUT))
        except MlpkitError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except FutureTimeout:
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "The trainer did not answer."})

    # ---- the frame stream
    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        worker, painter, version, curve_from = self.server.worker, None, 0, 0
        try:
            while not self.server.closing.is_set():
                started = time.monotonic()
                snapshot = worker.wait_for(version, timeout=10.0)
                if snapshot is None:
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
                    continue
                view = worker.view
                if view is not None and (painter is None or painter.view is not view):
                    painter, curve_from = Painter(view), 0
                    self._event("static", view.static)
                if painter is None or snapshot.build != painter.view.build:
                    curve_from = 0
                frame = painter.frame(snapshot, curve_from) if painter else \
                    {"version": snapshot.version, "error": snapshot.error}
                curve_from = snapshot.epoch       # (the curve list grows meanwhile)
                version = snapshot.version
                self._event("frame", frame)
                left = FRAME_INTERVAL - (time.monotonic() - started)
                if left > 0:
                    time.sleep(left)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _event(self, kind: str, data: dict) -> None:
        body = json.dumps(json_safe(data), separators=(",", ":"), allow_nan=False)
        self.wfile.write(f"event: {kind}\ndata: {body}\n\n".encode())
        self.wfile.flush()

    # ---- replies
    def _json(self, status: HTTPStatus, value) -> None:
        body = json.dumps(json_safe(value), allow_nan=False).encode()
        self._send(status, body, "application/json")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def _asset(name: str) -> bytes:
    return resources.files("mlpkit.playground.assets").joinpath(name).read_bytes()
