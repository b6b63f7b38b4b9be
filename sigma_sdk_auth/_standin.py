"""A local stand-in of Sigma's REST API: just enough of it for the QuickStart, on loopback only.

Used by ``examples/quickstart.py --demo`` (so a newcomer sees the whole flow without credentials)
and by the tests that run every example.  It is hand-written, stdlib only (``http.server`` and a
thread), and it is not part of the SDK's API: nothing in ``sigma_sdk`` imports it.

What it serves (bodies follow the shapes of Sigma's spec 2.0.0; the generated models parse them):

* ``POST /v2/auth/token`` (``application/x-www-form-urlencoded``; client credentials in the form
  body or as HTTP Basic): ``client_credentials`` and ``refresh_token`` grants.  Both answer
  ``{access_token, refresh_token, token_type: "bearer", expires_in}``.  Refresh tokens rotate: a used
  one stops working.  A wrong client ID or secret, or an unknown refresh token, answers 401.
  Token exchange (impersonation) is not implemented and answers 400.
* Everything else needs ``Authorization: Bearer <access token>``; a missing, unknown or expired
  token answers 401 ``{"message": ..., "code": "unauthorized", "requestId": ...}``.
* ``GET /v2/whoami``: ``{userId, organizationId}``.
* ``GET /v2/connections``: ``page`` (an opaque cursor from the previous ``nextPage``), ``limit``
  (1-1,000, default 50), ``search`` (name substring), ``includeArchived``.  Answers
  ``{entries, nextPage, total}``; ``nextPage`` is null on the last page.  A seeded, deterministic
  list of connections (120 active and 4 archived by default) of several warehouse types.
* ``POST /v2/connections`` (JSON): checks the body's shape the way Sigma's spec describes it and
  creates a **Snowflake** connection (key pair, basic auth or OAuth); answers 201 with the
  connection.  Other warehouse types answer 400 (a stand-in limit).  Secrets in the body
  (``privateKey``, ``privateKeyPassphrase``, ``password``) are never stored or echoed.
* ``GET /v2/connections/{connectionId}``: the connection, or 404 with Sigma's error body.

Every error body is ``{message, code, requestId}``; unknown paths answer 404, known paths with
another method 405.  The server binds a loopback address only, picks a free port by default and
stops itself after ``max_lifetime`` seconds, so it can never outlive a test or a demo::

    with run_standin(client_id="demo", client_secret="...") as base_url:
        client = Client(base_url, "demo", "...")

Use :class:`StandinServer` directly to read what it issued or served (tests do).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import hashlib
import http.server
import json
import random
import re
import secrets
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from ._auth import TOKEN_PATH, is_loopback_host

__all__ = [
    "DEFAULT_CLIENT_ID",
    "RequestRecord",
    "StandinServer",
    "run_standin",
]

DEFAULT_CLIENT_ID: Final = "standin-client-id"
DEFAULT_MAX_LIFETIME: Final = 120.0
DEFAULT_PAGE_SIZE: Final = 50  # what Sigma returns when no limit is given
MAX_PAGE_SIZE: Final = 1000
MAX_BODY_BYTES: Final = 1_000_000

ACCESS_TOKEN_PREFIX: Final = "standin-access-"
REFRESH_TOKEN_PREFIX: Final = "standin-refresh-"

_CONNECTIONS_PATH: Final = "/v2/connections"
_CONNECTION_PATH: Final = re.compile(r"/v2/connections/(?P<id>[^/]+)")
_ROUTES: Final[Mapping[str, frozenset[str]]] = {
    TOKEN_PATH: frozenset({"POST"}),
    "/v2/whoami": frozenset({"GET"}),
    _CONNECTIONS_PATH: frozenset({"GET", "POST"}),
}
_PEM_KEY: Final = re.compile(
    r"-----BEGIN (?P<kind>(?:ENCRYPTED |RSA )?PRIVATE KEY)-----\s+[A-Za-z0-9+/=\s]+-----END (?P=kind)-----\s*"
)
_SNOWFLAKE_STRINGS: Final = ("server", "account", "host", "warehouse", "role", "user", "sourceSwapPolicyId")
_AUTH_TYPES: Final = ("basic-auth", "key-pair", "oauth")

RequestRecord = tuple[str, str, int]
"""``(method, path with query, status)`` of one request the stand-in answered."""


class _ApiError(Exception):
    """An error answer: HTTP status plus Sigma's ``{message, code}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _bad_request(message: str) -> _ApiError:
    return _ApiError(400, "bad_request", message)


def _iso(moment: datetime.datetime) -> str:
    """Sigma's timestamp style: ``2024-05-01T12:34:56.789Z``."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _member_id(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rng.choice(alphabet) for _ in range(14))


# -- the seeded organization ------------------------------------------------------------------

_TEAMS: Final = (
    "Finance",
    "Marketing",
    "Sales Ops",
    "Product Analytics",
    "Data Platform",
    "Customer Success",
    "RevOps",
    "Supply Chain",
    "People",
    "Security",
)
_ENVIRONMENTS: Final = ("prod", "staging", "dev")
# (type in Sigma's API, display name, weight)
_WAREHOUSE_TYPES: Final = (
    ("snowflake", "Snowflake", 5),
    ("bigQuery", "BigQuery", 2),
    ("databricks", "Databricks", 2),
    ("postgres", "PostgreSQL", 1),
    ("redshift", "Redshift", 1),
    ("mysql", "MySQL", 1),
)


class _Organization:
    """The stand-in's data: one organization, its admin user and its connections."""

    def __init__(self, *, connections: int, archived: int, seed: int) -> None:
        rng = random.Random(seed)
        self.organization_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.user_id = _member_id(rng)
        self.users = [self.user_id, *(_member_id(rng) for _ in range(6))]
        self.connections: dict[str, dict[str, Any]] = {}
        start = datetime.datetime(2022, 3, 1, 9, 0, tzinfo=datetime.UTC)
        types = [t for t, _, weight in _WAREHOUSE_TYPES for _ in range(weight)]
        labels = {t: label for t, label, _ in _WAREHOUSE_TYPES}
        for index in range(connections + archived):
            created = start + datetime.timedelta(days=index * 5, minutes=rng.randrange(24 * 60))
            updated = created + datetime.timedelta(days=rng.randrange(1, 200))
            if index == 0:
                kind, name = "snowflake", "Sigma Sample Database"
            else:
                kind = rng.choice(types)
                team, env = _TEAMS[index % len(_TEAMS)], _ENVIRONMENTS[(index // len(_TEAMS)) % len(_ENVIRONMENTS)]
                name = f"{team} {labels[kind]} ({env}) #{index}"
            connection: dict[str, Any] = {
                "organizationId": self.organization_id,
                "connectionId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "isSample": index == 0,
                "isAuditLog": False,
                "lastActiveAt": _iso(updated + datetime.timedelta(hours=rng.randrange(1, 500))),
                "name": name,
                "type": kind,
                "useOauth": kind == "databricks" and rng.random() < 0.5,
                "createdBy": rng.choice(self.users),
                "updatedBy": rng.choice(self.users),
                "createdAt": _iso(created),
                "updatedAt": _iso(updated),
                "isArchived": index >= connections,
                "timeout": {"default": rng.choice((120, 300, 600))},
                "friendlyName": rng.random() < 0.7,
            }
            if kind == "snowflake":
                slug = re.sub(r"[^A-Z0-9]+", "_", name.split(" (")[0].upper()).strip("_")
                connection.update(
                    account=f"acme-{'xy' if index % 2 else 'eu'}{10000 + index}",
                    warehouse=f"{slug}_WH",
                    user=f"SIGMA_SVC_{slug}",
                    role=f"SIGMA_{slug}_ROLE",
                    writeAccess=index % 3 == 0,
                    poolSizes={"isPoolConfigured": True, "adhocPoolSize": 8, "schedulePoolSize": 4},
                )
                if connection["writeAccess"]:
                    connection["writebacks"] = [{"database": "SIGMA_WRITEBACK", "schema": slug}]
                    connection["materializationWarehouse"] = f"{slug}_MAT_WH"
            self.connections[connection["connectionId"]] = connection


# -- request handling -------------------------------------------------------------------------


class _Api:
    """Sigma's behaviour, independent of the HTTP plumbing: ``handle()`` returns (status, body)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        expires_in: int,
        connections: int,
        archived: int,
        seed: int,
        clock: Callable[[], float],
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.clock = clock
        self.org = _Organization(connections=connections, archived=archived, seed=seed)
        self.lock = threading.Lock()
        self.access_tokens: dict[str, float] = {}  # token -> expiry (clock time)
        self.refresh_tokens: set[str] = set()
        self.issued: list[str] = []  # every token ever handed out, for tests to look for leaks
        self.grants: list[str] = []  # grant_type of every token request

    # -- tokens ---------------------------------------------------------------------------------

    def _client_matches(self, headers: Mapping[str, str], form: Mapping[str, str]) -> bool:
        authorization = headers.get("authorization", "")
        if authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            given_id, _, given_secret = decoded.partition(":")
        else:
            given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
        return secrets.compare_digest(given_id.encode(), self.client_id.encode()) and secrets.compare_digest(
            given_secret.encode(), self.client_secret.encode()
        )

    def _issue(self) -> dict[str, Any]:
        access = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(24)
        refresh = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(24)
        self.access_tokens[access] = self.clock() + self.expires_in
        self.refresh_tokens.add(refresh)
        self.issued += [access, refresh]
        return {"access_token": access, "refresh_token": refresh, "token_type": "bearer", "expires_in": self.expires_in}

    def token(self, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise _bad_request("The token endpoint takes an application/x-www-form-urlencoded body")
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise _bad_request("The form body is not UTF-8") from None
        grant = form.get("grant_type", "")
        with self.lock:
            self.grants.append(grant)
            if grant not in ("client_credentials", "refresh_token"):
                if not grant:
                    raise _bad_request("grant_type is required")
                raise _bad_request(f"Unsupported grant_type for this stand-in: {grant[:80]}")
            if not self._client_matches(headers, form):
                raise _ApiError(401, "unauthorized", "Invalid client credentials")
            if grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                if refresh not in self.refresh_tokens:
                    raise _ApiError(401, "unauthorized", "Invalid or expired refresh token")
                self.refresh_tokens.discard(refresh)  # rotation: a refresh token works once
            return 200, self._issue()

    def check_bearer(self, headers: Mapping[str, str]) -> None:
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        with self.lock:
            expiry = self.access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if expiry is None or expiry <= self.clock():
                raise _ApiError(401, "unauthorized", "Unauthorized")

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.access_tokens:
                self.access_tokens[token] = float("-inf")

    # -- connections ----------------------------------------------------------------------------

    def whoami(self) -> tuple[int, dict[str, Any]]:
        return 200, {"userId": self.org.user_id, "organizationId": self.org.organization_id}

    @staticmethod
    def _cursor_key(search: str, include_archived: bool) -> str:
        return hashlib.sha256(f"{include_archived}\0{search}".encode()).hexdigest()[:12]

    def list_connections(self, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        limit = DEFAULT_PAGE_SIZE
        if "limit" in query:
            try:
                number = float(query["limit"])
            except ValueError:
                raise _bad_request("limit must be a number") from None
            if not number.is_integer() or not 1 <= number <= MAX_PAGE_SIZE:
                raise _bad_request(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
            limit = int(number)
        archived_text = query.get("includeArchived", "false").lower()
        if archived_text not in ("true", "false"):
            raise _bad_request("includeArchived must be true or false")
        include_archived = archived_text == "true"
        search = query.get("search", "")
        key = self._cursor_key(search, include_archived)

        offset = 0
        if query.get("page"):
            try:
                decoded = json.loads(base64.urlsafe_b64decode(query["page"].encode("ascii")))
                offset, page_key = int(decoded["o"]), str(decoded["k"])
            except (ValueError, KeyError, TypeError, UnicodeEncodeError, binascii.Error):
                raise _bad_request("Invalid page token") from None
            if page_key != key or offset < 0:
                raise _bad_request("The page token belongs to another query")

        with self.lock:
            matching = [
                dict(c)
                for c in self.org.connections.values()
                if (include_archived or not c["isArchived"]) and search.lower() in c["name"].lower()
            ]
        entries = matching[offset : offset + limit]
        next_page = None
        if offset + limit < len(matching):
            cursor = json.dumps({"o": offset + limit, "k": key}, separators=(",", ":"))
            next_page = base64.urlsafe_b64encode(cursor.encode()).decode("ascii")
        return 200, {"entries": entries, "nextPage": next_page, "total": len(matching)}

    def get_connection(self, connection_id: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            connection = self.org.connections.get(connection_id)
        if connection is None:
            raise _ApiError(404, "not_found", f"Connection not found: {connection_id[:80]}")
        return 200, dict(connection)

    def create_connection(self, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _bad_request("POST /v2/connections takes an application/json body")
        try:
            request = json.loads(body)
        except ValueError:
            raise _bad_request("The request body is not valid JSON") from None
        fields = _validate_create(request)
        now = datetime.datetime.now(datetime.UTC)
        connection: dict[str, Any] = {
            "organizationId": self.org.organization_id,
            "connectionId": str(uuid.uuid4()),
            "isSample": False,
            "isAuditLog": False,
            "lastActiveAt": _iso(now),
            "name": request["name"],
            "type": "snowflake",
            "createdBy": self.org.user_id,
            "updatedBy": self.org.user_id,
            "createdAt": _iso(now),
            "updatedAt": _iso(now),
            "isArchived": False,
            "timeout": {"default": request.get("timeoutSecs", 120)},
            "friendlyName": request.get("useFriendlyNames", False),
            **fields,
        }
        with self.lock:
            self.org.connections[connection["connectionId"]] = connection
        return 201, dict(connection)

    # -- dispatch -------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(target)
        path = unquote(parts.path).rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if path == TOKEN_PATH and method == "POST":
            return self.token(headers, body)
        self.check_bearer(headers)  # Sigma checks the token before it looks at the path
        match = _CONNECTION_PATH.fullmatch(path)
        allowed = _ROUTES.get(path) or (frozenset({"GET"}) if match else None)
        if allowed is None:
            raise _ApiError(404, "not_found", f"No route for {method} {path[:100]}")
        if method not in allowed:
            raise _ApiError(405, "method_not_allowed", f"{method} is not allowed on {path[:100]}")
        if path == "/v2/whoami":
            return self.whoami()
        if path == _CONNECTIONS_PATH:
            return self.list_connections(query) if method == "GET" else self.create_connection(headers, body)
        assert match is not None
        return self.get_connection(match["id"])


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


# -- HTTP plumbing ----------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, like Sigma
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server_version = "sigma-standin"
    sys_version = ""

    def _serve(self) -> None:
        request_id = str(uuid.uuid4())
        status, payload = 500, {"message": "Internal error", "code": "internal_error", "requestId": request_id}
        try:
            body = self._read_body()
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = self.server.api.handle(self.command, self.path, headers, body)
        except _ApiError as exc:
            status, payload = exc.status, {"message": exc.message, "code": exc.code, "requestId": request_id}
        content = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        self.send_header("X-Request-Id", request_id)
        self.end_headers()
        self.wfile.write(content)
        self.server.record((self.command, self.path, status))

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding"):
            self.close_connection = True
            raise _ApiError(411, "length_required", "Send a Content-Length, not a chunked body")
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            self.close_connection = True
            raise _bad_request("Invalid Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            raise _ApiError(413, "payload_too_large", "The request body is too large")
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the owner can read StandinServer.requests or pass on_request


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    api: _Api
    record: Callable[[RequestRecord], None]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-answer is not worth a traceback in a demo or a test log.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class StandinServer:
    """The stand-in on ``host`` (loopback only) and ``port`` (0: a free one), in a daemon thread.

    ``client_secret`` defaults to a fresh random value (read it from :attr:`client_secret`).
    ``expires_in`` is the access-token lifetime it announces and enforces.  ``connections`` and
    ``archived`` size the seeded list; ``seed`` makes it reproducible.  ``max_lifetime`` seconds after
    :meth:`start` the server stops itself.  ``on_request`` is called with each
    :data:`RequestRecord` (from the server's threads).  Use it as a context manager.
    """

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        expires_in: int = 3600,
        connections: int = 120,
        archived: int = 4,
        seed: int = 7,
        max_lifetime: float = DEFAULT_MAX_LIFETIME,
        on_request: Callable[[RequestRecord], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not is_loopback_host(host):
            raise ValueError(f"the stand-in binds loopback addresses only, not {host!r}")
        if max_lifetime <= 0:
            raise ValueError("max_lifetime must be positive")
        self._client_id = client_id
        self._client_secret = client_secret if client_secret is not None else secrets.token_urlsafe(24)
        self._host = "127.0.0.1" if host.lower().rstrip(".") == "localhost" else host.strip("[]")
        self._port = port
        self._max_lifetime = max_lifetime
        self._on_request = on_request
        self._api = _Api(
            client_id=client_id,
            client_secret=self._client_secret,
            expires_in=expires_in,
            connections=connections,
            archived=archived,
            seed=seed,
            clock=clock,
        )
        self._requests: list[RequestRecord] = []
        self._requests_lock = threading.Lock()
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
        return f"StandinServer({where}, client_id={self._client_id!r}, {state})"

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> StandinServer:
        with self._state_lock:
            if self._httpd is not None:
                raise RuntimeError("this StandinServer was already started")
            server_class = _HTTPServer6 if ":" in self._host else _HTTPServer
            httpd = server_class((self._host, self._port), _Handler)
            httpd.api = self._api
            httpd.record = self._record
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
        """Stop serving and close the socket.  Idempotent; safe from any thread but the server's."""
        with self._state_lock:
            if self._httpd is None or self._stopping.is_set():
                return
            self._stopping.set()
            httpd, thread, watchdog = self._httpd, self._thread, self._watchdog
        if watchdog is not None and watchdog is not threading.current_thread():
            watchdog.cancel()
        httpd.shutdown()
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

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Block until the server has stopped and closed its socket (by :meth:`stop` or its time limit)."""
        return self._stopped.wait(timeout)

    # -- what it serves and served ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the StandinServer has not been started")
        port = self._httpd.server_address[1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{port}"

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def client_secret(self) -> str:
        return self._client_secret

    @property
    def user_id(self) -> str:
        return self._api.org.user_id

    @property
    def organization_id(self) -> str:
        return self._api.org.organization_id

    def connections(self, *, include_archived: bool = True) -> list[dict[str, Any]]:
        """A copy of every connection the stand-in holds (seeded and created), in list order."""
        with self._api.lock:
            return [dict(c) for c in self._api.org.connections.values() if include_archived or not c["isArchived"]]

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token handed out so far (tests look for them in output)."""
        with self._api.lock:
            return list(self._api.issued)

    def grants(self) -> list[str]:
        """The ``grant_type`` of every token request, in order."""
        with self._api.lock:
            return list(self._api.grants)

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired (the next use answers 401)."""
        self._api.expire_access_tokens()

    @property
    def requests(self) -> list[RequestRecord]:
        """``(method, path with query, status)`` of every request answered so far."""
        with self._requests_lock:
            return list(self._requests)

    def _record(self, record: RequestRecord) -> None:
        with self._requests_lock:
            self._requests.append(record)
        if self._on_request is not None:
            self._on_request(record)


@contextlib.contextmanager
def run_standin(
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str | None = None,
    max_lifetime: float = DEFAULT_MAX_LIFETIME,
    **options: Any,
) -> Iterator[str]:
    """Start a :class:`StandinServer` on a free loopback port; yield its base URL; stop it on exit.

    ``client_secret`` should be given (the caller needs it for its client); other keyword arguments
    go to :class:`StandinServer`.  The server also stops by itself after ``max_lifetime`` seconds.
    """
    server = StandinServer(client_id=client_id, client_secret=client_secret, max_lifetime=max_lifetime, **options)
    with server:
        yield server.base_url
