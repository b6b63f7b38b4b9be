"""SigmaAuth's token lifecycle against a respx-mocked Sigma: fetch, reuse, refresh, fallback, 401 replay."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import respx

from sigma_sdk_auth import (
    AuthenticationError,
    InsecureTransportError,
    InternalServerError,
    SigmaAPIError,
    SigmaAuth,
    SigmaClient,
)
from sigma_sdk_auth._error_responses import raise_for_status
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeClock, FakeSigma


@pytest.fixture
def auth(clock: FakeClock) -> SigmaAuth:
    return SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL, clock=clock)


@pytest.fixture
def http(router: respx.MockRouter, auth: SigmaAuth) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=BASE_URL, auth=auth) as client:
        yield client


def bearer(response: httpx.Response) -> str:
    return response.request.headers["authorization"].removeprefix("Bearer ")


def test_token_fetched_once_and_reused(http: httpx.Client, fake_sigma: FakeSigma) -> None:
    """Many calls with a fresh token cause exactly one client_credentials request and share its token."""
    responses = [http.get("/v2/connections") for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert fake_sigma.grants() == ["client_credentials"]
    assert {bearer(r) for r in responses} == {"access-1-tok"}


def test_client_credentials_sent_in_form_body(http: httpx.Client, fake_sigma: FakeSigma) -> None:
    """The default auth_method posts client_id/client_secret form-encoded, without an Authorization header."""
    http.get("/v2/connections")
    (form,) = fake_sigma.token_requests
    assert form["client_id"] == CLIENT_ID
    assert form["client_secret"] == CLIENT_SECRET
    assert form["authorization"] == ""


def test_basic_auth_method(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """auth_method='basic' sends the credentials as HTTP Basic and keeps the secret out of the body."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL, auth_method="basic")
    with httpx.Client(base_url=BASE_URL, auth=auth) as http:
        assert http.get("/v2/connections").status_code == 200
    (form,) = fake_sigma.token_requests
    assert form["authorization"].startswith("Basic ")
    assert "client_secret" not in form


def test_token_request_inherits_client_timeout(router: respx.MockRouter, auth: SigmaAuth) -> None:
    """The token request carries the API request's timeout (requests built in an auth flow get none)."""
    with httpx.Client(base_url=BASE_URL, auth=auth, timeout=httpx.Timeout(7.0, connect=3.0)) as http:
        http.get("/v2/connections")
    token_call = next(call for call in router.calls if call.request.url.path == "/v2/auth/token")
    assert token_call.request.extensions["timeout"] == {"connect": 3.0, "read": 7.0, "write": 7.0, "pool": 7.0}


def test_token_state_is_kept(http: httpx.Client, auth: SigmaAuth, clock: FakeClock) -> None:
    """After a fetch the auth holds access/refresh token, token type, expires_in and the monotonic issue time."""
    http.get("/v2/connections")
    token = auth._token
    assert token is not None
    assert (token.access_token, token.refresh_token) == ("access-1-tok", "refresh-1-tok")
    assert (token.token_type, token.expires_in, token.issued_at) == ("bearer", 3600.0, clock.now)


def test_refreshes_before_expiry_with_refresh_grant(
    http: httpx.Client, fake_sigma: FakeSigma, clock: FakeClock
) -> None:
    """Inside the 60 s margin before expiry the token is refreshed with grant_type=refresh_token, never a 401."""
    http.get("/v2/connections")
    clock.advance(3600 - 61)
    assert bearer(http.get("/v2/connections")) == "access-1-tok"
    clock.advance(2)  # now 59 s before expiry
    response = http.get("/v2/connections")
    assert bearer(response) == "access-2-tok"
    assert fake_sigma.grants() == ["client_credentials", "refresh_token"]
    assert fake_sigma.token_requests[1]["refresh_token"] == "refresh-1-tok"
    assert response.status_code == 200
    assert len(fake_sigma.api_requests) == 3  # no 401 and no replay: the refresh came first


@pytest.mark.parametrize(
    ("expires_in", "refresh_margin", "still_fresh_at", "refreshed_at"),
    [
        (100, None, 49, 51),  # margin = min(60, 100 / 2) = 50
        (3600, 300, 3299, 3301),  # configured margin
        (3600, 0, 3599, 3600),  # no margin: refresh exactly at expiry
    ],
)
def test_refresh_margin(
    router: respx.MockRouter,
    fake_sigma: FakeSigma,
    clock: FakeClock,
    expires_in: float,
    refresh_margin: float | None,
    still_fresh_at: float,
    refreshed_at: float,
) -> None:
    """The refresh happens at expires_in - margin, with margin min(60, expires_in/2) unless configured."""
    fake_sigma.expires_in = expires_in
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL, clock=clock, refresh_margin=refresh_margin)
    start = clock.now
    with httpx.Client(base_url=BASE_URL, auth=auth) as http:
        http.get("/v2/connections")
        clock.now = start + still_fresh_at
        http.get("/v2/connections")
        assert fake_sigma.grants() == ["client_credentials"]
        clock.now = start + refreshed_at
        http.get("/v2/connections")
    assert fake_sigma.grants() == ["client_credentials", "refresh_token"]


def test_rotated_refresh_token_is_stored_and_used(
    http: httpx.Client, auth: SigmaAuth, fake_sigma: FakeSigma, clock: FakeClock
) -> None:
    """Each refresh stores the new refresh token; the next refresh sends it (the spent one would be refused)."""
    http.get("/v2/connections")
    for _ in range(3):
        clock.advance(3600)
        http.get("/v2/connections")
    assert fake_sigma.grants() == ["client_credentials"] + ["refresh_token"] * 3
    sent = [form["refresh_token"] for form in fake_sigma.token_requests[1:]]
    assert sent == ["refresh-1-tok", "refresh-2-tok", "refresh-3-tok"]
    assert auth._token is not None
    assert auth._token.refresh_token == "refresh-4-tok"


def test_refresh_refused_falls_back_to_client_credentials(
    http: httpx.Client, fake_sigma: FakeSigma, clock: FakeClock
) -> None:
    """When Sigma refuses the refresh token, the auth gets a new token with client_credentials."""
    http.get("/v2/connections")
    fake_sigma.refuse_refresh = True
    clock.advance(3600)
    response = http.get("/v2/connections")
    assert response.status_code == 200
    assert fake_sigma.grants() == ["client_credentials", "refresh_token", "client_credentials"]
    assert bearer(response) == "access-2-tok"


def test_refresh_server_error_is_raised_not_masked(
    monkeypatch: pytest.MonkeyPatch, http: httpx.Client, fake_sigma: FakeSigma, clock: FakeClock
) -> None:
    """A 5xx from the token endpoint during refresh raises the typed error instead of falling back silently."""
    http.get("/v2/connections")
    clock.advance(3600)
    unavailable = httpx.Response(503, json={"message": "try later", "code": "unavailable"})
    monkeypatch.setattr(fake_sigma, "_token", lambda request: unavailable)
    with pytest.raises(InternalServerError, match="Refreshing the Sigma access token failed: try later") as info:
        http.get("/v2/connections")
    assert info.value.code == "unavailable"


def test_expired_mid_call_401_reauthenticates_and_replays_once(http: httpx.Client, fake_sigma: FakeSigma) -> None:
    """A token Sigma expired early gets a 401; the auth refreshes once and replays the request once."""
    http.get("/v2/connections")
    fake_sigma.expire_all_access_tokens()
    response = http.get("/v2/connections")
    assert response.status_code == 200
    assert fake_sigma.api_requests == [
        ("/v2/connections", "access-1-tok"),
        ("/v2/connections", "access-1-tok"),
        ("/v2/connections", "access-2-tok"),
    ]
    assert fake_sigma.grants() == ["client_credentials", "refresh_token"]


def test_second_401_is_raised_to_the_caller(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """If the replay is also refused, the 401 reaches the caller as AuthenticationError: one replay only."""
    fake_sigma.always_401.add("/v2/members")
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        response = client._send({"method": "get", "url": "/v2/members"})
        with pytest.raises(AuthenticationError) as info:
            raise_for_status(response)
    assert info.value.code == "unauthorized"
    assert [path for path, _ in fake_sigma.api_requests] == ["/v2/members", "/v2/members"]
    assert fake_sigma.grants() == ["client_credentials", "refresh_token"]


def test_401_keeps_a_newer_token_another_caller_fetched(
    http: httpx.Client, auth: SigmaAuth, fake_sigma: FakeSigma
) -> None:
    """A late 401 for an old token invalidates only that token: the replay uses the newer one, no new fetch."""
    http.get("/v2/connections")  # token 1
    # Caller A sends with token 1 and waits for its answer (the flow is driven by hand).
    request_a = http.build_request("GET", "/v2/workbooks")
    flow_a = auth.sync_auth_flow(request_a)
    sent_a = next(flow_a)
    assert sent_a.headers["authorization"] == "Bearer access-1-tok"
    # Meanwhile caller B meets the expiry, and refreshes to token 2.
    fake_sigma.expire_all_access_tokens()
    assert bearer(http.get("/v2/connections")) == "access-2-tok"
    grants_before = fake_sigma.grants()
    # A's 401 arrives late: A must replay with token 2, not throw it away.
    replay = flow_a.send(httpx.Response(401, request=sent_a))
    assert replay.headers["authorization"] == "Bearer access-2-tok"
    assert fake_sigma.grants() == grants_before
    with pytest.raises(StopIteration):
        flow_a.send(httpx.Response(200, request=replay))
    assert auth._token is not None
    assert auth._token.access_token == "access-2-tok"


def test_wrong_secret_makes_one_token_request_and_raises(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """A bad secret costs one token request and raises AuthenticationError naming the problem; no retry loop."""
    with (
        SigmaClient(BASE_URL, CLIENT_ID, "wrong-secret-value", max_retries=5) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client._send({"method": "get", "url": "/v2/connections"})
    assert len(fake_sigma.token_requests) == 1
    assert fake_sigma.api_requests == []
    message = str(info.value)
    assert "rejected the client credentials" in message
    assert CLIENT_ID in message
    assert "Invalid client credentials" in message
    assert "wrong-secret-value" not in message
    assert info.value.status_code == 401


def test_token_response_without_access_token_raises_without_echoing_body(
    monkeypatch: pytest.MonkeyPatch, http: httpx.Client, fake_sigma: FakeSigma
) -> None:
    """A 200 from the token endpoint without access_token is an error whose message has no body excerpt."""
    malformed = httpx.Response(200, json={"refresh_token": "leaky-refresh"})
    monkeypatch.setattr(fake_sigma, "_token", lambda request: malformed)
    with pytest.raises(SigmaAPIError, match="without an access_token") as info:
        http.get("/v2/connections")
    assert "leaky-refresh" not in str(info.value)


async def test_async_flow_shares_the_token_with_sync(
    http: httpx.Client, auth: SigmaAuth, fake_sigma: FakeSigma
) -> None:
    """One SigmaAuth serves sync and async clients with one token."""
    http.get("/v2/connections")
    async with httpx.AsyncClient(base_url=BASE_URL, auth=auth) as ahttp:
        response = await ahttp.get("/v2/connections")
    assert bearer(response) == "access-1-tok"
    assert fake_sigma.grants() == ["client_credentials"]


async def test_async_expired_mid_call_replays_once(
    router: respx.MockRouter, auth: SigmaAuth, fake_sigma: FakeSigma
) -> None:
    """The async flow handles a 401 exactly like the sync one: re-authenticate once, replay once."""
    async with httpx.AsyncClient(base_url=BASE_URL, auth=auth) as ahttp:
        await ahttp.get("/v2/connections")
        fake_sigma.expire_all_access_tokens()
        response = await ahttp.get("/v2/connections")
    assert response.status_code == 200
    assert len(fake_sigma.api_requests) == 3
    assert fake_sigma.grants() == ["client_credentials", "refresh_token"]


def test_one_auth_works_across_event_loops(
    router: respx.MockRouter, auth: SigmaAuth, fake_sigma: FakeSigma, clock: FakeClock
) -> None:
    """The asyncio lock is per event loop, so one SigmaAuth survives asyncio.run() being called twice."""

    async def call() -> int:
        async with httpx.AsyncClient(base_url=BASE_URL, auth=auth) as ahttp:
            return (await ahttp.get("/v2/connections")).status_code

    assert asyncio.run(call()) == 200
    clock.advance(3600)  # force the second loop through the lock
    assert asyncio.run(call()) == 200
    assert fake_sigma.grants() == ["client_credentials", "refresh_token"]


@pytest.mark.parametrize("url", ["http://api.sigma.test", "http://10.0.0.5:8080", "http://127.example.com"])
def test_plain_http_refused_for_non_loopback(url: str) -> None:
    """Credentials are never configured for plain http to a non-loopback host; the error says why."""
    with pytest.raises(InsecureTransportError, match="use https://"):
        SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=url)
    with pytest.raises(InsecureTransportError):
        SigmaClient(url, CLIENT_ID, CLIENT_SECRET)


@pytest.mark.parametrize("url", ["http://localhost:8080", "http://127.0.0.1", "http://127.8.9.10:1", "http://[::1]:9"])
def test_plain_http_allowed_for_loopback(url: str) -> None:
    """Plain http is accepted for loopback hosts (127.0.0.0/8, ::1, localhost), e.g. local test servers."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=url)
    assert auth.token_url.path == "/v2/auth/token"


def test_bearer_never_sent_over_plain_http(router: respx.MockRouter, auth: SigmaAuth, fake_sigma: FakeSigma) -> None:
    """A request to a plain-http, non-loopback URL through the auth fails before anything is sent."""
    with httpx.Client(auth=auth) as http, pytest.raises(InsecureTransportError):
        http.get("http://api.sigma.test/v2/connections")
    assert fake_sigma.token_requests == []
    assert fake_sigma.api_requests == []


def test_auth_rejects_bad_configuration() -> None:
    """Empty credentials, unknown auth methods, negative margins and a missing URL fail at construction."""
    with pytest.raises(ValueError, match="client_id"):
        SigmaAuth("", CLIENT_SECRET, base_url=BASE_URL)
    with pytest.raises(ValueError, match="client_secret"):
        SigmaAuth(CLIENT_ID, "", base_url=BASE_URL)
    with pytest.raises(ValueError, match="auth_method"):
        SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL, auth_method="digest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="refresh_margin"):
        SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL, refresh_margin=-1)
    with pytest.raises(ValueError, match="base_url"):
        SigmaAuth(CLIENT_ID, CLIENT_SECRET)
