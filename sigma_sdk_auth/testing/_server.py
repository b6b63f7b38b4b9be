"""``StandinServer``: a :class:`SigmaStandin` served over HTTP/1.1 on a loopback port, in a daemon thread.

Stdlib ``http.server`` only.  Each request becomes an ``httpx.Request`` for :meth:`SigmaStandin.handle`;
a ``drop`` fault closes the connection without an answer, as a crashed server or proxy would.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Final

import httpx

from .._transport_security import is_loopback_host
from ._answers import error_response
from ._faults import STOPPING_EXTENSION
from ._standin import RequestRecord, SigmaStandin

__all__ = ["DEFAULT_MAX_LIFETIME", "StandinServer", "run_standin"]

DEFAULT_MAX_LIFETIME: Final = 120.0
MAX_BODY_BYTES: Final = 1_000_000
# Answer headers worth passing on; httpx computes Content-Length and the server adds Date/Server.
_FORWARDED: Final = ("content-type", "content-disposition", "retry-after", "x-request-id")


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, like Sigma (and so a drop really kills a reused connection)
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server_version = "sigma-standin"
    sys_version = ""

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        host = self.headers.get("host") or "127.0.0.1"
        headers = [(k, v) for k, v in self.headers.items() if k.lower() != "host"]
        request = httpx.Request(
            self.command,
            f"http://{host}{self.path}",
            headers=headers,
            content=body,
            extensions={STOPPING_EXTENSION: self.server.stopping},  # a stall ends when the server stops
        )
        try:
            response = self.server.standin.handle(request)
        except httpx.RemoteProtocolError:  # a "drop" fault: no answer at all
            self.close_connection = True
            return
        if "content-length" in response.headers and not isinstance(response.stream, httpx.ByteStream):
            self._stream(response)  # a lazily made export: sent chunk by chunk, never held whole
        else:
            self._answer(response.status_code, response.read(), response.headers)

    def _answer(self, status: int, content: bytes, headers: httpx.Headers) -> None:
        self._send_head(status, headers, len(content))
        if status != 204:
            self.wfile.write(content)

    def _send_head(self, status: int, headers: httpx.Headers, length: int) -> None:
        self.send_response(status)
        for name in _FORWARDED:
            if name in headers:
                self.send_header(name, headers[name])
        if status != 204:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _stream(self, response: httpx.Response) -> None:
        """Send a body as its chunks come; one that breaks (or ends short) closes the connection."""
        length = int(response.headers["content-length"])
        self._send_head(response.status_code, response.headers, length)
        sent = 0
        try:
            for chunk in response.iter_raw():
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
        except Exception:  # the body's maker failed: the client sees a connection that ends early
            sent = -1
        finally:
            response.close()
        if sent != length:  # short (or long): this connection cannot carry another answer
            self.close_connection = True

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 411/413/400 itself (the connection then closes)."""
        problem = None
        if self.headers.get("transfer-encoding"):
            problem = (411, "length_required", "Send a Content-Length, not a chunked body")
        else:
            try:
                length = int(self.headers.get("content-length") or 0)
            except ValueError:
                length, problem = 0, (400, "bad_request", "Invalid Content-Length")
            if problem is None and not 0 <= length <= MAX_BODY_BYTES:
                problem = (413, "payload_too_large", "The request body is too large")
        if problem is None:
            return self.rfile.read(length) if length else b""
        self.close_connection = True
        response = error_response(*problem)
        self._answer(response.status_code, response.content, response.headers)
        return None

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: read SigmaStandin.requests or pass on_request


class _HTTPServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server that knows its open connections, so that stopping can close them.

    ``server_close`` alone closes only the listening socket: a keep-alive connection would go on
    being answered by its handler thread.
    """

    # socketserver's default backlog of 5 makes a burst of concurrent connects (dozens of callers
    # released together once a token arrives) wait for 1 s SYN retransmits.
    request_queue_size = 128
    standin: SigmaStandin
    stopping: threading.Event

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self._connections_lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}  # open connection -> its handler

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="sigma-standin-connection",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        # Called by the handler thread once it is done with the connection (and for refused ones).
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def close_connections(self, timeout: float) -> None:
        """Shut every open connection down and wait up to ``timeout`` s in all for their handlers.

        A handler blocked reading the next request sees end-of-file; one in a stall is woken by
        ``stopping`` and sends nothing; one busy otherwise fails to write its answer.
        """
        with self._connections_lock:
            open_connections = list(self._connections.items())
        for connection, _ in open_connections:
            with contextlib.suppress(OSError):  # already closed by its handler meanwhile
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in open_connections:
            if thread is not threading.current_thread():  # stop() called from a handler (on_request)
                thread.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (timed out on a stall, gave up) is not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class StandinServer:
    """Serve a :class:`SigmaStandin` on ``host`` (loopback only) and ``port`` (0: a free one).

    Pass a ready ``standin`` or the keyword arguments of :class:`SigmaStandin` (``client_id``,
    ``client_secret``, ``expires_in``, ``export_polls``, ...).  ``max_lifetime`` seconds after
    :meth:`start` the server stops itself, so it can never outlive a test.  ``on_request`` is called
    with each :data:`RequestRecord` (from the server's threads).  Use it as a context manager.
    The standin is :attr:`standin`; its most used names are repeated here (``grants()``, ``requests``...).
    """

    def __init__(
        self,
        standin: SigmaStandin | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_lifetime: float = DEFAULT_MAX_LIFETIME,
        on_request: Callable[[RequestRecord], None] | None = None,
        **standin_options: Any,
    ) -> None:
        if not is_loopback_host(host):
            raise ValueError(f"the stand-in binds loopback addresses only, not {host!r}")
        if max_lifetime <= 0:
            raise ValueError("max_lifetime must be positive")
        if standin is not None and standin_options:
            raise TypeError(f"pass either a standin or its options, not both: {sorted(standin_options)}")
        self.standin = standin if standin is not None else SigmaStandin(**standin_options)
        if on_request is not None:
            self.standin.on_request = on_request
        self._host = "127.0.0.1" if host.lower().rstrip(".") == "localhost" else host.strip("[]")
        self._port = port
        self._max_lifetime = max_lifetime
        self._state_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Timer | None = None
        self._stopping = threading.Event()
        self._stopped = threading.Event()  # set once the socket is closed
        self.stopped_by_time_limit = False

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        where = self.base_url if self._httpd is not None else "not started"
        return f"StandinServer({where}, client_id={self.standin.client_id!r}, {state})"

    # The standin's most used names, for short test code; everything else is on .standin.
    @property
    def client_id(self) -> str:
        return self.standin.client_id

    @property
    def client_secret(self) -> str:
        return self.standin.client_secret

    @property
    def user_id(self) -> str:
        return self.standin.user_id

    @property
    def organization_id(self) -> str:
        return self.standin.organization_id

    @property
    def requests(self) -> list[RequestRecord]:
        return self.standin.requests

    def grants(self) -> list[str]:
        return self.standin.grants()

    def issued_tokens(self) -> list[str]:
        return self.standin.issued_tokens()

    def expire_access_tokens(self) -> None:
        self.standin.expire_access_tokens()

    def connections(self, *, include_archived: bool = True) -> list[dict[str, Any]]:
        return self.standin.connections(include_archived=include_archived)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> StandinServer:
        with self._state_lock:
            if self._httpd is not None:
                raise RuntimeError("this StandinServer was already started")
            server_class = _HTTPServer6 if ":" in self._host else _HTTPServer
            httpd = server_class((self._host, self._port), _Handler)
            httpd.standin = self.standin
            httpd.stopping = self._stopping
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="sigma-standin", daemon=True
            )
            self._watchdog = threading.Timer(self._max_lifetime, self._time_limit_reached)
            self._watchdog.daemon = True
            self._thread.start()
            self._watchdog.start()
        return self

    def _time_limit_reached(self) -> None:
        self.stopped_by_time_limit = True
        self.stop()

    def stop(self) -> None:
        """Stop serving: close the listening socket and every open connection.  Idempotent; safe from
        any thread but the server's.  Waits (up to 5 s) for requests being answered to end."""
        with self._state_lock:
            if self._httpd is None or self._stopping.is_set():
                return
            self._stopping.set()
            httpd, thread, watchdog = self._httpd, self._thread, self._watchdog
        if watchdog is not None and watchdog is not threading.current_thread():
            watchdog.cancel()
        httpd.shutdown()  # no new connections from here on
        httpd.close_connections(timeout=5)
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._stopped.set()

    def __enter__(self) -> StandinServer:
        return self.start() if self._httpd is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None and not self._stopping.is_set()

    @property
    def stopped(self) -> bool:
        """True once the server has stopped and closed its socket."""
        return self._stopped.is_set()

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Block until the server has stopped and closed its socket (by :meth:`stop` or its time limit)."""
        return self._stopped.wait(timeout)

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the StandinServer has not been started")
        port = self._httpd.server_address[1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{port}"


@contextlib.contextmanager
def run_standin(*, max_lifetime: float = DEFAULT_MAX_LIFETIME, **options: Any) -> Iterator[StandinServer]:
    """Start a :class:`StandinServer` on a free loopback port; yield it; stop it on exit.

    Keyword arguments go to :class:`StandinServer` and :class:`SigmaStandin`.  The server also stops
    by itself after ``max_lifetime`` seconds.
    """
    with StandinServer(max_lifetime=max_lifetime, **options) as server:
        yield server
