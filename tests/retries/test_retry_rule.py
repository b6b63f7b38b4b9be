"""Unit tests for sigma_sdk_auth._retry: the retry rule, backoff, Retry-After, errors and logs (respx)."""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import httpx
import pytest
import respx

from sigma_sdk_auth import RetryPolicy
from sigma_sdk_auth._error_responses import raise_for_status
from sigma_sdk_auth._errors import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
)
from sigma_sdk_auth._retry import asend_with_retries, decide, send_with_retries
from tests.conftest import Mode, RecordedSleeps

BASE = "https://api.test"


@pytest.fixture(autouse=True)
def sleeps(recorded_sleeps: RecordedSleeps) -> RecordedSleeps:
    """No test here really waits: every policy comes from ``sleeps.policy()``, which records its sleeps."""
    return recorded_sleeps


@pytest.fixture
def max_jitter(sleeps: RecordedSleeps) -> None:
    """Make jitter deterministic: always the full backoff cap."""
    sleeps.jitter = lambda cap: cap


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


async def send(mode: Mode, kwargs: Mapping[str, Any], policy: RetryPolicy) -> httpx.Response:
    if mode == "sync":
        with httpx.Client(base_url=BASE) as client:
            return send_with_retries(client, kwargs, policy)
    async with httpx.AsyncClient(base_url=BASE) as aclient:
        return await asend_with_retries(aclient, kwargs, policy)


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# --- the decision table -------------------------------------------------------------------------

_REQ = httpx.Request("GET", f"{BASE}/x")


@pytest.mark.parametrize(
    ("method", "status", "retry"),
    [
        ("GET", 429, True),
        ("POST", 429, True),
        ("PATCH", 429, True),
        ("GET", 408, True),
        ("POST", 408, False),
        ("GET", 500, True),
        ("HEAD", 502, True),
        ("PUT", 503, True),
        ("DELETE", 504, True),
        ("OPTIONS", 520, True),
        ("POST", 500, False),
        ("POST", 503, False),
        ("PATCH", 503, False),
        ("GET", 501, False),
        ("GET", 505, False),
        ("GET", 400, False),
        ("GET", 401, False),
        ("GET", 404, False),
        ("GET", 200, False),
        ("get", 503, True),
    ],
)
def test_decide_status_table(method: str, status: int, retry: bool) -> None:
    """429 retries on any method; 408/5xx (not 501/505) only on idempotent methods; others never."""
    decision = decide(
        method=method, retries_done=0, policy=RetryPolicy(), response=httpx.Response(status, request=_REQ)
    )
    assert decision.retry is retry


@pytest.mark.parametrize(
    ("method", "error", "retry"),
    [
        ("GET", httpx.ConnectError("refused"), True),
        ("POST", httpx.ConnectError("refused"), True),
        ("POST", httpx.ConnectTimeout("slow connect"), True),
        ("POST", httpx.PoolTimeout("pool"), True),
        ("GET", httpx.ReadError("reset"), True),
        ("GET", httpx.RemoteProtocolError("dropped"), True),
        ("GET", httpx.ReadTimeout("slow"), True),
        ("PUT", httpx.WriteError("broken pipe"), True),
        ("POST", httpx.ReadError("reset"), False),
        ("POST", httpx.RemoteProtocolError("dropped"), False),
        ("POST", httpx.ReadTimeout("slow"), False),
        ("PATCH", httpx.WriteTimeout("slow"), False),
        ("GET", httpx.LocalProtocolError("bad header"), False),
        ("GET", httpx.UnsupportedProtocol("ftp"), False),
    ],
)
def test_decide_transport_table(method: str, error: httpx.TransportError, retry: bool) -> None:
    """Errors before sending retry for any method; errors after sending only for idempotent ones."""
    assert decide(method=method, retries_done=0, policy=RetryPolicy(), error=error).retry is retry


def test_decide_stops_when_budget_is_spent() -> None:
    """The decision stops (gave_up) once retries_done reaches max_retries."""
    response = httpx.Response(503, request=_REQ)
    policy = RetryPolicy(max_retries=2)
    assert decide(method="GET", retries_done=1, policy=policy, response=response).retry
    final = decide(method="GET", retries_done=2, policy=policy, response=response)
    assert not final.retry
    assert final.gave_up


def test_decide_needs_response_or_error() -> None:
    """Calling decide with neither a response nor an error is a programming error."""
    with pytest.raises(ValueError, match="response or an error"):
        decide(method="GET", retries_done=0, policy=RetryPolicy())


def test_policy_defaults_validation_and_immutability() -> None:
    """RetryPolicy has the agreed defaults, rejects negative values and is frozen."""
    policy = RetryPolicy()
    assert (policy.max_retries, policy.initial_delay, policy.max_delay, policy.max_retry_after) == (2, 0.5, 8.0, 60.0)
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="max_delay"):
        RetryPolicy(max_delay=-0.1)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.max_retries = 5  # type: ignore[misc]


# --- Retry-After ---------------------------------------------------------------------------------


async def test_retry_after_seconds_is_slept(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """A 429 with Retry-After: 3 sleeps exactly 3 seconds, then the retry's response is returned."""
    route = mock.get("/v2/files").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json={"ok": True})]
    )
    response = await send(mode, {"method": "GET", "url": "/v2/files"}, sleeps.policy())
    assert response.status_code == 200
    assert route.call_count == 2
    assert sleeps == [3.0]


async def test_retry_after_http_date_is_slept(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """A 429 with an HTTP-date Retry-After sleeps until that date (second granularity)."""
    mock.get("/v2/files").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": http_date(30)}), httpx.Response(200)]
    )
    response = await send(mode, {"method": "GET", "url": "/v2/files"}, sleeps.policy())
    assert response.status_code == 200
    assert len(sleeps) == 1
    assert 28.0 <= sleeps[0] <= 30.0


async def test_retry_after_in_the_past_means_now(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """An HTTP-date already past retries immediately (sleep 0)."""
    mock.get("/v2/files").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": http_date(-120)}), httpx.Response(200)]
    )
    assert (await send(mode, {"method": "GET", "url": "/v2/files"}, sleeps.policy())).status_code == 200
    assert sleeps == [0.0]


@pytest.mark.parametrize("header", ["120", "date"])
async def test_retry_after_beyond_cap_returns_429_with_retry_after(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps, header: str
) -> None:
    """Retry-After above max_retry_after: no retry, the 429 is returned and its RateLimitError carries the delay."""
    value = "120" if header == "120" else http_date(120)
    route = mock.post("/v2/workbooks/w1/export").mock(
        return_value=httpx.Response(429, headers={"Retry-After": value}, json={"message": "slow down", "code": "rl"})
    )
    response = await send(mode, {"method": "POST", "url": "/v2/workbooks/w1/export", "json": {}}, sleeps.policy())
    assert response.status_code == 429
    assert route.call_count == 1
    assert sleeps == []
    with pytest.raises(RateLimitError) as caught:
        raise_for_status(response)
    assert caught.value.retry_after is not None
    assert 118.0 <= caught.value.retry_after <= 120.0


async def test_retry_after_cap_is_configurable(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """A Retry-After within a raised max_retry_after is waited out."""
    mock.get("/x").mock(side_effect=[httpx.Response(429, headers={"Retry-After": "120"}), httpx.Response(200)])
    response = await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy(max_retry_after=300))
    assert response.status_code == 200
    assert sleeps == [120.0]


async def test_retry_after_on_503_is_honoured(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """A 503 on an idempotent request honours Retry-After like a 429."""
    mock.get("/x").mock(side_effect=[httpx.Response(503, headers={"Retry-After": "2"}), httpx.Response(200)])
    assert (await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy())).status_code == 200
    assert sleeps == [2.0]


async def test_garbage_retry_after_falls_back_to_backoff(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps, max_jitter: None
) -> None:
    """An unparseable Retry-After is ignored and the jittered backoff is used instead."""
    mock.get("/x").mock(side_effect=[httpx.Response(429, headers={"Retry-After": "soon"}), httpx.Response(200)])
    assert (await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy())).status_code == 200
    assert sleeps == [0.5]


async def test_429_without_retry_after_uses_backoff(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps, max_jitter: None
) -> None:
    """A 429 with no Retry-After backs off exponentially from initial_delay."""
    mock.get("/x").mock(side_effect=[httpx.Response(429), httpx.Response(429), httpx.Response(200)])
    assert (await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy(initial_delay=0.25))).status_code == 200
    assert sleeps == [0.25, 0.5]


# --- backoff and budget --------------------------------------------------------------------------


async def test_backoff_grows_and_is_capped(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps, max_jitter: None
) -> None:
    """The backoff cap doubles per retry from initial_delay and never exceeds max_delay."""
    mock.get("/x").mock(return_value=httpx.Response(503))
    policy = sleeps.policy(max_retries=6, initial_delay=0.5, max_delay=4.0)
    response = await send(mode, {"method": "GET", "url": "/x"}, policy)
    assert response.status_code == 503
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


async def test_full_jitter_stays_within_cap(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """With the real jitter each delay lies in [0, min(max_delay, initial_delay * 2**n)]."""
    sleeps.jitter = RetryPolicy().jitter
    random.seed(1234)
    mock.get("/x").mock(return_value=httpx.Response(500))
    policy = sleeps.policy(max_retries=8, initial_delay=0.5, max_delay=3.0)
    await send(mode, {"method": "GET", "url": "/x"}, policy)
    assert len(sleeps) == 8
    for n, delay in enumerate(sleeps):
        assert 0.0 <= delay <= min(3.0, 0.5 * 2**n)
    assert len(set(sleeps)) > 1  # actually jittered


async def test_misbehaving_jitter_hook_is_clamped(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """A jitter hook returning out-of-range values cannot push a delay outside [0, cap]."""
    values = iter([100.0, -5.0])
    sleeps.jitter = lambda cap: next(values)
    mock.get("/x").mock(side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200)])
    await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy(max_delay=2.0))
    assert sleeps == [0.5, 0.0]


def test_huge_budget_does_not_overflow(sleeps: RecordedSleeps, max_jitter: None) -> None:
    """Thousands of retries keep the delay at max_delay instead of overflowing the exponent."""
    policy = sleeps.policy(max_retries=10_000, max_delay=1.0)
    decision = decide(method="GET", retries_done=5_000, policy=policy, response=httpx.Response(503, request=_REQ))
    assert decision.retry
    assert decision.delay == 1.0


@pytest.mark.parametrize("status", [429, 503])
async def test_max_retries_zero_disables(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps, status: int
) -> None:
    """max_retries=0 sends once and returns the failure response untouched."""
    route = mock.get("/x").mock(return_value=httpx.Response(status))
    response = await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy(max_retries=0))
    assert response.status_code == status
    assert route.call_count == 1
    assert sleeps == []


async def test_out_of_budget_returns_last_response(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """After max_retries retries the last response is returned and maps to its typed error."""
    route = mock.get("/x").mock(
        side_effect=[httpx.Response(502), httpx.Response(504), httpx.Response(503, json={"requestId": "req-9"})]
    )
    response = await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy())
    assert route.call_count == 3
    assert len(sleeps) == 2
    with pytest.raises(InternalServerError) as caught:
        raise_for_status(response)
    assert caught.value.status_code == 503
    assert caught.value.request_id == "req-9"


@pytest.mark.parametrize("status", [500, 503, 408])
async def test_post_is_not_retried_on_server_errors(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps, status: int
) -> None:
    """A POST meeting 408/5xx is sent exactly once (the server may have acted on it)."""
    route = mock.post("/v2/connections").mock(return_value=httpx.Response(status))
    response = await send(mode, {"method": "POST", "url": "/v2/connections", "json": {"name": "c"}}, sleeps.policy())
    assert response.status_code == status
    assert route.call_count == 1
    assert sleeps == []


async def test_post_is_retried_on_429(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """A 429 on POST is retried: the rate limiter rejected it before anything happened."""
    route = mock.post("/v2/connections").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(201, json={"connectionId": "c"})]
    )
    response = await send(mode, {"method": "POST", "url": "/v2/connections", "json": {"name": "c"}}, sleeps.policy())
    assert response.status_code == 201
    assert route.call_count == 2
    assert route.calls[1].request.content == route.calls[0].request.content  # same body resent


async def test_idempotent_methods_retry_5xx(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """PUT and DELETE are idempotent and retried on 5xx."""
    put = mock.put("/v2/x").mock(side_effect=[httpx.Response(500), httpx.Response(200)])
    delete = mock.delete("/v2/x").mock(side_effect=[httpx.Response(502), httpx.Response(204)])
    assert (await send(mode, {"method": "PUT", "url": "/v2/x", "json": {}}, sleeps.policy())).status_code == 200
    assert (await send(mode, {"method": "DELETE", "url": "/v2/x"}, sleeps.policy())).status_code == 204
    assert (put.call_count, delete.call_count) == (2, 2)


async def test_request_kwargs_are_passed_through(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """params, headers and json reach httpx unchanged on every attempt."""
    route = mock.get("/v2/members").mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    await send(
        mode,
        {"method": "GET", "url": "/v2/members", "params": {"limit": 1000}, "headers": {"X-Test": "1"}, "timeout": 5},
        sleeps.policy(),
    )
    for call in route.calls:
        assert call.request.url.params["limit"] == "1000"
        assert call.request.headers["X-Test"] == "1"


# --- transport errors ----------------------------------------------------------------------------


async def test_connect_error_is_retried_even_for_post(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps
) -> None:
    """A ConnectError means the request never left, so even a POST is retried."""
    route = mock.post("/v2/connections").mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(201)])
    response = await send(mode, {"method": "POST", "url": "/v2/connections", "json": {}}, sleeps.policy())
    assert response.status_code == 201
    assert route.call_count == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("error", [httpx.ReadError("reset"), httpx.RemoteProtocolError("Server disconnected")])
async def test_post_not_retried_after_it_may_have_arrived(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps, error: httpx.TransportError
) -> None:
    """A POST that fails after sending raises APIConnectionError at once, chained from the httpx error."""
    route = mock.post("/v2/connections").mock(side_effect=error)
    with pytest.raises(APIConnectionError) as caught:
        await send(mode, {"method": "POST", "url": "/v2/connections", "json": {}}, sleeps.policy())
    assert not isinstance(caught.value, APITimeoutError)
    assert caught.value.__cause__ is error
    assert route.call_count == 1
    assert sleeps == []
    assert "not retried" in str(caught.value)


async def test_get_dropped_connection_is_retried(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """A GET whose connection was dropped is retried and can succeed."""
    mock.get("/x").mock(
        side_effect=[httpx.RemoteProtocolError("dropped"), httpx.ReadError("reset"), httpx.Response(200)]
    )
    assert (await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy())).status_code == 200
    assert len(sleeps) == 2


async def test_timeouts_out_of_budget_raise_api_timeout_error(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps
) -> None:
    """Read timeouts beyond the budget raise APITimeoutError chained from httpx.ReadTimeout."""
    route = mock.get("/x").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(APITimeoutError) as caught:
        await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy())
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert route.call_count == 3
    assert "3 attempts" in str(caught.value)
    assert caught.value.request is not None


async def test_connect_errors_out_of_budget_raise_api_connection_error(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps
) -> None:
    """ConnectErrors beyond the budget raise APIConnectionError (not a timeout) after max_retries+1 tries."""
    route = mock.get("/x").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as caught:
        await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy(max_retries=1))
    assert type(caught.value) is APIConnectionError
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert route.call_count == 2


async def test_local_protocol_error_is_not_retried(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """A LocalProtocolError is a bug in the request: raised as APIConnectionError without retrying."""
    route = mock.get("/x").mock(side_effect=httpx.LocalProtocolError("bad header"))
    with pytest.raises(APIConnectionError):
        await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy())
    assert route.call_count == 1


async def test_non_transport_errors_propagate(mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps) -> None:
    """Errors that are not transport failures (e.g. TooManyRedirects) propagate unchanged."""
    mock.get("/x").mock(side_effect=httpx.TooManyRedirects("loop"))
    with pytest.raises(httpx.TooManyRedirects):
        await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy())


async def test_transport_error_message_has_no_secrets(
    mode: Mode, mock: respx.MockRouter, sleeps: RecordedSleeps
) -> None:
    """The raised error's message names method and path but no query, header, body or token."""
    mock.post("/v2/auth/token").mock(side_effect=httpx.ReadError("reset while sending Bearer abc.def.ghi"))
    with pytest.raises(APIConnectionError) as caught:
        await send(
            mode,
            {
                "method": "POST",
                "url": "/v2/auth/token?access_token=qsecret",
                "headers": {"Authorization": "Bearer hdrsecret"},
                "data": {"client_secret": "bodysecret"},
            },
            sleeps.policy(),
        )
    text = str(caught.value)
    assert "POST /v2/auth/token" in text
    for secret in ("qsecret", "hdrsecret", "bodysecret", "abc.def.ghi"):
        assert secret not in text


# --- logging ------------------------------------------------------------------------------------


async def test_each_retry_is_logged_at_info_without_secrets(
    mode: Mode, mock: respx.MockRouter, caplog: pytest.LogCaptureFixture, max_jitter: None, sleeps: RecordedSleeps
) -> None:
    """One INFO record per retry on 'sigma_sdk' with method, path, attempt, reason and delay; no secrets."""
    mock.get("/v2/connections").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(503), httpx.Response(200)]
    )
    caplog.set_level(logging.INFO, logger="sigma_sdk")
    await send(
        mode,
        {
            "method": "GET",
            "url": "/v2/connections?page=tok123",
            "headers": {"Authorization": "Bearer hdrsecret"},
        },
        sleeps.policy(),
    )
    records = [r for r in caplog.records if r.name == "sigma_sdk"]
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
    first, second = (r.getMessage() for r in records)
    assert "GET /v2/connections" in first
    assert "retry 1 of 2" in first
    assert "429" in first
    assert "1.00s" in first
    assert "retry 2 of 2" in second
    assert "503" in second
    assert "1.00s" in second  # backoff for the second retry: initial 0.5 * 2
    for message in (first, second):
        assert "hdrsecret" not in message
        assert "tok123" not in message
        assert "api.test" not in message


async def test_giving_up_on_capped_retry_after_is_logged(
    mode: Mode, mock: respx.MockRouter, caplog: pytest.LogCaptureFixture, sleeps: RecordedSleeps
) -> None:
    """Stopping because Retry-After exceeds the cap is logged at INFO with the advised delay."""
    mock.get("/x").mock(return_value=httpx.Response(429, headers={"Retry-After": "600"}))
    caplog.set_level(logging.INFO, logger="sigma_sdk")
    await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy())
    messages = [r.getMessage() for r in caplog.records if r.name == "sigma_sdk"]
    assert len(messages) == 1
    assert "Giving up on GET /x" in messages[0]
    assert "600" in messages[0]


async def test_every_attempt_is_logged_at_debug(
    mode: Mode, mock: respx.MockRouter, caplog: pytest.LogCaptureFixture, sleeps: RecordedSleeps
) -> None:
    """At DEBUG each attempt is one line: method, path without query, status or error, elapsed ms, request id."""
    mock.get("/v2/members").mock(
        side_effect=[
            httpx.ReadError("reset"),
            httpx.Response(503),
            httpx.Response(200, headers={"x-request-id": "req-42"}),
        ]
    )
    caplog.set_level(logging.DEBUG, logger="sigma_sdk")
    kwargs = {"method": "GET", "url": "/v2/members?pageToken=tok123", "headers": {"Authorization": "Bearer hdr"}}
    await send(mode, kwargs, sleeps.policy())
    lines = [r.getMessage() for r in caplog.records if r.name == "sigma_sdk" and r.levelno == logging.DEBUG]
    assert len(lines) == 3
    assert re.fullmatch(r"GET /v2/members -> ReadError after \d+ ms", lines[0])
    assert re.fullmatch(r"GET /v2/members -> HTTP 503 Service Unavailable in \d+ ms \(request id -\)", lines[1])
    assert re.fullmatch(r"GET /v2/members -> HTTP 200 OK in \d+ ms \(request id req-42\)", lines[2])


async def test_nothing_is_given_up_when_retrying_is_off(
    mode: Mode, mock: respx.MockRouter, caplog: pytest.LogCaptureFixture, sleeps: RecordedSleeps
) -> None:
    """With max_retries=0 a 503 is returned without a "Giving up" line: with retrying off, nothing was given up."""
    mock.get("/x").mock(return_value=httpx.Response(503))
    caplog.set_level(logging.INFO, logger="sigma_sdk")
    response = await send(mode, {"method": "GET", "url": "/x"}, sleeps.policy(max_retries=0))
    assert response.status_code == 503
    assert [r.getMessage() for r in caplog.records if r.name == "sigma_sdk" and r.levelno >= logging.INFO] == []
