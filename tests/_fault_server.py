"""A small fault-injecting HTTP/1.1 server on 127.0.0.1 for retry tests.

Every request the server reads gets a 1-based sequence number ``n`` and ``schedule(n)`` decides
what happens to it: ``None`` (answer normally), ``"429"`` (``Retry-After: 0``), ``"503"``,
``"drop"`` (close the connection without a response, which httpx reports as
``RemoteProtocolError``) or ``"stall"`` (wait ``stall_seconds`` before answering, for timeouts).

Routes:

* ``GET <any path>`` -> 200 ``{"n": n, "path": ...}``.
* ``POST /things`` -> 201 ``{"id": n}``.  A POST is a create: the server records one create for
  the request's ``X-Call-Id`` header *before* it answers 503 or drops the connection (the worst
  case: the server acted, then failed), but not for a 429 (a rate limiter rejects before acting).

The server runs in a daemon thread and stops itself after ``max_lifetime`` seconds even if a test
forgets to (or hangs), so a failing test can never leave it running.  Use it as a context manager.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Fault = Literal["429", "503", "drop", "stall"]
Schedule = Callable[[int], Fault | None]


def sigma_issue_schedule(n: int) -> Fault | None:
    """Issue 4's schedule: drop every 11th request, else 503 every 7th, else 429 every 5th.

    Any four consecutive integers contain at most one multiple each of 5, 7 and 11, so there are
    never more than three faults in a row (e.g. requests 20, 21, 22: 429, 503, drop).
    """
    if n % 11 == 0:
        return "drop"
    if n % 7 == 0:
        return "503"
    if n % 5 == 0:
        return "429"
    return None


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out (stall) or gave up closes its socket before the late answer is
        # written; that BrokenPipe/ConnectionReset is expected here, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FaultServer:
    """A threaded local HTTP server whose answers follow ``schedule``; see the module docstring."""

    def __init__(self, schedule: Schedule, *, stall_seconds: float = 1.0, max_lifetime: float = 30.0) -> None:
        self.schedule = schedule
        self.stall_seconds = stall_seconds
        self.max_lifetime = max_lifetime
        self.request_count = 0
        self.faults: list[tuple[int, str, Fault]] = []
        self.creates: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fault-server", daemon=True
        )
        self._watchdog = threading.Timer(max_lifetime, self.stop)
        self._watchdog.daemon = True

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        self._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and close the listening socket; idempotent and safe from any thread."""
        with self._stop_lock:
            if self._stopped.is_set():
                return
            self._watchdog.cancel()
            if self._thread.is_alive():
                self._httpd.shutdown()
            self._httpd.server_close()
            self._stopped.set()  # only once the socket is really closed

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _next(self, method: str) -> tuple[int, Fault | None]:
        with self._lock:
            self.request_count += 1
            n = self.request_count
            fault = self.schedule(n)
            if fault is not None:
                self.faults.append((n, method, fault))
            return n, fault

    def _record_create(self, call_id: str) -> None:
        with self._lock:
            self.creates[call_id] += 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so a drop really kills a reused connection
            disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid 40 ms stalls

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _send_503(self, n: int) -> None:
                self._send_json(503, {"message": "Service unavailable", "code": "unavailable", "requestId": f"r{n}"})

            def _drop(self) -> None:
                self.close_connection = True  # no response at all; the server closes the socket

            def _read_body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _common_fault(self, fault: Fault | None) -> bool:
                """Answer 429 or stall; return True when the request has been fully answered."""
                if fault == "429":
                    self._send_json(429, {"message": "Too many requests", "code": "rate_limited"}, {"Retry-After": "0"})
                    return True
                if fault == "stall":
                    time.sleep(server.stall_seconds)
                return False

            def do_GET(self) -> None:
                n, fault = server._next("GET")
                if self._common_fault(fault):
                    return
                if fault == "503":
                    self._send_503(n)
                elif fault == "drop":
                    self._drop()
                else:
                    self._send_json(200, {"n": n, "path": self.path})

            def do_POST(self) -> None:
                self._read_body()
                n, fault = server._next("POST")
                if self._common_fault(fault):
                    return
                if self.path.split("?")[0] != "/things":
                    self._send_json(404, {"message": "Not found", "code": "not_found"})
                    return
                server._record_create(self.headers.get("X-Call-Id", ""))
                if fault == "503":
                    self._send_503(n)
                elif fault == "drop":
                    self._drop()
                else:
                    self._send_json(201, {"id": n})

        return Handler
