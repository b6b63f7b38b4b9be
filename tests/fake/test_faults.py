"""The fake's injected failures: 429 before a request is acted on, 503 and drops after, stalls, schedules."""

from __future__ import annotations

import time

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.errors import APIConnectionError, InternalServerError, RateLimitError
from sigma_sdk.testing import SigmaStandin, run_standin

from .conftest import SECRET, export


def test_injected_faults_hit_the_next_matching_requests(client: Client, standin: SigmaStandin) -> None:
    """inject() fails the next N requests to a path; the SDK retries GETs through them."""
    standin.inject("503", path="/v2/whoami", times=2)
    standin.inject("429", path="/v2/whoami", retry_after=0)
    who_am_i.sync(client=client.with_options(max_retries=3))
    assert [status for _, path, status in standin.requests if path == "/v2/whoami"] == [503, 503, 429, 200]
    assert [fault for _, _, _, fault in standin.faults()] == ["503", "503", "429"]


def test_faults_beyond_the_retry_budget_raise_typed_errors(client: Client, standin: SigmaStandin) -> None:
    """A 429 past the budget raises RateLimitError with Retry-After; a 503 raises InternalServerError."""
    standin.inject("429", path="/v2/whoami", times=3, retry_after=0)
    with pytest.raises(RateLimitError) as limited:
        who_am_i.sync(client=client)
    assert limited.value.retry_after == 0.0
    standin.inject("503", times=3)
    with pytest.raises(InternalServerError):
        who_am_i.sync(client=client)


def test_503_and_drop_come_after_the_request_was_acted_on(http: httpx.Client, standin: SigmaStandin) -> None:
    """A create answered 503 or dropped has still happened; a 429 has not (a rate limiter answers first)."""
    workbook_id = standin.workbooks()[0]["workbookId"]
    standin.inject("429", method="POST")
    assert export(http, workbook_id).status_code == 429
    standin.inject("503", method="POST")
    assert export(http, workbook_id).status_code == 503
    standin.inject("drop", method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        export(http, workbook_id)
    assert len(standin.exports()) == 2
    assert [r[2] for r in standin.requests] == [429, 503, 0]


def test_a_drop_over_http_closes_the_connection_without_an_answer() -> None:
    """Served over HTTP, a drop closes the socket; past the retry budget the SDK raises APIConnectionError."""
    with (
        run_standin(client_secret=SECRET, max_lifetime=30) as server,
        Client(server.base_url, server.client_id, SECRET, httpx_args={"trust_env": False}) as client,
    ):
        server.standin.inject("drop", path="/v2/whoami", times=3)
        with pytest.raises(APIConnectionError) as caught:
            who_am_i.sync(client=client)
        assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
        assert server.standin.requests_to("/v2/whoami") == [("GET", "/v2/whoami", 0)] * 3


def test_fault_schedule_decides_by_sequence_number(standin: SigmaStandin, http: httpx.Client) -> None:
    """fault_schedule(n, request) picks each request's fault from its 1-based sequence number."""
    standin.fault_schedule = lambda n, request: "503" if n % 2 == 0 else None
    statuses = [http.get("/v2/whoami").status_code for _ in range(4)]
    assert statuses == [200, 503, 200, 503]
    assert standin.request_count == 4


def test_stall_answers_late(standin: SigmaStandin, http: httpx.Client) -> None:
    """A stall fault waits stall_seconds before answering normally."""
    standin.stall_seconds = 0.2
    standin.inject("stall")
    started = time.monotonic()
    assert http.get("/v2/whoami").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_inject_rejects_unknown_faults(standin: SigmaStandin) -> None:
    """An unknown fault name or a count below one is a ValueError naming the problem."""
    with pytest.raises(ValueError, match="unknown fault"):
        standin.inject("500")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="times"):
        standin.inject("503", times=0)
