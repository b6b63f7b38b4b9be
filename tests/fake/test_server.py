"""The fake served over HTTP: loopback only, a free port, stopping by itself, no thread or secret left behind."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Final

import httpx
import pytest

from sigma_sdk.testing import SigmaStandin, StandinServer, run_standin

from .conftest import CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[2]


def test_run_standin_yields_a_loopback_url_and_stops_on_exit() -> None:
    """run_standin() serves on 127.0.0.1 at a free port and refuses connections once the block ends."""
    with run_standin(client_secret=CLIENT_SECRET, max_lifetime=30) as server:
        base_url = server.base_url
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base_url}/v2/whoami", timeout=5, trust_env=False).status_code == 401
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/v2/whoami", timeout=5, trust_env=False)


def test_stops_by_itself_after_its_time_limit() -> None:
    """A server nobody stops shuts itself down after max_lifetime seconds."""
    server = StandinServer(client_secret=CLIENT_SECRET, max_lifetime=0.3).start()
    base_url = server.base_url
    assert server.wait_stopped(timeout=5)
    assert server.stopped_by_time_limit
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/v2/whoami", timeout=5, trust_env=False)
    server.stop()  # idempotent


_WHOAMI: Final = b"GET /v2/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _connect(server: StandinServer) -> socket.socket:
    """A raw HTTP/1.1 connection to ``server``: keep-alive, so it stays open between requests."""
    return socket.create_connection(("127.0.0.1", httpx.URL(server.base_url).port or 80), timeout=2)


def _read_answer(connection: socket.socket) -> bytes:
    """Read one whole answer (head and Content-Length body) off ``connection``; return its head."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    assert length is not None
    while len(body) < int(length[1]):
        body += connection.recv(4096)
    return head


def _threads_left(before: set[threading.Thread], within: float = 2.0) -> set[threading.Thread]:
    """Threads started since ``before`` that are still alive after up to ``within`` seconds."""
    deadline = time.monotonic() + within
    while (left := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


@pytest.mark.parametrize("stopped_by", ["stop", "time_limit"])
def test_stopping_closes_open_keep_alive_connections(stopped_by: str) -> None:
    """stop() and the time limit close keep-alive connections left open, and leave no handler thread behind."""
    before = set(threading.enumerate())
    server = StandinServer(client_secret=CLIENT_SECRET, max_lifetime=30 if stopped_by == "stop" else 0.5).start()
    with _connect(server) as connection:
        connection.sendall(_WHOAMI)
        assert _read_answer(connection).startswith(b"HTTP/1.1 401")
        if stopped_by == "stop":
            server.stop()
        else:
            assert server.wait_stopped(timeout=5)
        assert connection.recv(1) == b""  # end of file: the server closed this connection
    assert _threads_left(before) == set()


def test_stop_cuts_off_a_stalled_request_at_once() -> None:
    """A request in a stall when stop() runs gets no answer at once, and its handler thread ends."""
    before = set(threading.enumerate())
    server = StandinServer(client_secret=CLIENT_SECRET, max_lifetime=30, stall_seconds=30).start()
    server.standin.inject("stall")
    with _connect(server) as connection:
        connection.sendall(_WHOAMI)
        deadline = time.monotonic() + 2
        while not server.standin.faults() and time.monotonic() < deadline:  # until the stall has begun
            time.sleep(0.01)
        server.stop()
        try:
            answer = connection.recv(4096)
        except ConnectionResetError:  # closed with the request unread: a reset instead of end of file
            answer = b""
        assert answer == b""
    # The handler has finished when stop() returns; its thread may take a moment more to exit.
    assert _threads_left(before) == set()
    assert server.requests == [("GET", "/v2/whoami", 0)]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])  # noqa: S104 - refused
def test_binds_loopback_only(host: str) -> None:
    """Any non-loopback address is refused before a socket is opened."""
    with pytest.raises(ValueError, match="loopback"):
        StandinServer(host=host)


def test_repr_never_shows_the_secret() -> None:
    """repr() shows the URL and client ID, never the client secret."""
    with StandinServer(client_secret=CLIENT_SECRET, max_lifetime=30) as server:
        assert server.base_url in repr(server)
        assert CLIENT_SECRET not in repr(server)


def test_server_passes_an_existing_standin_and_refuses_both(standin: SigmaStandin) -> None:
    """StandinServer serves a given standin; passing both a standin and its options is a TypeError."""
    with StandinServer(standin, max_lifetime=30) as server:
        assert server.standin is standin
        assert httpx.get(f"{server.base_url}/v2/whoami", trust_env=False).status_code == 401
    with pytest.raises(TypeError, match="either"):
        StandinServer(standin, expires_in=5)


def test_example_test_file_passes() -> None:
    """examples/test_with_standin.py, the README's example of testing your own code, passes under pytest."""
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "examples" / "test_with_standin.py"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
