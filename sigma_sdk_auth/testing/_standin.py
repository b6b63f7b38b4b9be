"""``SigmaStandin``: Sigma's REST API behaviour in memory, ``httpx.Request`` in, ``httpx.Response`` out.

No sockets here: :class:`~sigma_sdk_auth.testing.StandinServer` serves it over HTTP on loopback,
and :meth:`SigmaStandin.transport` plugs it straight into an httpx client.  See the package
docstring for what it serves.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import math
import random
import re
import secrets
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, unquote

import httpx

from .._auth import TOKEN_PATH
from ._data import Organization, iso_timestamp

# The public names are listed once, in sigma_sdk_auth.testing.__all__.

DEFAULT_CLIENT_ID: Final = "standin-client-id"
ACCESS_TOKEN_PREFIX: Final = "standin-access-"
REFRESH_TOKEN_PREFIX: Final = "standin-refresh-"
TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
DEFAULT_PAGE_SIZE: Final = 50  # what Sigma returns when no limit is given
MAX_PAGE_SIZE: Final = 1000

# A request extension StandinServer sets to its "stopping" event: a stall it interrupts gets no answer.
_STOPPING_EXTENSION: Final = "sigma_standin.stopping"

Fault = Literal["429", "503", "drop", "stall"]
"""An injected failure: ``429`` (``Retry-After``, before the request is acted on, like a rate limiter),
``503`` or ``drop`` (after it was acted on: the worst case for a create), ``stall`` (answer late)."""

FaultSchedule = Callable[[int, httpx.Request], "Fault | None"]
"""Decides a fault from a request's 1-based sequence number and the request itself."""

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]
"""A canned answer for :meth:`SigmaStandin.answer`: a response, or a function of the request (it may
raise an ``httpx.TransportError`` to play a network failure in-process)."""

RequestRecord = tuple[str, str, int]
"""``(method, path with query, status)`` of one request answered; status 0: the connection was dropped."""

_EXPORT_FORMATS: Final[Mapping[str, tuple[str, str]]] = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "jsonl": ("application/x-ndjson", "jsonl"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pdf": ("application/pdf", "pdf"),
    "png": ("image/png", "png"),
}
_MATERIALIZATION_STATUSES: Final = ("pending", "building", "ready")
_WORKBOOK: Final = re.compile(r"/v2/workbooks/(?P<workbook>[^/]+)")
_EXPORT: Final = re.compile(r"/v2/workbooks/(?P<workbook>[^/]+)/export")
_MATERIALIZE: Final = re.compile(r"/v2/workbooks/(?P<workbook>[^/]+)/materializations")
_MATERIALIZATION: Final = re.compile(r"/v2/workbooks/(?P<workbook>[^/]+)/materializations/(?P<id>[^/]+)")
_PAGES: Final = re.compile(r"/v2/workbooks/(?P<workbook>[^/]+)/pages")
_ELEMENTS: Final = re.compile(r"/v2/workbooks/(?P<workbook>[^/]+)/pages/(?P<page>[^/]+)/elements")
# Each workbook's pages and their elements, made from its ID (so add_workbook's get them too).
_PAGE_NAMES: Final = ("Overview", "Details", "Forecast", "Appendix")
_ELEMENTS_OF_A_PAGE: Final = (
    ("Revenue by region", "visualization", "bar", ("Region", "Revenue")),
    ("Orders", "table", "levelTable", ("Order Id", "Region", "Revenue", "Order Date")),
    ("Top customers", "pivot-table", "pivotTable", ("Customer", "Revenue")),
    ("Notes", "text", "text", ()),
)
_DOWNLOAD: Final = re.compile(r"/v2/query/(?P<query>[^/]+)/download")
_CONNECTION: Final = re.compile(r"/v2/connections/(?P<id>[^/]+)")
_MEMBER: Final = re.compile(r"/v2/members/(?P<id>[^/]+)")
_PEM_KEY: Final = re.compile(
    r"-----BEGIN (?P<kind>(?:ENCRYPTED |RSA )?PRIVATE KEY)-----\s+[A-Za-z0-9+/=\s]+-----END (?P=kind)-----\s*"
)
_SNOWFLAKE_STRINGS: Final = ("server", "account", "host", "warehouse", "role", "user", "sourceSwapPolicyId")
_AUTH_TYPES: Final = ("basic-auth", "key-pair", "oauth")


class ApiError(Exception):
    """An error answer: HTTP status plus Sigma's ``{message, code}`` (and extra headers, e.g. Retry-After)."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def _bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def _not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found: {ident[:80]}")


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
    """Sigma's error body ``{message, code, requestId}`` with the request id also in ``X-Request-Id``."""
    request_id = str(uuid.uuid4())
    body = {"message": message, "code": code, "requestId": request_id}
    return httpx.Response(status, json=body, headers={"X-Request-Id": request_id, **(headers or {})})


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ExportFile:
    """The file an export's download serves: bytes, or chunks made lazily (never all in memory).

    ``content`` is the bytes, or a function returning a fresh iterable of chunks for each download
    (it may raise mid-way, e.g. ``httpx.RemoteProtocolError``, to break the body in-process).
    ``size`` is the ``Content-Length`` sent (required for a function; a body shorter than it is a
    download that ends early).  ``content_type`` and ``filename`` default to the export's format
    and a name from its query id; ``disposition`` replaces the whole ``Content-Disposition`` header.
    """

    __slots__ = ("_content", "content_type", "disposition", "filename", "size")

    def __init__(
        self,
        content: bytes | Callable[[], Iterable[bytes]],
        *,
        size: int | None = None,
        content_type: str | None = None,
        filename: str | None = None,
        disposition: str | None = None,
    ) -> None:
        if isinstance(content, bytes):
            size = len(content) if size is None else size
        elif not callable(content):
            raise TypeError(f"content must be bytes or a function returning chunks, not {type(content).__name__}")
        if size is None or size < 0:
            raise ValueError("size (the Content-Length to send, >= 0) is required for lazily made content")
        self._content = content
        self.size = size
        self.content_type = content_type
        self.filename = filename
        self.disposition = disposition

    @classmethod
    def random(
        cls,
        size: int,
        *,
        seed: int = 0,
        chunk_size: int = 64 * 1024,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> ExportFile:
        """``size`` reproducible pseudo-random bytes, made ``chunk_size`` at a time on each download."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")

        def chunks() -> Iterator[bytes]:
            rng = random.Random(seed)
            sent = 0
            while sent < size:
                piece = rng.randbytes(min(chunk_size, size - sent))
                sent += len(piece)
                yield piece

        return cls(chunks, size=size, content_type=content_type, filename=filename)

    def body(self) -> bytes | Iterator[bytes]:
        """What a download sends: the bytes as they are, or a fresh iterator of the chunks."""
        return self._content if isinstance(self._content, bytes) else iter(self._content())

    def iter_bytes(self) -> Iterator[bytes]:
        """The file's chunks, made afresh (compare a download against them without holding either)."""
        if isinstance(self._content, bytes):
            yield self._content
        else:
            yield from self._content()

    def __repr__(self) -> str:
        return f"ExportFile(size={self.size}, content_type={self.content_type!r}, filename={self.filename!r})"


class ExportJob:
    """One export started with ``POST /v2/workbooks/{workbookId}/export`` (or :meth:`SigmaStandin.add_export`)."""

    __slots__ = ("content_type", "file", "filename", "format", "pending_polls", "polls", "query_id", "workbook_id")

    def __init__(self, *, query_id: str, workbook_id: str, format: str, pending_polls: int, file: ExportFile) -> None:
        self.query_id = query_id
        self.workbook_id = workbook_id
        self.format = format
        self.pending_polls = pending_polls  # how many more downloads answer 204
        self.polls = 0  # download requests seen, 204s included
        self.file = file
        default_type, extension = _EXPORT_FORMATS[format]
        self.content_type = file.content_type or default_type
        self.filename = file.filename or f"export-{query_id[:8]}.{extension}"

    @property
    def content(self) -> bytes:
        """The whole file (joined from its chunks: for small exports)."""
        return b"".join(self.file.iter_bytes())

    def __repr__(self) -> str:
        return f"ExportJob({self.query_id!r}, format={self.format!r}, polls={self.polls}, bytes={self.file.size})"


class Materialization:
    """One materialization started with ``POST /v2/workbooks/{workbookId}/materializations``."""

    __slots__ = ("materialization_id", "sheet_id", "started_at", "statuses", "workbook_id")

    def __init__(self, *, materialization_id: str, workbook_id: str, sheet_id: str, statuses: Sequence[str]) -> None:
        self.materialization_id = materialization_id
        self.workbook_id = workbook_id
        self.sheet_id = sheet_id
        self.statuses = deque(statuses)  # each GET shows the first; the last one stays
        self.started_at = iso_timestamp(datetime.datetime.now(datetime.UTC))

    @property
    def status(self) -> str:
        return self.statuses[0]

    def __repr__(self) -> str:
        return f"Materialization({self.materialization_id!r}, status={self.status!r})"


class _Canned:
    __slots__ = ("answer", "method", "remaining")

    def __init__(self, answer: Answer, method: str | None, times: int | None) -> None:
        self.answer, self.method, self.remaining = answer, method, times


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


class _Injected:
    __slots__ = ("fault", "method", "path", "remaining", "retry_after")

    def __init__(self, fault: Fault, path: str | None, method: str | None, times: int, retry_after: float) -> None:
        self.fault, self.path, self.method, self.remaining, self.retry_after = fault, path, method, times, retry_after


class SigmaStandin:
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
        materialization_statuses: Sequence[str] = _MATERIALIZATION_STATUSES,
        stall_seconds: float = 1.0,
        pages: int = 2,
        elements: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not materialization_statuses:
            raise ValueError("materialization_statuses needs at least one status")
        self.client_id = client_id
        self._client_secret = client_secret if client_secret is not None else secrets.token_urlsafe(24)
        self.expires_in = expires_in
        self.export_polls = export_polls
        self.export_rate_limit = export_rate_limit
        self.materialization_statuses = tuple(materialization_statuses)
        if not 0 <= pages <= len(_PAGE_NAMES) or not 0 <= elements <= len(_ELEMENTS_OF_A_PAGE):
            raise ValueError(f"pages must be 0-{len(_PAGE_NAMES)} and elements 0-{len(_ELEMENTS_OF_A_PAGE)}")
        self.pages_per_workbook = pages
        self.elements_per_page = elements
        self.stall_seconds = stall_seconds
        self.fault_schedule: FaultSchedule | None = None
        self.clock = clock
        self.org = Organization(
            connections=connections, archived=archived, members=members, workbooks=workbooks, seed=seed
        )
        self.lock = threading.RLock()
        self._access: dict[str, float] = {}  # access token -> expiry (clock time)
        self._refresh: set[str] = set()
        self._issued: list[str] = []
        self._grants: list[str] = []
        self._requests: list[RequestRecord] = []
        self._faults: list[tuple[int, str, str, Fault]] = []
        self._injected: list[_Injected] = []
        self._exports: dict[str, ExportJob] = {}
        self._export_starts: deque[float] = deque()
        self._materializations: dict[str, Materialization] = {}
        self._received = 0
        self.export_requests: list[Any] = []  # the JSON body of every export started by POST
        self.exchanges: list[dict[str, Any]] = []  # verified impersonation requests: {"header", "claims"}
        self.on_request: Callable[[RequestRecord], None] | None = None
        self.on_receive: Callable[[httpx.Request], None] | None = None  # each request as it arrives
        self.export_file: ExportFile | None = None  # what exports serve instead of rows of the workbook
        self.new_query_id: Callable[[], str] = lambda: str(uuid.uuid4())  # an export's queryId
        self._canned: dict[str, list[_Canned]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r}, requests={len(self._requests)})"

    @property
    def client_secret(self) -> str:
        return self._client_secret

    @property
    def user_id(self) -> str:
        """The member ID of the user the credentials belong to (``GET /v2/whoami``)."""
        return self.org.user_id

    @property
    def organization_id(self) -> str:
        return self.org.organization_id

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers in-process (no socket), for sync and async clients alike:
        ``Client(..., transport=standin.transport(), async_transport=standin.transport())``."""
        return _Transport(self.handle)

    # -- canned answers and seeded objects ----------------------------------------------------------

    def answer(self, path: str, *answers: Answer, method: str | None = None, times: int | None = 1) -> None:
        """Answer the next requests to ``path`` with ``answers``, in order, instead of the stand-in's own.

        ``path`` is matched as sent (percent-encoded, without the query); the bearer token is still
        checked first.  Each answer serves ``times`` requests (``None``: every later one, so put it
        last).  An answer may be a function of the request; an exception it raises reaches the client
        in-process (recorded with status 0).  Queued answers add to those already waiting.
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every later request)")
        if not answers:
            raise ValueError("give at least one answer")
        with self.lock:
            queue = self._canned.setdefault(path, [])
            queue.extend(_Canned(answer, method.upper() if method else None, times) for answer in answers)

    def _take_canned(self, request: httpx.Request) -> Answer | None:
        path = request.url.raw_path.decode("ascii", "replace").split("?")[0]
        with self.lock:
            queue = self._canned.get(path, [])
            for canned in queue:
                if canned.method in (None, request.method):
                    if canned.remaining is not None:
                        canned.remaining -= 1
                        if canned.remaining == 0:
                            queue.remove(canned)
                    return canned.answer
        return None

    def add_workbook(self, name: str, *, workbook_id: str | None = None) -> dict[str, Any]:
        """Add a workbook to the organization (e.g. with the ID your code expects); return a copy."""
        template = next(iter(self.org.workbooks.values()), None)
        workbook_id = workbook_id or str(uuid.uuid4())
        now = iso_timestamp(datetime.datetime.now(datetime.UTC))
        workbook: dict[str, Any] = dict(template) if template else {}
        workbook.update(
            workbookId=workbook_id,
            workbookUrlId=workbook_id,
            name=name,
            url=f"https://app.sigmacomputing.com/standin/workbook/{workbook_id}",
            path="My Documents",
            latestVersion=1,
            ownerId=self.user_id,
            createdBy=self.user_id,
            updatedBy=self.user_id,
            createdAt=now,
            updatedAt=now,
            isArchived=False,
        )
        with self.lock:
            self.org.workbooks[workbook_id] = workbook
        return dict(workbook)

    def add_export(
        self,
        workbook_id: str | None = None,
        *,
        query_id: str | None = None,
        format: str = "csv",
        file: ExportFile | None = None,
    ) -> ExportJob:
        """An export started elsewhere (a schedule, another process), for code that downloads by query id.

        Its download answers 204 :attr:`export_polls` times, then ``file`` (default :attr:`export_file`,
        else rows of the workbook, default the first).  A ``query_id`` already known is replaced.
        """
        if format not in _EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(_EXPORT_FORMATS)}")
        with self.lock:
            if workbook_id is None:
                workbook_id = next(iter(self.org.workbooks), None)
            workbook = self.org.workbooks.get(workbook_id) if workbook_id is not None else None
            if workbook is None:
                raise ValueError(f"no workbook {workbook_id!r} in the stand-in's organization (add_workbook)")
            return self._new_export(workbook, format, rows=100, query_id=query_id, file=file)

    def _new_export(
        self, workbook: Mapping[str, Any], kind: str, *, rows: int, query_id: str | None, file: ExportFile | None
    ) -> ExportJob:
        file = file or self.export_file or ExportFile(_export_content(kind, workbook, rows))
        job = ExportJob(
            query_id=query_id or self.new_query_id(),
            workbook_id=workbook["workbookId"],
            format=kind,
            pending_polls=self.export_polls,
            file=file,
        )
        self._exports.pop(job.query_id, None)  # a replaced export counts as the newest
        self._exports[job.query_id] = job
        return job

    # -- fault injection --------------------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int = 1,
        retry_after: float = 0,
    ) -> None:
        """Make the next ``times`` requests (to ``path``, with ``method``, when given) fail with ``fault``.

        ``429`` answers before the request is acted on, with ``Retry-After: retry_after``; ``503`` and
        ``drop`` after it was acted on; ``stall`` waits :attr:`stall_seconds`, then answers normally
        (or, if the :class:`StandinServer` serving it stops meanwhile, not at all).
        """
        if fault not in ("429", "503", "drop", "stall"):
            raise ValueError(f"unknown fault {fault!r}: use '429', '503', 'drop' or 'stall'")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self.lock:
            self._injected.append(_Injected(fault, path, method.upper() if method else None, times, retry_after))

    def _pick_fault(self, number: int, request: httpx.Request, path: str) -> tuple[Fault | None, float]:
        fault: Fault | None
        with self.lock:
            for injected in self._injected:
                if (injected.path in (None, path)) and (injected.method in (None, request.method)):
                    injected.remaining -= 1
                    if injected.remaining == 0:
                        self._injected.remove(injected)
                    fault, retry_after = injected.fault, injected.retry_after
                    break
            else:
                fault, retry_after = (self.fault_schedule(number, request) if self.fault_schedule else None), 0.0
            if fault is not None:
                self._faults.append((number, request.method, path, fault))
        return fault, retry_after

    # -- the request cycle ------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as Sigma would (after any injected fault); record it."""
        with self.lock:
            self._received += 1
            number = self._received
        path = unquote(request.url.path).rstrip("/") or "/"
        target = request.url.raw_path.decode("ascii", "replace")
        if self.on_receive is not None:
            self.on_receive(request)
        fault, retry_after = self._pick_fault(number, request, path)
        if fault == "429":
            response = error_response(429, "rate_limited", "Too many requests", {"Retry-After": f"{retry_after:g}"})
        else:
            if fault == "stall":
                stopping = request.extensions.get(_STOPPING_EXTENSION)
                if not isinstance(stopping, threading.Event):
                    time.sleep(self.stall_seconds)
                elif stopping.wait(self.stall_seconds):  # the server is stopping: nobody is left to answer
                    self._record((request.method, target, 0))
                    raise httpx.RemoteProtocolError("The server stopped during a stall.", request=request)
            try:
                response = self._canned_or_respond(request, number, target)
            except ApiError as exc:
                response = error_response(exc.status, exc.code, exc.message, exc.headers)
            if fault == "503":
                response = error_response(503, "unavailable", "Service unavailable")
            elif fault == "drop":
                self._record((request.method, target, 0))
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        self._record((request.method, target, response.status_code))
        return response

    def _canned_or_respond(self, request: httpx.Request, number: int, target: str) -> httpx.Response:
        if request.url.path != TOKEN_PATH and self._canned:
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

    def _record(self, record: RequestRecord) -> None:
        with self.lock:
            self._requests.append(record)
        if self.on_request is not None:
            self.on_request(record)

    # -- tokens -----------------------------------------------------------------------------------

    def new_token(self, kind: str) -> str:
        """A fresh token of ``kind`` (``access``, ``refresh`` or ``impersonated``)."""
        return f"standin-{kind}-{secrets.token_urlsafe(24)}"

    def issue(self, *, refresh: bool = True, kind: str = "access") -> dict[str, Any]:
        """Issue an access token (and a refresh token unless ``refresh=False``); return the token body."""
        with self.lock:
            access = self.new_token(kind)
            self._access[access] = self.clock() + self.expires_in
            self._issued.append(access)
            body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": self.expires_in}
            if refresh:
                body["refresh_token"] = self.new_token("refresh")
                self._refresh.add(body["refresh_token"])
                self._issued.append(body["refresh_token"])
            return body

    def _client_matches(self, request: httpx.Request, form: Mapping[str, str]) -> bool:
        authorization = request.headers.get("authorization", "")
        if authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            given_id, _, given_secret = decoded.partition(":")
        else:
            given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
        return hmac.compare_digest(given_id.encode(), self.client_id.encode()) and hmac.compare_digest(
            given_secret.encode(), self._client_secret.encode()
        )

    def token_endpoint(self, request: httpx.Request) -> httpx.Response:
        """``POST /v2/auth/token``: client_credentials, refresh_token (rotating) and token exchange."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise _bad_request("The token endpoint takes an application/x-www-form-urlencoded body")
        try:
            form = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise _bad_request("The form body is not UTF-8") from None
        grant = form.get("grant_type", "")
        with self.lock:
            self._grants.append(grant)
            if grant == TOKEN_EXCHANGE:
                return httpx.Response(200, json=self._exchange(request, form))
            if grant not in ("client_credentials", "refresh_token"):
                raise _bad_request(f"Unsupported grant_type: {grant[:80]}" if grant else "grant_type is required")
            if not self._client_matches(request, form):
                raise ApiError(401, "unauthorized", "Invalid client credentials")
            if grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                if refresh not in self._refresh:
                    raise ApiError(401, "unauthorized", "Invalid or expired refresh token")
                self._refresh.discard(refresh)  # rotation: a refresh token works once
            return httpx.Response(200, json=self.issue())

    def _exchange(self, request: httpx.Request, form: Mapping[str, str]) -> dict[str, Any]:
        """Impersonation: a subject JWT signed (HS256) with the client secret, for an admin's bearer."""
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        actor = form.get("actor_token", "")
        if scheme.lower() != "bearer" or not hmac.compare_digest(bearer.strip(), actor) or not self._valid(actor):
            raise ApiError(401, "unauthorized", "The actor token must be a valid access token sent as the bearer")
        header, claims = self._verify_subject_token(form.get("subject_token", ""))
        self.exchanges.append({"header": header, "claims": claims})
        body = self.issue(refresh=False, kind="impersonated")
        body["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token"
        return body

    def _verify_subject_token(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            head, payload, signature = token.split(".")
            header = json.loads(_b64url_decode(head))
            claims = json.loads(_b64url_decode(payload))
            given = _b64url_decode(signature)
        except (ValueError, binascii.Error):
            raise _bad_request("subject_token is not a JWT") from None
        expected = hmac.new(self._client_secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
        if header.get("alg") != "HS256" or not hmac.compare_digest(given, expected):
            raise ApiError(401, "unauthorized", "subject_token is not signed (HS256) with the client secret")
        if header.get("kid") != self.client_id:
            raise ApiError(401, "unauthorized", "subject_token's kid is not the client ID")
        if not (claims.get("sub") or claims.get("tenant")):
            raise _bad_request("subject_token needs a sub (user email) or tenant claim")
        if isinstance(claims.get("exp"), int | float) and claims["exp"] < time.time():
            raise ApiError(401, "unauthorized", "subject_token has expired")
        return header, claims

    def _valid(self, token: str) -> bool:
        expiry = self._access.get(token)
        return expiry is not None and expiry > self.clock()

    def authorize(self, request: httpx.Request) -> None:
        """Raise a 401 :class:`ApiError` unless the request carries a valid, unexpired bearer token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self.lock:
            if scheme.lower() != "bearer" or not self._valid(token.strip()):
                raise ApiError(401, "unauthorized", "Unauthorized")

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired (its next use answers 401)."""
        with self.lock:
            for token in self._access:
                self._access[token] = float("-inf")

    def revoke_refresh_tokens(self) -> None:
        """Make every refresh token issued so far invalid (a refresh then answers 401)."""
        with self.lock:
            self._refresh.clear()

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

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token handed out so far (look for them in logs: they must not be there)."""
        with self.lock:
            return list(self._issued)

    def grants(self) -> list[str]:
        """The ``grant_type`` of every token request, in order."""
        with self.lock:
            return list(self._grants)

    def faults(self) -> list[tuple[int, str, str, Fault]]:
        """``(request number, method, path, fault)`` of every fault served."""
        with self.lock:
            return list(self._faults)

    def exports(self) -> list[ExportJob]:
        """Every export started, in order."""
        with self.lock:
            return list(self._exports.values())

    def materializations(self) -> list[Materialization]:
        """Every materialization started, in order."""
        with self.lock:
            return list(self._materializations.values())

    def connections(self, *, include_archived: bool = True) -> list[dict[str, Any]]:
        """A copy of every connection (seeded and created), in list order."""
        with self.lock:
            return [dict(c) for c in self.org.connections.values() if include_archived or not c["isArchived"]]

    def members(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(m) for m in self.org.members.values()]

    def workbooks(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(w) for w in self.org.workbooks.values()]

    # -- routes -----------------------------------------------------------------------------------

    def route(self, request: httpx.Request) -> httpx.Response:
        """Dispatch an authorized request to the endpoint it names (404/405 otherwise)."""
        method, path = request.method, unquote(request.url.path).rstrip("/") or "/"
        query = dict(parse_qsl(request.url.query.decode("ascii", "replace"), keep_blank_values=True))
        routes: list[tuple[str | re.Pattern[str], dict[str, Callable[..., httpx.Response]]]] = [
            (
                "/v2/whoami",
                {"GET": lambda: self._json({"userId": self.user_id, "organizationId": self.organization_id})},
            ),
            ("/v2/connections", {"GET": lambda: self._list_connections(query), "POST": lambda: self._create(request)}),
            ("/v2/members", {"GET": lambda: self._list_members(query)}),
            ("/v2/workbooks", {"GET": lambda: self._list_workbooks(query)}),
            ("/v2/accountTypes", {"GET": lambda: self._list_account_types(query)}),
            (_CONNECTION, {"GET": lambda id: self._get(self.org.connections, "Connection", id)}),
            (_MEMBER, {"GET": lambda id: self._get(self.org.members, "Member", id)}),
            (_WORKBOOK, {"GET": lambda workbook: self._get(self.org.workbooks, "Workbook", workbook)}),
            (_PAGES, {"GET": lambda workbook: self._list_pages(workbook, query)}),
            (_ELEMENTS, {"GET": lambda workbook, page: self._list_elements(workbook, page, query)}),
            (_EXPORT, {"POST": lambda workbook: self._export(workbook, request)}),
            (_DOWNLOAD, {"GET": lambda query: self._download(query)}),
            (_MATERIALIZE, {"POST": lambda workbook: self._materialize(workbook, request)}),
            (_MATERIALIZATION, {"GET": lambda workbook, id: self._materialization(workbook, id)}),
        ]
        for pattern, methods in routes:
            match = pattern.fullmatch(path) if isinstance(pattern, re.Pattern) else None
            if match is None and pattern != path:
                continue
            if method not in methods:
                raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {path[:100]}")
            with self.lock:
                return methods[method](**(match.groupdict() if match else {}))
        raise ApiError(404, "not_found", f"No route for {method} {path[:100]}")

    @staticmethod
    def _json(body: object, status: int = 200) -> httpx.Response:
        return httpx.Response(status, json=body)

    def _get(self, table: Mapping[str, dict[str, Any]], what: str, ident: str) -> httpx.Response:
        item = table.get(ident)
        if item is None:
            raise _not_found(what, ident)
        return self._json(dict(item))

    @staticmethod
    def _flag(query: Mapping[str, str], name: str) -> bool:
        text = query.get(name, "false").lower()
        if text not in ("true", "false"):
            raise _bad_request(f"{name} must be true or false")
        return text == "true"

    @staticmethod
    def _limit(query: Mapping[str, str], name: str = "limit") -> int | None:
        if name not in query:
            return None
        try:
            number = float(query[name])
        except ValueError:
            raise _bad_request(f"{name} must be a number") from None
        if not number.is_integer() or not 1 <= number <= MAX_PAGE_SIZE:
            raise _bad_request(f"{name} must be a whole number from 1 to {MAX_PAGE_SIZE}")
        return int(number)

    @staticmethod
    def _offset(token: str, key: str) -> int:
        """Decode an opaque cursor; a forged one or one from another query is a 400."""
        if not token:
            return 0
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            offset, page_key = int(decoded["o"]), str(decoded["k"])
        except (ValueError, KeyError, TypeError, UnicodeEncodeError, binascii.Error):
            raise _bad_request("Invalid page token") from None
        if page_key != key or offset < 0:
            raise _bad_request("The page token belongs to another query")
        return offset

    @staticmethod
    def _cursor(offset: int, key: str) -> str:
        return base64.urlsafe_b64encode(json.dumps({"o": offset, "k": key}, separators=(",", ":")).encode()).decode()

    def _page(
        self, items: Sequence[dict[str, Any]], query: Mapping[str, str], key_parts: Iterable[object]
    ) -> httpx.Response:
        """``page``/``limit`` pagination: ``{entries, nextPage, total}``, nextPage null on the last page."""
        limit = self._limit(query) or DEFAULT_PAGE_SIZE
        key = hashlib.sha256("\0".join(map(str, key_parts)).encode()).hexdigest()[:12]
        offset = self._offset(query.get("page", ""), key)
        next_page = self._cursor(offset + limit, key) if offset + limit < len(items) else None
        entries = [dict(item) for item in items[offset : offset + limit]]
        return self._json({"entries": entries, "nextPage": next_page, "total": len(items)})

    def _list_connections(self, query: Mapping[str, str]) -> httpx.Response:
        include_archived, search = self._flag(query, "includeArchived"), query.get("search", "")
        matching = [
            c
            for c in self.org.connections.values()
            if (include_archived or not c["isArchived"]) and search.lower() in c["name"].lower()
        ]
        return self._page(matching, query, ("connections", include_archived, search))

    def _list_members(self, query: Mapping[str, str]) -> httpx.Response:
        archived, inactive = self._flag(query, "includeArchived"), self._flag(query, "includeInactive")
        search = query.get("search", "").lower()
        matching = [
            m
            for m in self.org.members.values()
            if (archived or not m["isArchived"])
            and (inactive or not m["isInactive"])
            and any(search in m[k].lower() for k in ("firstName", "lastName", "email"))
        ]
        if "limit" not in query and "page" not in query:
            return self._json([dict(m) for m in matching])  # like Sigma: a bare array without paging
        return self._page(matching, query, ("members", archived, inactive, search))

    def _list_workbooks(self, query: Mapping[str, str]) -> httpx.Response:
        archived = self._flag(query, "isArchived")
        matching = [w for w in self.org.workbooks.values() if w["isArchived"] == archived]
        return self._page(matching, query, ("workbooks", archived))

    def _list_account_types(self, query: Mapping[str, str]) -> httpx.Response:
        """``pageToken``/``pageSize`` pagination: ``{entries, nextPageToken}``, the token absent on the last page."""
        size = self._limit(query, "pageSize") or DEFAULT_PAGE_SIZE
        offset = self._offset(query.get("pageToken", ""), "accountTypes")
        body: dict[str, Any] = {"entries": [dict(t) for t in self.org.account_types[offset : offset + size]]}
        if offset + size < len(self.org.account_types):
            body["nextPageToken"] = self._cursor(offset + size, "accountTypes")
        return self._json(body)

    @staticmethod
    def _json_body(request: httpx.Request) -> Any:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _bad_request(f"{request.method} {request.url.path} takes an application/json body")
        try:
            return json.loads(request.content)
        except ValueError:
            raise _bad_request("The request body is not valid JSON") from None

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = self._json_body(request)
        fields = _validate_create(body)
        now = iso_timestamp(datetime.datetime.now(datetime.UTC))
        connection: dict[str, Any] = {
            "organizationId": self.organization_id,
            "connectionId": str(uuid.uuid4()),
            "isSample": False,
            "isAuditLog": False,
            "lastActiveAt": now,
            "name": body["name"],
            "type": "snowflake",
            "createdBy": self.user_id,
            "updatedBy": self.user_id,
            "createdAt": now,
            "updatedAt": now,
            "isArchived": False,
            "timeout": {"default": body.get("timeoutSecs", 120)},
            "friendlyName": body.get("useFriendlyNames", False),
            **fields,
        }
        self.org.connections[connection["connectionId"]] = connection
        return self._json(dict(connection), 201)

    def pages(self, workbook_id: str) -> list[dict[str, Any]]:
        """A workbook's pages, each with its ``elements``: what ``GET .../pages`` and ``.../elements`` serve."""
        if workbook_id not in self.org.workbooks:
            raise _not_found("Workbook", workbook_id)

        def stable_id(*parts: object) -> str:
            return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:12]

        return [
            {
                "pageId": stable_id(workbook_id, "page", index),
                "name": name,
                "hidden": False,
                "elements": [
                    {
                        "elementId": stable_id(workbook_id, index, "element", number),
                        "name": element_name,
                        "type": kind,
                        "vizualizationType": visualization,  # sic: Sigma's spelling
                        "columns": list(columns),
                    }
                    for number, (element_name, kind, visualization, columns) in enumerate(
                        _ELEMENTS_OF_A_PAGE[: self.elements_per_page]
                    )
                ],
            }
            for index, name in enumerate(_PAGE_NAMES[: self.pages_per_workbook])
        ]

    def _list_pages(self, workbook_id: str, query: Mapping[str, str]) -> httpx.Response:
        pages = [{k: v for k, v in page.items() if k != "elements"} for page in self.pages(workbook_id)]
        return self._page(pages, query, ("pages", workbook_id))

    def _list_elements(self, workbook_id: str, page_id: str, query: Mapping[str, str]) -> httpx.Response:
        page = next((page for page in self.pages(workbook_id) if page["pageId"] == page_id), None)
        if page is None:
            raise _not_found("Page", page_id)
        return self._page(page["elements"], query, ("elements", workbook_id, page_id))

    # -- exports and materializations -------------------------------------------------------------

    def _export(self, workbook_id: str, request: httpx.Request) -> httpx.Response:
        workbook = self.org.workbooks.get(workbook_id)
        if workbook is None:
            raise _not_found("Workbook", workbook_id)
        body = self._json_body(request)
        export_format = body.get("format") if isinstance(body, dict) else None
        kind = export_format.get("type") if isinstance(export_format, dict) else None
        if not isinstance(kind, str) or kind not in _EXPORT_FORMATS:
            raise _bad_request(f"format.type must be one of {', '.join(_EXPORT_FORMATS)}")
        now = self.clock()
        while self._export_starts and self._export_starts[0] <= now - 60:
            self._export_starts.popleft()
        if len(self._export_starts) >= self.export_rate_limit:
            wait = max(1, math.ceil(self._export_starts[0] + 60 - now))
            raise ApiError(429, "rate_limited", "Export rate limit exceeded", {"Retry-After": str(wait)})
        self._export_starts.append(now)
        self.export_requests.append(body)
        row_limit = body.get("rowLimit")
        rows = int(row_limit) if isinstance(row_limit, int | float) and not isinstance(row_limit, bool) else 100
        job = self._new_export(workbook, kind, rows=max(rows, 0), query_id=None, file=None)
        return self._json({"queryId": job.query_id, "jobComplete": False})

    def _download(self, query_id: str) -> httpx.Response:
        job = self._exports.get(query_id)
        if job is None:
            raise _not_found("Query", query_id)
        job.polls += 1
        if job.pending_polls > 0:
            job.pending_polls -= 1
            return httpx.Response(204)
        headers = {
            "Content-Type": job.content_type,
            "Content-Disposition": job.file.disposition or f'attachment; filename="{job.filename}"',
            "Content-Length": str(job.file.size),
        }
        return httpx.Response(200, content=job.file.body(), headers=headers)

    def _materialize(self, workbook_id: str, request: httpx.Request) -> httpx.Response:
        if workbook_id not in self.org.workbooks:
            raise _not_found("Workbook", workbook_id)
        body = self._json_body(request)
        sheet_id = body.get("sheetId") if isinstance(body, dict) else None
        if not isinstance(sheet_id, str) or not sheet_id:
            raise _bad_request("sheetId is required and must be a non-empty string")
        job = Materialization(
            materialization_id=str(uuid.uuid4()),
            workbook_id=workbook_id,
            sheet_id=sheet_id,
            statuses=self.materialization_statuses,
        )
        self._materializations[job.materialization_id] = job
        return self._json({"materializationId": job.materialization_id})

    def _materialization(self, workbook_id: str, materialization_id: str) -> httpx.Response:
        job = self._materializations.get(materialization_id)
        if job is None or job.workbook_id != workbook_id:
            raise _not_found("Materialization", materialization_id)
        status = job.status
        if len(job.statuses) > 1:
            job.statuses.popleft()
        body = {"materializationId": job.materialization_id, "status": status, "startedAt": job.started_at}
        if status == "ready":
            body["readyAt"] = iso_timestamp(datetime.datetime.now(datetime.UTC))
        elif status not in _MATERIALIZATION_STATUSES:
            body["error"] = f"Materialization {status}"
        return self._json(body)


def _png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])  # 1x1, 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\x2a\x6f\xd4"))
        + chunk(b"IEND", b"")
    )


def _export_content(kind: str, workbook: Mapping[str, Any], rows: int) -> bytes:
    """Deterministic file bytes for an export: rows of the workbook for data formats, a stub document otherwise."""
    records = [{"row": n, "workbook": workbook["name"], "value": round(n * 1.5, 1)} for n in range(1, rows + 1)]
    if kind == "csv":
        return (
            "row,workbook,value\n" + "".join(f"{r['row']},{r['workbook']},{r['value']}\n" for r in records)
        ).encode()
    if kind == "json":
        return json.dumps(records).encode()
    if kind == "jsonl":
        return "".join(json.dumps(r) + "\n" for r in records).encode()
    if kind == "pdf":
        return b"%PDF-1.4\n% Sigma stand-in export of " + str(workbook["name"]).encode() + b"\n%%EOF\n"
    if kind == "png":
        return _png_1x1()
    return b"PK\x05\x06" + bytes(18)  # xlsx: an empty zip archive (the format's container)


def _validate_create(request: object) -> dict[str, Any]:
    """Check a createConnection body (Snowflake only); return the non-secret fields to store."""
    if not isinstance(request, dict):
        raise _bad_request("The request body must be a JSON object")
    name = request.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _bad_request("name is required and must be a non-empty string")
    if "timeoutSecs" in request and (
        isinstance(request["timeoutSecs"], bool) or not isinstance(request["timeoutSecs"], int | float)
    ):
        raise _bad_request("timeoutSecs must be a number")
    if "useFriendlyNames" in request and not isinstance(request["useFriendlyNames"], bool):
        raise _bad_request("useFriendlyNames must be a boolean")
    details = request.get("details")
    if not isinstance(details, dict):
        raise _bad_request("details is required and must be an object")
    kind = details.get("type")
    if not isinstance(kind, str):
        raise _bad_request("details.type is required")
    if kind != "snowflake":
        raise _bad_request(f"This stand-in creates Snowflake connections only, not {kind[:40]!r}")
    for key in _SNOWFLAKE_STRINGS:
        if key in details and not isinstance(details[key], str):
            raise _bad_request(f"details.{key} must be a string")
    auth_type = details.get("authType")
    if auth_type is not None and auth_type not in _AUTH_TYPES:
        raise _bad_request(f"details.authType must be one of {', '.join(_AUTH_TYPES)}")
    if not details.get("account") and not details.get("host"):
        raise _bad_request("A Snowflake connection needs details.account or details.host")

    use_oauth = False
    if auth_type == "key-pair" or (auth_type is None and "privateKey" in details):
        if not isinstance(details.get("user"), str) or not details["user"]:
            raise _bad_request("Key-pair authentication needs details.user")
        private_key = details.get("privateKey")
        found = _PEM_KEY.fullmatch(private_key.strip() + "\n") if isinstance(private_key, str) else None
        if found is None:
            raise _bad_request("details.privateKey must be a PEM private key (-----BEGIN PRIVATE KEY----- ...)")
        passphrase = details.get("privateKeyPassphrase")
        if passphrase is not None and not isinstance(passphrase, str):
            raise _bad_request("details.privateKeyPassphrase must be a string")
        if found["kind"].startswith("ENCRYPTED") and not passphrase:
            raise _bad_request("An encrypted private key needs details.privateKeyPassphrase")
        if "password" in details:
            raise _bad_request("Key-pair authentication takes privateKey, not password")
    elif auth_type == "basic-auth" or (auth_type is None and "password" in details):
        password = details.get("password")
        plain = (
            isinstance(password, dict) and password.get("type") == "plain" and isinstance(password.get("value"), str)
        )
        if not isinstance(details.get("user"), str) or not (isinstance(password, str) or plain):
            raise _bad_request("Basic authentication needs details.user and details.password")
    elif auth_type == "oauth" or (auth_type is None and "useOauth" in details):
        if details.get("useOauth") is not True:
            raise _bad_request("OAuth connections need details.useOauth: true")
        use_oauth = True
    else:
        raise _bad_request(
            "details need key-pair (user, privateKey), basic-auth (user, password) or OAuth (useOauth) credentials"
        )

    stored: dict[str, Any] = {"useOauth": use_oauth, "writeAccess": isinstance(details.get("writeAccess"), dict)}
    for key in ("account", "warehouse", "user", "role"):
        if isinstance(details.get(key), str):
            stored[key] = details[key]
    write_access = details.get("writeAccess")
    if isinstance(write_access, dict) and isinstance(write_access.get("materializationWarehouse"), str):
        stored["materializationWarehouse"] = write_access["materializationWarehouse"]
    return stored
