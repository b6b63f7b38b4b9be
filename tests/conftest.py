"""Shared fixtures: a fake Sigma (token endpoint + API), a fake clock, and a local HTTP server.

``FakeSigma.handle`` turns an ``httpx.Request`` into an ``httpx.Response``, so the same fake serves
respx routes and the real threaded server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import http.server
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jwt
import pytest
import respx

from sigma_sdk_auth import RetryPolicy

CLIENT_ID = "client-id-1234"
CLIENT_SECRET = "s3cr3t-0f-the-cl1ent-Xq9-long-enough"
BASE_URL = "https://api.sigma.test"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSigma:
    """Sigma's token endpoint and a token-checking API, with counters.

    Tokens are unique per issue (``access-1``, ``refresh-1``, ...).  Refresh tokens rotate: a used one
    stops working.  ``token_delay`` keeps a token request in flight so concurrent callers pile up.
    """

    def __init__(self, *, expires_in: float = 3600, token_delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.token_delay = token_delay
        self.refuse_refresh = False
        self.always_401: set[str] = set()  # API paths that answer 401 whatever the token
        self.lock = threading.Lock()
        self.token_requests: list[dict[str, str]] = []
        self.api_requests: list[tuple[str, str | None]] = []  # (path, bearer)
        self.valid_access: set[str] = set()
        self.valid_refresh: set[str] = set()
        self.issued: list[str] = []  # every access and refresh token handed out
        self.exchanges: list[dict[str, Any]] = []  # verified subject-token claims
        self._ids = itertools.count(1)

    def grants(self) -> list[str]:
        return [form["grant_type"] for form in self.token_requests]

    def expire_all_access_tokens(self) -> None:
        with self.lock:
            self.valid_access.clear()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth/token":
            if self.token_delay:
                time.sleep(self.token_delay)
            return self._token(request)
        authorization = request.headers.get("authorization", "")
        bearer = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
        with self.lock:
            self.api_requests.append((request.url.path, bearer))
            ok = bearer in self.valid_access and request.url.path not in self.always_401
        if not ok:
            return httpx.Response(401, json={"message": "Unauthorized", "code": "unauthorized", "requestId": "r-401"})
        return httpx.Response(200, json={"path": request.url.path})

    def _issue(self, *, refresh: bool, prefix: str = "access") -> dict[str, Any]:
        n = next(self._ids)
        body: dict[str, Any] = {
            "access_token": f"{prefix}-{n}-tok",
            "token_type": "bearer",
            "expires_in": self.expires_in,
        }
        self.valid_access.add(body["access_token"])
        self.issued.append(body["access_token"])
        if refresh:
            body["refresh_token"] = f"refresh-{n}-tok"
            self.valid_refresh.add(body["refresh_token"])
            self.issued.append(body["refresh_token"])
        return body

    def _client_ok(self, request: httpx.Request, form: dict[str, str]) -> bool:
        authorization = request.headers.get("authorization", "")
        if authorization.startswith("Basic "):
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            return (user, password) == (CLIENT_ID, CLIENT_SECRET)
        return (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        with self.lock:
            self.token_requests.append({**form, "authorization": request.headers.get("authorization", "")})
            grant = form.get("grant_type")
            if grant == TOKEN_EXCHANGE:
                bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
                if bearer != form.get("actor_token") or bearer not in self.valid_access:
                    return httpx.Response(401, json={"message": "bad actor token", "code": "unauthorized"})
                claims = jwt.decode(form["subject_token"], CLIENT_SECRET, algorithms=["HS256"])
                self.exchanges.append({"claims": claims, "header": jwt.get_unverified_header(form["subject_token"])})
                return httpx.Response(200, json=self._issue(refresh=False, prefix="imp"))
            if not self._client_ok(request, form):
                return httpx.Response(401, json={"message": "Invalid client credentials", "code": "unauthorized"})
            if grant == "client_credentials":
                return httpx.Response(200, json=self._issue(refresh=True))
            if grant == "refresh_token":
                if self.refuse_refresh or form.get("refresh_token") not in self.valid_refresh:
                    return httpx.Response(400, json={"message": "refresh token is invalid", "code": "invalid_grant"})
                self.valid_refresh.discard(form["refresh_token"])  # rotation: a used refresh token is spent
                return httpx.Response(200, json=self._issue(refresh=True))
            return httpx.Response(400, json={"message": "unsupported grant", "code": "bad_request"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_sigma() -> FakeSigma:
    return FakeSigma()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like Sigma

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        url = f"http://{self.headers.get('host', '127.0.0.1')}{self.path}"
        request = httpx.Request(self.command, url, headers=list(self.headers.items()), content=body)
        response = self.server.fake.handle(request)
        payload = response.content
        self.send_response(response.status_code)
        self.send_header("Content-Type", response.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSigma


@pytest.fixture
def sigma_server(fake_sigma: FakeSigma) -> Iterator[tuple[str, FakeSigma]]:
    """A real HTTP server on 127.0.0.1 serving ``fake_sigma``; yields (base_url, fake)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake_sigma
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-sigma", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake_sigma
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def router(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    """respx routes every request to the in-memory fake Sigma."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=fake_sigma.handle)
        yield router


class RecordedSleeps(list[float]):
    """The delays retries asked for, recorded instead of slept; :meth:`policy` builds policies that use it.

    ``jitter``, when set, replaces the policy's jitter (e.g. ``lambda cap: cap`` for exact delays).
    """

    def __init__(self) -> None:
        super().__init__()
        self.jitter: Callable[[float], float] | None = None

    def policy(self, **fields: Any) -> RetryPolicy:
        hooks: dict[str, Any] = {"sleep": self.append, "async_sleep": self._async_sleep}
        if self.jitter is not None:
            hooks["jitter"] = self.jitter
        return RetryPolicy(**fields, **hooks)

    async def _async_sleep(self, delay: float) -> None:
        self.append(delay)


@pytest.fixture
def recorded_sleeps() -> RecordedSleeps:
    """A sleep recorder for tests that must not really wait between retries."""
    return RecordedSleeps()
