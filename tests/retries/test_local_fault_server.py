"""Retries against a real local HTTP server that injects 429s, 503s, dropped connections and stalls.

Issue 4's "Done when" scenario: 500 calls against a server that answers 429 every 5th request
(``Retry-After: 0``), 503 every 7th and drops the connection every 11th.  Each test compares the
outcome of every call with a model of the retry rule run over the same schedule, so the number of
attempts per call is checked as well as the final result.

The soaks run in-process (the stand-in's ``transport()``: the same fault rules, a drop raised as
the ``RemoteProtocolError`` a closed socket gives) where sockets add nothing; one sync GET, one
async GET and one POST soak also run over a real socket, where a dropped connection is really
closed and the pool must open a new one.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest

from sigma_sdk_auth import RetryPolicy
from sigma_sdk_auth._error_responses import raise_for_status
from sigma_sdk_auth._errors import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
)
from sigma_sdk_auth._retry import asend_with_retries, send_with_retries
from tests.conftest import RecordedSleeps

from ._fault_server import Fault, FaultServer, Schedule, sigma_issue_schedule

CALLS = 500
Outcome = Literal["ok", "429", "503", "drop"]


def quick(**fields: Any) -> RetryPolicy:
    """A policy whose retries don't wait: its sleeps are recorded instead."""
    return RecordedSleeps().policy(**fields)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(sigma_issue_schedule, max_lifetime=60.0) as srv:
        yield srv


@pytest.fixture
def in_process() -> FaultServer:
    """The same fault server, never started: its stand-in answers through ``transport()``, no socket."""
    return FaultServer(sigma_issue_schedule)


def client_options(server: FaultServer) -> dict[str, Any]:
    """httpx client options reaching ``server``: over its socket when started, else in-process."""
    if server.running:
        return {"base_url": server.base_url}
    return {"base_url": "http://127.0.0.1", "transport": server.things.transport()}


def expected_outcomes(schedule: Schedule, calls: int, max_retries: int, method: str) -> tuple[list[Outcome], int]:
    """Model of the retry rule: each call's outcome and the total number of requests the server sees."""
    n = 0
    outcomes: list[Outcome] = []
    for _ in range(calls):
        for attempt in range(max_retries + 1):
            n += 1
            fault = schedule(n)
            if fault is None:
                outcomes.append("ok")
                break
            assert fault in ("429", "503", "drop")
            if method == "POST" and fault in ("503", "drop"):
                outcomes.append(fault)
                break
            if attempt == max_retries:
                outcomes.append(fault)
    return outcomes, n


def classify(error: Exception | None) -> Outcome:
    """Map the exception a call ended with to the fault that caused it, checking its type on the way."""
    if error is None:
        return "ok"
    if isinstance(error, RateLimitError):
        assert error.retry_after == 0.0
        return "429"
    if isinstance(error, InternalServerError):
        assert error.status_code == 503
        assert error.code == "unavailable"
        return "503"
    assert type(error) is APIConnectionError, repr(error)
    assert isinstance(error.__cause__, httpx.RemoteProtocolError)
    return "drop"


def kwargs_for(method: str, call_id: str) -> dict[str, object]:
    if method == "GET":
        return {"method": "GET", "url": f"/v2/connections/{call_id}", "headers": {"X-Call-Id": call_id}}
    return {"method": "POST", "url": "/things", "json": {"name": call_id}, "headers": {"X-Call-Id": call_id}}


def run_sync(server: FaultServer, method: str, policy: RetryPolicy, calls: int) -> tuple[list[Outcome], list[str]]:
    outcomes: list[Outcome] = []
    ids: list[str] = []
    with httpx.Client(timeout=5.0, **client_options(server)) as client:
        for _ in range(calls):
            call_id = uuid.uuid4().hex
            ids.append(call_id)
            error: Exception | None = None
            try:
                raise_for_status(send_with_retries(client, kwargs_for(method, call_id), policy))
            except (RateLimitError, InternalServerError, APIConnectionError) as exc:
                error = exc
            outcomes.append(classify(error))
    return outcomes, ids


async def run_async(
    server: FaultServer, method: str, policy: RetryPolicy, calls: int
) -> tuple[list[Outcome], list[str]]:
    outcomes: list[Outcome] = []
    ids: list[str] = []
    async with httpx.AsyncClient(timeout=5.0, **client_options(server)) as client:
        for _ in range(calls):
            call_id = uuid.uuid4().hex
            ids.append(call_id)
            error: Exception | None = None
            try:
                raise_for_status(await asend_with_retries(client, kwargs_for(method, call_id), policy))
            except (RateLimitError, InternalServerError, APIConnectionError) as exc:
                error = exc
            outcomes.append(classify(error))
    return outcomes, ids


def test_schedule_has_at_most_three_faults_in_a_row() -> None:
    """The issue's schedule never produces four consecutive faults (and does produce three)."""
    faults = [sigma_issue_schedule(n) is not None for n in range(1, 5001)]
    longest = run = 0
    for is_fault in faults:
        run = run + 1 if is_fault else 0
        longest = max(longest, run)
    assert longest == 3


def test_500_gets_all_succeed_with_three_retries(in_process: FaultServer) -> None:
    """With max_retries=3 every one of 500 GETs succeeds despite 429/503/dropped connections."""
    server = in_process
    outcomes, _ = run_sync(server, "GET", quick(max_retries=3), CALLS)
    assert outcomes == ["ok"] * CALLS
    _, requests = expected_outcomes(sigma_issue_schedule, CALLS, 3, "GET")
    assert server.request_count == requests
    assert {fault for _, _, fault in server.faults} == {"429", "503", "drop"}


def test_500_gets_with_default_budget_fail_with_matching_error(server: FaultServer) -> None:
    """With the default 2 retries a call meeting 3 faults raises the typed error for the last fault."""
    outcomes, _ = run_sync(server, "GET", quick(), CALLS)
    expected, requests = expected_outcomes(sigma_issue_schedule, CALLS, 2, "GET")
    assert outcomes == expected
    assert server.request_count == requests
    counts = Counter(outcomes)
    assert counts["429"] > 0
    assert counts["503"] > 0
    assert counts["drop"] > 0
    assert counts["ok"] == CALLS - counts["429"] - counts["503"] - counts["drop"]


async def test_500_gets_async_matches_sync_model(server: FaultServer) -> None:
    """The async loop produces exactly the same per-call outcomes and request count as the model."""
    outcomes, _ = await run_async(server, "GET", quick(), CALLS)
    expected, requests = expected_outcomes(sigma_issue_schedule, CALLS, 2, "GET")
    assert outcomes == expected
    assert server.request_count == requests


async def test_500_gets_async_all_succeed_with_three_retries(in_process: FaultServer) -> None:
    """Async: with max_retries=3 every one of 500 GETs succeeds."""
    outcomes, _ = await run_async(in_process, "GET", quick(max_retries=3), CALLS)
    assert outcomes == ["ok"] * CALLS


@pytest.mark.parametrize(("max_retries", "over_socket"), [(2, True), (3, False)], ids=["2-socket", "3-in-process"])
def test_500_posts_create_at_most_once(
    server: FaultServer, in_process: FaultServer, max_retries: int, over_socket: bool
) -> None:
    """POSTs retry only 429s; a 503 or dropped connection raises at once, so no call creates twice."""
    server = server if over_socket else in_process
    outcomes, ids = run_sync(server, "POST", quick(max_retries=max_retries), CALLS)
    expected, requests = expected_outcomes(sigma_issue_schedule, CALLS, max_retries, "POST")
    assert outcomes == expected
    assert server.request_count == requests
    assert max(server.creates.values()) == 1  # never a duplicate create
    assert all(server.creates[call_id] == 1 for call_id in ids)  # every call reached the server once
    counts = Counter(outcomes)
    assert counts["503"] > 0
    assert counts["drop"] > 0


async def test_500_posts_async_create_at_most_once(in_process: FaultServer) -> None:
    """Async POSTs obey the same at-most-once rule as sync ones."""
    server = in_process
    outcomes, ids = await run_async(server, "POST", quick(), CALLS)
    expected, requests = expected_outcomes(sigma_issue_schedule, CALLS, 2, "POST")
    assert outcomes == expected
    assert server.request_count == requests
    assert all(server.creates[call_id] == 1 for call_id in ids)


def _stall_first(n: int) -> Fault | None:
    return "stall" if n == 1 else None


def test_read_timeout_raises_api_timeout_error_promptly() -> None:
    """A stalled GET with max_retries=0 raises APITimeoutError within about the configured timeout."""
    with FaultServer(_stall_first, stall_seconds=2.0) as srv, httpx.Client(base_url=srv.base_url) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            send_with_retries(client, {"method": "GET", "url": "/slow", "timeout": 0.2}, quick(max_retries=0))
        elapsed = time.monotonic() - started
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert elapsed < 1.5


def test_read_timeout_on_get_is_retried() -> None:
    """A GET that timed out once is retried and succeeds."""
    with FaultServer(_stall_first, stall_seconds=2.0) as srv, httpx.Client(base_url=srv.base_url) as client:
        response = send_with_retries(client, {"method": "GET", "url": "/slow", "timeout": 0.2}, quick())
        assert response.status_code == 200
        assert srv.request_count == 2


def test_read_timeout_on_post_is_not_retried() -> None:
    """A POST that timed out waiting for the answer is not resent (the server may be creating)."""
    with FaultServer(_stall_first, stall_seconds=1.0) as srv, httpx.Client(base_url=srv.base_url) as client:
        with pytest.raises(APITimeoutError):
            send_with_retries(
                client, {"method": "POST", "url": "/things", "json": {}, "timeout": 0.2}, quick(max_retries=3)
            )
        assert srv.request_count == 1


async def test_async_read_timeout_raises_api_timeout_error() -> None:
    """Async: a stalled GET raises APITimeoutError after its budget."""
    with FaultServer(_stall_first, stall_seconds=2.0) as srv:
        async with httpx.AsyncClient(base_url=srv.base_url) as client:
            with pytest.raises(APITimeoutError):
                await asend_with_retries(
                    client, {"method": "GET", "url": "/slow", "timeout": 0.2}, quick(max_retries=0)
                )


def _closed_port() -> int:
    """A port nothing listens on: bound by the OS, then released."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def test_refused_connection_retries_post_then_raises(recorded_sleeps: RecordedSleeps) -> None:
    """A refused connection (request never sent) is retried even for POST, then raises APIConnectionError."""
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{_closed_port()}") as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        send_with_retries(client, {"method": "POST", "url": "/things", "json": {}}, recorded_sleeps.policy())
    assert type(caught.value) is APIConnectionError
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(recorded_sleeps) == 2
    assert "3 attempts" in str(caught.value)


def test_fault_server_stops_itself() -> None:
    """The helper server shuts itself down after max_lifetime even if nobody stops it."""
    srv = FaultServer(sigma_issue_schedule, max_lifetime=0.2).__enter__()
    deadline = time.monotonic() + 5
    while not srv.stopped and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.stopped
    with pytest.raises(httpx.ConnectError), httpx.Client(base_url=srv.base_url, timeout=1.0) as client:
        client.get("/after-stop")
    srv.stop()  # idempotent
