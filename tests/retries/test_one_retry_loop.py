"""One retry loop (``sigma_sdk_auth._retry.retrying``) for API calls, token requests and job polls."""

from __future__ import annotations

import ast
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

import sigma_sdk_auth
from sigma_sdk_auth import InternalServerError, SigmaClient, _retry
from sigma_sdk_auth.jobs import await_materialization, wait_for_materialization
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, Mode, RecordedSleeps

TOKEN = "/v2/auth/token"
MEMBERS = "/v2/members"
MATERIALIZATION = "/v2/workbooks/wb1/materializations/m1"


class FlakySigma:
    """The token endpoint, one API endpoint and one materialization: each answers 503 to its first request."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.down: set[str] = set()  # paths that answer 503 every time

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests[path] += 1
        if self.requests[path] == 1 or path in self.down:
            return httpx.Response(503, json={"message": "busy, try again"})
        if path == TOKEN:
            return httpx.Response(200, json={"access_token": "AT-1", "expires_in": 3600})
        if path == MATERIALIZATION:
            return httpx.Response(200, json={"materializationId": "m1", "status": "ready"})
        return httpx.Response(200, json={"entries": []})


def make_client(fake: FlakySigma, sleeps: RecordedSleeps, **policy: Any) -> SigmaClient:
    sleeps.jitter = lambda cap: cap
    transport = httpx.MockTransport(fake.handle)
    return SigmaClient(
        BASE_URL,
        CLIENT_ID,
        CLIENT_SECRET,
        retry_policy=sleeps.policy(**policy),
        transport=transport,
        async_transport=transport,
    )


async def poll(mode: Mode, client: SigmaClient) -> None:
    """Wait for materialization m1 of workbook wb1, with the sync or the async API."""
    if mode == "sync":
        wait_for_materialization(client, workbook_id="wb1", materialization_id="m1")
    else:
        await await_materialization(client, workbook_id="wb1", materialization_id="m1")


async def call_and_poll(mode: Mode, client: SigmaClient) -> None:
    """An API call (which first needs a token), then a job poll, with the sync or the async API."""
    if mode == "sync":
        client.request("GET", MEMBERS)
    else:
        await client.arequest("GET", MEMBERS)
    await poll(mode, client)


async def test_one_policy_retries_token_requests_api_calls_and_job_polls(
    mode: Mode, recorded_sleeps: RecordedSleeps, caplog: pytest.LogCaptureFixture
) -> None:
    """One client policy retries a token request, an API call and a job poll alike, each logged by the one loop."""
    fake = FlakySigma()
    caplog.set_level(logging.INFO, logger="sigma_sdk")
    await call_and_poll(mode, make_client(fake, recorded_sleeps, max_retries=1, initial_delay=0.5))
    assert fake.requests == {TOKEN: 2, MEMBERS: 2, MATERIALIZATION: 2}
    assert recorded_sleeps == [0.5, 0.5, 0.5]
    retried = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying ")]
    after = "(retry 1 of 1) after HTTP 503 Service Unavailable; sleeping 0.50s"
    assert retried == [
        f"Retrying the Sigma token request {after}",
        f"Retrying GET {MEMBERS} {after}",
        f"Retrying GET {MATERIALIZATION} of workbook materialization m1 {after}",
    ]


async def test_a_change_to_the_retry_rule_reaches_all_three(
    mode: Mode, recorded_sleeps: RecordedSleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replacing the rule the one loop consults changes token requests, API calls and job polls together."""
    judged: list[tuple[str, int]] = []

    def never_retry(**kwargs: Any) -> _retry.Decision:
        response = kwargs["response"]
        judged.append((kwargs["method"], response.status_code))
        return _retry.Decision(False, 0.0, "this test's rule never retries")

    monkeypatch.setattr(_retry, "decide", never_retry)
    fake = FlakySigma()
    client = make_client(fake, recorded_sleeps, max_retries=5)
    with pytest.raises(InternalServerError, match="Requesting a Sigma access token failed"):
        await call_and_poll(mode, client)
    fake.requests[TOKEN] = 1  # the token endpoint's next answer is a token
    with pytest.raises(InternalServerError):
        await call_and_poll(mode, client)  # the API call's 503 is final now
    with pytest.raises(InternalServerError) as caught:
        await poll(mode, client)
    # The job's note says which poll's 503 was final.
    assert caught.value.__notes__[0].startswith("while waiting for workbook materialization m1")
    # A token request is judged as the idempotent PUT it is equivalent to; the others by their method.
    assert judged == [("PUT", 503), ("GET", 503), ("GET", 503)]
    assert recorded_sleeps == []


def calls_of(name: str) -> list[tuple[str, str]]:
    """(module, enclosing function) of every call to a function called ``name`` in sigma_sdk_auth."""
    found: list[tuple[str, str]] = []
    package = Path(sigma_sdk_auth.__file__).parent
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                callee = node.func if isinstance(node, ast.Call) else None
                called = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", None)
                if called == name:
                    found.append((path.relative_to(package).as_posix(), function.name))
    return found


def test_the_retry_rule_is_consulted_in_one_place_only() -> None:
    """decide() has one caller, retrying(); and retrying() is what auth, API calls and jobs run."""
    assert calls_of("decide") == [("_retry.py", "retrying")]
    users = {module for module, _ in calls_of("retrying")}
    assert users == {"_auth.py", "_retry.py", "jobs/_flows.py"}


async def test_a_token_request_and_a_job_poll_that_give_up_say_so_like_an_api_call(
    mode: Mode, recorded_sleeps: RecordedSleeps, caplog: pytest.LogCaptureFixture
) -> None:
    """Out of budget, the one loop logs "Giving up on ..." whatever it retried: token requests and job polls too."""
    fake = FlakySigma()
    fake.down = {TOKEN}
    client = make_client(fake, recorded_sleeps, max_retries=1, initial_delay=0.5)
    caplog.set_level(logging.INFO, logger="sigma_sdk")
    with pytest.raises(InternalServerError, match="Requesting a Sigma access token failed"):
        await call_and_poll(mode, client)
    fake.down = {MATERIALIZATION}
    with pytest.raises(InternalServerError):
        await call_and_poll(mode, client)
    gave_up = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Giving up on ")]
    budget = "HTTP 503 Service Unavailable; retry budget (1) exhausted"
    assert gave_up == [
        f"Giving up on the Sigma token request: {budget}",
        f"Giving up on GET {MATERIALIZATION} of workbook materialization m1: {budget}",
    ]
