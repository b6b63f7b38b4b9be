"""The token endpoint under faults: retried like an idempotent call, never redirected, errors scrubbed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
import respx

from sigma_sdk_auth import (
    APIConnectionError,
    AuthenticationError,
    InsecureTransportError,
    InternalServerError,
    PermissionDeniedError,
    RateLimitError,
    SigmaAuth,
    SigmaClient,
)
from sigma_sdk_auth._error_responses import raise_for_status
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeClock, FakeSigma, RecordedSleeps

TOKEN_PATH = "/v2/auth/token"
EVIL = "https://evil.test"

# A fault is a response to answer with, or a transport error to raise, in place of the real answer.
Fault = Callable[[httpx.Request], httpx.Response]


def answer(status: int, **headers: str) -> Fault:
    return lambda request: httpx.Response(status, headers=headers, json={"message": f"fault {status}"})


def fail(error: type[httpx.TransportError]) -> Fault:
    def raise_it(request: httpx.Request) -> httpx.Response:
        raise error("injected", request=request)

    return raise_it


class TokenFaults:
    """fake_sigma.handle, except that the first token requests meet ``faults`` in order; counts every attempt."""

    def __init__(self, fake: FakeSigma, faults: list[Fault]) -> None:
        self.fake = fake
        self.faults = list(faults)
        self.token_attempts = 0
        self.evil_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == httpx.URL(EVIL).host:
            self.evil_requests.append(request)
            return httpx.Response(200, json={"access_token": "stolen"})
        if request.url.path == TOKEN_PATH:
            self.token_attempts += 1
            if self.faults:
                return self.faults.pop(0)(request)
        return self.fake.handle(request)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def serve(mock: respx.MockRouter, fake: FakeSigma, faults: list[Fault]) -> TokenFaults:
    handler = TokenFaults(fake, faults)
    mock.route().mock(side_effect=handler)
    return handler


FAULTS = {
    "503": answer(503),
    "503 Retry-After": answer(503, **{"Retry-After": "0"}),
    "429 Retry-After": answer(429, **{"Retry-After": "0"}),
    "502": answer(502),
    "dropped connection": fail(httpx.RemoteProtocolError),
    "connection refused": fail(httpx.ConnectError),
    "read timeout": fail(httpx.ReadTimeout),
}


# --- retries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("fault", FAULTS)
def test_one_token_fault_is_retried(
    mock: respx.MockRouter, fake_sigma: FakeSigma, recorded_sleeps: RecordedSleeps, fault: str, method: str
) -> None:
    """One 429/5xx/transport fault on POST /v2/auth/token is retried; the API call (even a POST) succeeds."""
    served = serve(mock, fake_sigma, [FAULTS[fault]])
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, retry_policy=recorded_sleeps.policy(max_retries=2)) as client:
        response = client._send({"method": method, "url": "/v2/things"})
    assert response.status_code == 200
    assert served.token_attempts == 2
    assert len(recorded_sleeps) == 1  # one pause, through the client's policy
    assert fake_sigma.grants() == ["client_credentials"]
    assert [path for path, _ in fake_sigma.api_requests] == ["/v2/things"]  # the API request went once


async def test_one_token_fault_is_retried_async(
    mock: respx.MockRouter, fake_sigma: FakeSigma, recorded_sleeps: RecordedSleeps
) -> None:
    """The async driver retries the token request the same way (here a dropped connection, then a 503)."""
    served = serve(mock, fake_sigma, [FAULTS["dropped connection"], FAULTS["503"]])
    policy = recorded_sleeps.policy(max_retries=2)
    async with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, retry_policy=policy) as client:
        response = await client._asend({"method": "post", "url": "/v2/things"})
    assert response.status_code == 200
    assert served.token_attempts == 3
    assert len(recorded_sleeps) == 2


def test_token_retries_use_the_clients_policy(recorded_sleeps: RecordedSleeps) -> None:
    """SigmaClient's auth retries token requests with the client's own RetryPolicy (max_retries, sleep hooks)."""
    client = SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, max_retries=4)
    assert client.auth.retry_policy is client.retry_policy
    assert client.impersonate("ada@example.com").auth.retry_policy is client.retry_policy
    policy = recorded_sleeps.policy(max_retries=1)
    assert SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, retry_policy=policy).auth.retry_policy is policy


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_token_retries_are_bounded_by_max_retries(
    mock: respx.MockRouter, fake_sigma: FakeSigma, max_retries: int
) -> None:
    """A token endpoint that keeps answering 503 gets 1 + max_retries attempts, then InternalServerError."""
    served = serve(mock, fake_sigma, [FAULTS["503 Retry-After"]] * 10)
    with (
        SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, max_retries=max_retries) as client,
        pytest.raises(InternalServerError, match="Requesting a Sigma access token failed: fault 503"),
    ):
        client._send({"method": "get", "url": "/v2/things"})
    assert served.token_attempts == 1 + max_retries
    assert fake_sigma.api_requests == []


def test_token_transport_errors_outlasting_the_budget_raise_api_connection_error(
    mock: respx.MockRouter, fake_sigma: FakeSigma, recorded_sleeps: RecordedSleeps
) -> None:
    """Dropped connections on every attempt raise APIConnectionError naming the token endpoint, no secret."""
    served = serve(mock, fake_sigma, [FAULTS["dropped connection"]] * 10)
    with (
        SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, retry_policy=recorded_sleeps.policy(max_retries=2)) as client,
        pytest.raises(APIConnectionError) as info,
    ):
        client._send({"method": "post", "url": "/v2/things"})
    assert served.token_attempts == 3
    message = str(info.value)
    assert "Requesting a Sigma access token" in message
    assert "after 3 attempts: RemoteProtocolError" in message
    assert CLIENT_SECRET not in message + repr(info.value)
    assert info.value.request is not None
    assert info.value.request.url.path == "/v2/things"  # the API request, not the one holding the secret


@pytest.mark.parametrize("status", [400, 401, 403])
def test_refused_grant_is_not_retried(mock: respx.MockRouter, fake_sigma: FakeSigma, status: int) -> None:
    """A 400/401/403 from the token endpoint refuses the grant: one attempt, whatever the budget."""
    served = serve(mock, fake_sigma, [answer(status)])
    with (
        SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, max_retries=5) as client,
        pytest.raises(AuthenticationError, match="rejected the client credentials") as info,
    ):
        client._send({"method": "get", "url": "/v2/things"})
    assert served.token_attempts == 1
    assert info.value.status_code == status


@pytest.mark.parametrize("status", [501, 505])
def test_final_5xx_is_not_retried(mock: respx.MockRouter, fake_sigma: FakeSigma, status: int) -> None:
    """501 and 505 are answers, not hiccups: one token attempt."""
    served = serve(mock, fake_sigma, [answer(status)])
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, max_retries=5) as client, pytest.raises(InternalServerError):
        client._send({"method": "get", "url": "/v2/things"})
    assert served.token_attempts == 1


def test_retry_after_beyond_the_cap_is_not_waited_out(mock: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """A 429 advising more than max_retry_after stops at once with RateLimitError carrying the advice."""
    served = serve(mock, fake_sigma, [answer(429, **{"Retry-After": "3600"})])
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client, pytest.raises(RateLimitError) as info:
        client._send({"method": "get", "url": "/v2/things"})
    assert served.token_attempts == 1
    assert info.value.retry_after == 3600


def test_refresh_grant_is_retried_before_falling_back(
    mock: respx.MockRouter, fake_sigma: FakeSigma, clock: FakeClock
) -> None:
    """A 503 on the refresh grant is retried with the same refresh token, not turned into a fallback."""
    served = serve(mock, fake_sigma, [])
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL, clock=clock)
    with httpx.Client(base_url=BASE_URL, auth=auth) as http:
        http.get("/v2/things")
        clock.advance(3600)
        served.faults = [FAULTS["503 Retry-After"]]
        assert http.get("/v2/things").status_code == 200
    assert fake_sigma.grants() == ["client_credentials", "refresh_token"]
    assert served.token_attempts == 3


def test_token_exchange_is_retried(mock: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """Impersonation's token exchange gets the same retries (a 429 here)."""
    served = serve(mock, fake_sigma, [])
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        client._send({"method": "get", "url": "/v2/things"})  # the admin token
        served.faults = [FAULTS["429 Retry-After"]]
        user = client.impersonate("ada@example.com")
        assert user._send({"method": "get", "url": "/v2/things"}).status_code == 200
    assert served.token_attempts == 3
    assert len(fake_sigma.exchanges) == 1


# --- redirects -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [307, 308, 302])
def test_token_redirect_is_never_followed_by_sigma_client(
    mock: respx.MockRouter, fake_sigma: FakeSigma, status: int
) -> None:
    """With follow_redirects=True in httpx_args, a 3xx from the token endpoint raises; nothing reaches its target."""
    served = serve(mock, fake_sigma, [answer(status, Location=f"{EVIL}/steal")])
    with (
        SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, httpx_args={"follow_redirects": True}) as client,
        pytest.raises(InsecureTransportError, match=r"redirect \(HTTP \d+ to 'evil.test'\)") as info,
    ):
        client._send({"method": "get", "url": "/v2/things"})
    assert served.evil_requests == []
    assert served.token_attempts == 1
    assert CLIENT_SECRET not in str(info.value)


def test_token_redirect_within_the_api_host_is_not_followed_either(
    mock: respx.MockRouter, fake_sigma: FakeSigma
) -> None:
    """A 307 from the token endpoint to another path on the same host is not followed: the form is never re-sent."""
    served = serve(mock, fake_sigma, [answer(307, Location="/v2/auth/elsewhere")])
    with (
        SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, httpx_args={"follow_redirects": True}) as client,
        pytest.raises(InsecureTransportError, match="redirect"),
    ):
        client._send({"method": "get", "url": "/v2/things"})
    assert served.token_attempts == 1
    assert [call.request.url.path for call in mock.calls] == [TOKEN_PATH]


@pytest.mark.parametrize("status", [301, 307, 308])
def test_bare_auth_refuses_a_token_redirect(mock: respx.MockRouter, fake_sigma: FakeSigma, status: int) -> None:
    """A bare SigmaAuth on a plain httpx client never takes a 3xx as the token answer: InsecureTransportError."""
    served = serve(mock, fake_sigma, [answer(status, Location=f"{EVIL}/steal")])
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL)
    with (
        httpx.Client(base_url=BASE_URL, auth=auth) as http,
        pytest.raises(InsecureTransportError, match="credentials are never sent to a redirect target"),
    ):
        http.get("/v2/things")
    assert served.evil_requests == []
    assert fake_sigma.api_requests == []


# --- scrubbing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("echo", ["bearer", "refresh", "secret"])
def test_api_error_echoing_credentials_is_scrubbed(mock: respx.MockRouter, fake_sigma: FakeSigma, echo: str) -> None:
    """An API error body that echoes the bearer token, refresh token or secret shows none of them in str/repr."""
    echoed = {"bearer": "access-1-tok", "refresh": "refresh-1-tok", "secret": CLIENT_SECRET}[echo]

    def gateway(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/gateway":  # a gateway that quotes what it was sent
            return httpx.Response(403, json={"message": f"token {echoed} is not allowed here", "code": echoed})
        return fake_sigma.handle(request)

    mock.route().mock(side_effect=gateway)
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        response = client._send({"method": "get", "url": "/v2/gateway"})
        with pytest.raises(PermissionDeniedError) as info:
            raise_for_status(response)
    text = str(info.value) + repr(info.value) + str(info.value.code)
    assert echoed not in text
    assert "is not allowed here" in text


def test_scrubbing_covers_a_plain_httpx_bearer_header() -> None:
    """Even without SigmaAuth, the credential in the request's Authorization header is scrubbed from errors."""
    request = httpx.Request("GET", f"{BASE_URL}/v2/x", headers={"Authorization": "Bearer tok-abc-123456"})
    response = httpx.Response(401, json={"message": "bad token tok-abc-123456"}, request=request)
    with pytest.raises(AuthenticationError) as info:
        raise_for_status(response)
    assert "tok-abc-123456" not in str(info.value) + repr(info.value)


# --- small untruths ------------------------------------------------------------------------------


def test_sigma_auth_does_not_claim_to_need_response_bodies() -> None:
    """requires_response_body is gone: both drivers are SigmaAuth's own and read only what they need."""
    assert "requires_response_body" not in vars(SigmaAuth)
    assert SigmaAuth.requires_response_body is httpx.Auth.requires_response_body


class _Recorder(FakeSigma):
    """A server that records every request it gets (the redirect target)."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return httpx.Response(200, json={"access_token": "stolen"})


def test_token_redirect_over_real_sockets_never_carries_the_secret(sigma_server: tuple[str, FakeSigma]) -> None:
    """Over real sockets, SigmaClient with follow_redirects=True sends nothing to a token 307's target."""
    from sigma_sdk_auth.testing import StandinServer

    base_url, fake = sigma_server
    recorder = _Recorder()
    with StandinServer(recorder, max_lifetime=30) as target:
        location = f"{target.base_url}/steal"
        fake._token = lambda request: httpx.Response(307, headers={"Location": location})  # type: ignore[method-assign]
        args = {"follow_redirects": True}
        with (
            SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET, httpx_args=args) as client,
            pytest.raises(InsecureTransportError, match="redirect"),
        ):
            client._send({"method": "get", "url": "/v2/things"})
    assert recorder.received == []
    assert fake.api_requests == []
