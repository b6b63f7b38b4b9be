"""``SigmaStandin``: Sigma's REST API behaviour in memory, ``httpx.Request`` in, ``httpx.Response`` out.

No sockets here: :class:`~sigma_sdk_auth.testing.StandinServer` serves it over HTTP on loopback,
and :meth:`SigmaStandin.transport` plugs it straight into an httpx client.  See the package
docstring for what it serves.  This module is the request cycle; each concern is a part of its own:
``_tokens`` (grants, expiry, refresh), ``_routes`` (the operations, declared once), ``_faults``,
``_canned`` (answers a test queues), ``_exports`` and ``_resources`` (the organization's endpoints).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from urllib.parse import unquote

import httpx

from .._auth import TOKEN_PATH
from ._answers import ApiError, error_response
from ._canned import CannedAnswers
from ._data import Organization
from ._exports import MATERIALIZATION_STATUSES, ExportDesk
from ._faults import FaultDesk, rate_limited, unavailable
from ._resources import ELEMENTS_OF_A_PAGE, PAGE_NAMES, OrganizationApi
from ._routes import ROUTES
from ._tokens import DEFAULT_CLIENT_ID, TokenDesk

__all__ = ["RequestRecord", "SigmaStandin"]  # the public list is sigma_sdk_auth.testing.__all__

RequestRecord = tuple[str, str, int]
"""``(method, path with query, status)`` of one request answered; status 0: the connection was dropped."""


class _AsyncChunks(httpx.AsyncByteStream):
    """A synchronous body (an export made lazily) handed to an async client chunk by chunk."""

    def __init__(self, stream: httpx.SyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        self._stream.close()


class _Transport(httpx.MockTransport):
    """``MockTransport`` over :meth:`SigmaStandin.handle` whose streamed bodies an async client can read too."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if not isinstance(response.stream, httpx.AsyncByteStream) and isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _AsyncChunks(response.stream)
        return response


class SigmaStandin(TokenDesk, FaultDesk, CannedAnswers, ExportDesk, OrganizationApi):
    """Sigma's REST API in memory: tokens, the QuickStart's endpoints, exports and materializations.

    ``client_id``/``client_secret`` are the credentials it accepts (the secret defaults to a fresh
    random value: read :attr:`client_secret`).  ``expires_in`` is the access-token lifetime it
    announces and enforces by ``clock``.  ``connections``, ``archived``, ``members`` and
    ``workbooks`` size the seeded organization; each workbook has ``pages`` pages of ``elements``
    elements (:meth:`pages`); ``seed`` makes it reproducible.  An export's
    download answers 204 ``export_polls`` times before the file; at most ``export_rate_limit``
    exports start per minute (then 429 with ``Retry-After``).  Each GET of a materialization shows
    the next of ``materialization_statuses`` (the last one stays).  ``stall_seconds`` is how long a
    ``stall`` fault waits.  Thread-safe: the HTTP server calls :meth:`handle` from many threads.
    """

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str | None = None,
        expires_in: float = 3600,
        connections: int = 120,
        archived: int = 4,
        members: int = 30,
        workbooks: int = 12,
        seed: int = 7,
        export_polls: int = 2,
        export_rate_limit: int = 100,
        materialization_statuses: Sequence[str] = MATERIALIZATION_STATUSES,
        stall_seconds: float = 1.0,
        pages: int = 2,
        elements: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self._init_exports(export_polls, export_rate_limit, materialization_statuses)
        if not 0 <= pages <= len(PAGE_NAMES) or not 0 <= elements <= len(ELEMENTS_OF_A_PAGE):
            raise ValueError(f"pages must be 0-{len(PAGE_NAMES)} and elements 0-{len(ELEMENTS_OF_A_PAGE)}")
        self._init_tokens(client_id, client_secret, expires_in)
        self._init_faults(stall_seconds)
        self._init_canned()
        self.pages_per_workbook = pages
        self.elements_per_page = elements
        self.org = Organization(
            connections=connections, archived=archived, members=members, workbooks=workbooks, seed=seed
        )
        self._requests: list[RequestRecord] = []
        self._received = 0
        self.on_request: Callable[[RequestRecord], None] | None = None
        self.on_receive: Callable[[httpx.Request], None] | None = None  # each request as it arrives

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r}, requests={len(self._requests)})"

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers in-process (no socket), for sync and async clients alike:
        ``Client(..., transport=standin.transport(), async_transport=standin.transport())``."""
        return _Transport(self.handle)

    # -- the request cycle ------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as Sigma would (after any injected fault); record it."""
        with self.lock:
            self._received += 1
            number = self._received
        target = request.url.raw_path.decode("ascii", "replace")
        if self.on_receive is not None:
            self.on_receive(request)
        fault, retry_after = self._pick_fault(number, request, _path(request))
        if fault == "429":  # a rate limiter answers before the request is acted on
            response = rate_limited(retry_after)
        else:
            if fault == "stall" and self._stall(request):  # the server stopped: nobody is left to answer
                self._record((request.method, target, 0))
                raise httpx.RemoteProtocolError("The server stopped during a stall.", request=request)
            try:
                response = self._canned_or_respond(request, number, target)
            except ApiError as exc:
                response = error_response(exc.status, exc.code, exc.message, exc.headers)
            if fault == "503":  # acted on all the same: the worst case for a create
                response = unavailable()
            elif fault == "drop":
                self._record((request.method, target, 0))
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        self._record((request.method, target, response.status_code))
        return response

    def _canned_or_respond(self, request: httpx.Request, number: int, target: str) -> httpx.Response:
        if request.url.path != TOKEN_PATH and self._has_canned():
            self.authorize(request)
            canned = self._take_canned(request)
            if isinstance(canned, httpx.Response):
                return canned
            if canned is not None:
                try:
                    return canned(request)
                except BaseException:
                    self._record((request.method, target, 0))
                    raise
        return self.respond(request, number)

    def respond(self, request: httpx.Request, number: int) -> httpx.Response:
        """The answer without faults: the token endpoint, else a bearer check and the API's routes.

        Override it to serve something else on the same plumbing; ``number`` is the request's
        1-based sequence number.  Raise :class:`ApiError` for an error answer.
        """
        if request.url.path == TOKEN_PATH and request.method == "POST":
            return self.token_endpoint(request)
        self.authorize(request)  # Sigma checks the token before it looks at the path
        return self.route(request)

    def route(self, request: httpx.Request) -> httpx.Response:
        """Dispatch an authorized request to the endpoint it names (404/405 otherwise)."""
        return ROUTES.dispatch(self, request)

    def _record(self, record: RequestRecord) -> None:
        with self.lock:
            self._requests.append(record)
        if self.on_request is not None:
            self.on_request(record)

    # -- inspection -------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """``(method, path with query, status)`` of every request answered so far, in order."""
        with self.lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        """How many requests arrived so far, those still being answered included."""
        with self.lock:
            return self._received

    def requests_to(self, path: str, method: str | None = None) -> list[RequestRecord]:
        """The recorded requests whose path (without the query) is ``path``."""
        return [r for r in self.requests if r[1].split("?")[0] == path and (method is None or r[0] == method)]


def _path(request: httpx.Request) -> str:
    """The request's path as faults match it: percent-decoded, without a trailing slash."""
    return unquote(request.url.path).rstrip("/") or "/"
