"""The playground's server: loopback only, the Host header and the token checked on every
request, bounded commands, frames as Server-Sent Events, the URL printed at once."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from mlpkit.playground.server import MAX_BODY, Playground


def request(server: Playground, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, host: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest(method, path, skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{server.port}")
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    return response.status, response.read(), response


def command(server: Playground, op: str, token: str | None = None, **args):
    body = json.dumps({"op": op, **args}).encode()
    status, data, _ = request(server, "POST", "/api/command", body,
                              {"X-Token": token or server.token,
                               "Content-Type": "application/json"})
    return status, json.loads(data) if data.startswith(b"{") else data


def test_the_page_needs_the_token_and_this_servers_host(serve):
    server = serve()
    assert server.server_address[0] == "127.0.0.1"
    status, page, response = request(server, "GET", f"/?token={server.token}")
    assert status == 200 and server.token.encode() in page
    assert "default-src 'self'" in response.getheader("Content-Security-Policy")
    assert request(server, "GET", f"/?token={server.token}",
                   host=f"localhost:{server.port}")[0] == 200
    last = "y" if server.token.endswith("x") else "x"     # one character off, never the same
    for path in ("/", "/?token=wrong", f"/api/settings?token={server.token[:-1]}{last}",
                 "/api/events"):
        assert request(server, "GET", path)[:2] == (403, b"refused: missing or wrong token")
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1:1"):
        status, said, _ = request(server, "GET", f"/?token={server.token}", host=host)
        assert (status, said) == (403, b"refused: unexpected Host header")
        assert request(server, "GET", "/static/app.js", host=host)[0] == 403
    assert request(server, "GET", "/static/app.js")[0] == 200
    assert request(server, "GET", "/static/../settings.py")[0] == 403      # not an asset


def test_commands_are_checked_and_bounded(serve):
    server = serve()
    assert command(server, "pause", token="wrong") == (403, b"refused: missing or wrong token")
    status, said, _ = request(server, "POST", "/api/command", b"x" * (MAX_BODY + 1),
                              {"X-Token": server.token})
    assert status == 413 and "at most" in json.loads(said)["error"]
    assert request(server, "POST", "/api/command", b"[1, 2]",
                   {"X-Token": server.token})[0] == 400
    status, answer = command(server, "format_disk")
    assert status == 400 and answer["error"] == "Unknown command 'format_disk'."
    status, answer = command(server, "set", values={"lr": "a lot"})
    assert status == 400 and "'lr'" in answer["error"]
    status, answer = command(server, "set", values={"lr": 0.1})
    assert status == 200 and answer["settings"]["lr"] == 0.1


def test_frames_stream_as_server_sent_events(serve):
    server = serve()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", f"/api/events?token={server.token}")
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    assert command(server, "step_epoch")[0] == 200
    events, curve = {}, []
    while "frame" not in events or events["frame"].get("epoch", 0) < 1:
        kind = response.readline().decode().strip().removeprefix("event: ")
        data = json.loads(response.readline().decode().removeprefix("data: "))
        response.readline()
        events[kind] = data
        curve = curve[:data.get("curve_from", 0)] + data.get("curve", [])
    static, frame = events["static"], events["frame"]
    assert static["classes"] == ["0", "1"] and static["hidden"] == [4, 2]
    assert len(frame["neurons"]) == 2 and [len(layer) for layer in frame["neurons"]] == [4, 2]
    assert [p["epoch"] for p in curve] == [1] and sum(map(sum, frame["confusion"])) == 250
    connection.close()


def test_a_busy_port_gives_another(serve):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        from mlpkit.playground.settings import Settings
        from mlpkit.playground.worker import Worker

        server = Playground(Worker(Settings(), None, "unused"), port)
        try:
            assert server.port != port and server.url.startswith("http://127.0.0.1:")
        finally:
            server.worker.close()
            server.server_close()


def test_the_command_prints_its_url_within_two_seconds_and_stops_on_ctrl_c(tmp_path):
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "mlpkit", "playground", "--no-browser",
                                "--port", "0", "--exports", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONWARNINGS": "ignore",
                                    "PYTHONFAULTHANDLER": "1"})
    try:
        line = process.stdout.readline()
        assert time.monotonic() - started < 2.0
        assert line.startswith("mlpkit playground: http://127.0.0.1:") and "?token=" in line
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:         # show where it hangs: every thread's stack
            process.send_signal(signal.SIGABRT)
            pytest.fail("still running 30 s after Ctrl-C:\n" + process.communicate()[1])
        assert code == 0
        assert "Traceback" not in process.stderr.read()
        assert list(tmp_path.iterdir()) == []          # wrote nothing: no export was asked
    finally:
        process.kill()


@pytest.mark.parametrize("flags, words", [
    (["--csv", "no/such.csv"], "No file 'no/such.csv'"),
    (["--port", "70000"], "--port must be 0 to 65535"),
])
def test_bad_arguments_are_one_line_and_exit_2(flags, words, capsys):
    from mlpkit.cli import main

    assert main(["playground", "--no-browser", *flags]) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1
