"""Per-caller retry shaping: statuses taken at once (Sigma's lineage 500) while 429s keep their retries."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from sigma_sdk import Client
from sigma_sdk.api.workbooks import list_lineage, list_workbook_pages
from sigma_sdk.errors import InternalServerError
from sigma_sdk_auth import ConfigurationError, RetryPolicy
from sigma_sdk_auth._retry import decide
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeSigma, RecordedSleeps

WB = "9bbbe3b0-c0c8-4fac-b6f1-8dfebfe74f8b"
LINEAGE = f"/v2/workbooks/{WB}/lineage/elements/pivot1"
PAGES = f"/v2/workbooks/{WB}/pages"


def _response(status: int) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", f"{BASE_URL}/v2/x"))


@pytest.fixture
def routes(fake_sigma: FakeSigma) -> Iterator[tuple[respx.Route, respx.Route]]:
    """Lineage always answers 500 ("not present"); the pages list answers 429 once, then 200."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        lineage = router.get(LINEAGE).respond(500, json={"message": "lineage not present", "code": "internal"})
        pages = router.get(PAGES).mock(
            side_effect=[
                httpx.Response(429, json={"message": "slow down"}),
                httpx.Response(200, json={"entries": [{"pageId": "p1", "name": "Page 1"}], "nextPage": None}),
            ]
        )
        router.route().mock(side_effect=fake_sigma.handle)
        yield lineage, pages


def test_no_retry_status_is_taken_at_once_while_429_still_retries(
    routes: tuple[respx.Route, respx.Route], recorded_sleeps: RecordedSleeps
) -> None:
    """with_options(no_retry_statuses={500}): one request for the lineage 500; the 429 on the same client is retried."""
    lineage, pages = routes
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET, retry_policy=recorded_sleeps.policy()) as client:
        shaped = client.with_options(no_retry_statuses={500})
        with pytest.raises(InternalServerError, match="lineage not present"):
            list_lineage.sync(WB, "pivot1", client=shaped)
        assert lineage.call_count == 1
        assert len(recorded_sleeps) == 0
        assert [page.page_id for page in list_workbook_pages.sync(WB, client=shaped).entries] == ["p1"]
        assert pages.call_count == 2
        assert len(recorded_sleeps) == 1  # the 429 waited once
        with pytest.raises(InternalServerError):  # the root client keeps retrying 500s: 1 + 2 requests
            list_lineage.sync(WB, "pivot1", client=client)
        assert lineage.call_count == 1 + 3


async def test_no_retry_status_is_taken_at_once_while_429_still_retries_async(
    routes: tuple[respx.Route, respx.Route], recorded_sleeps: RecordedSleeps
) -> None:
    """The same shaping on the async path: one request for the 500, the 429 retried."""
    lineage, pages = routes
    async with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET, retry_policy=recorded_sleeps.policy()) as client:
        shaped = client.with_options(no_retry_statuses=[500])
        with pytest.raises(InternalServerError):
            await list_lineage.asyncio(WB, "pivot1", client=shaped)
        assert lineage.call_count == 1
        page = await list_workbook_pages.asyncio(WB, client=shaped)
        assert page.entries[0].page_id == "p1"
        assert pages.call_count == 2


def test_shaping_keeps_the_budget_and_hooks_and_can_be_undone(recorded_sleeps: RecordedSleeps) -> None:
    """with_options changes only the sets it is given; an empty set restores the default rule."""
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET, retry_policy=recorded_sleeps.policy(max_retries=5)) as client:
        shaped = client.with_options(no_retry_statuses={500, 503}, retry_statuses={409})
        assert shaped.retry_policy.max_retries == 5
        assert shaped.retry_policy.sleep == recorded_sleeps.sleep
        assert (shaped.retry_policy.no_retry_statuses, shaped.retry_policy.retry_statuses) == ({500, 503}, {409})
        assert shaped.with_options(no_retry_statuses=()).retry_policy.no_retry_statuses == frozenset()
        assert client.retry_policy.no_retry_statuses == frozenset()  # the root is unchanged


@pytest.mark.parametrize(
    ("method", "status", "retry"),
    [
        ("GET", 500, False),  # named: taken at once
        ("GET", 503, True),  # not named: the usual rule
        ("GET", 429, True),
        ("GET", 409, True),  # retry_statuses: retried like a 5xx ...
        ("POST", 409, False),  # ... but never for a method that may have acted
        ("POST", 429, True),
    ],
)
def test_decide_honours_both_sets(method: str, status: int, retry: bool) -> None:
    """decide(): no_retry_statuses stop at once, retry_statuses retry idempotent methods, the rest as before."""
    policy = RetryPolicy(no_retry_statuses={500}, retry_statuses={409})
    decision = decide(method=method, retries_done=0, policy=policy, response=_response(status))
    assert decision.retry is retry
    if status == 500:
        assert "no_retry_statuses" in decision.reason
        assert not decision.gave_up


def test_a_429_can_be_taken_at_once_too() -> None:
    """Naming 429 in no_retry_statuses is honoured (the caller asked), and the reason says why."""
    decision = decide(
        method="GET", retries_done=0, policy=RetryPolicy(no_retry_statuses={429}), response=_response(429)
    )
    assert (decision.retry, decision.reason) == (False, "HTTP 429 Too Many Requests (in no_retry_statuses)")


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ({"no_retry_statuses": {500}, "retry_statuses": {500}}, r"\[500\] are in both"),
        ({"no_retry_statuses": {200}}, "HTTP error statuses"),
        ({"no_retry_statuses": {"500"}}, "HTTP error statuses"),
        ({"retry_statuses": 500}, "collection of ints"),
    ],
)
def test_bad_status_sets_are_refused_with_a_clear_error(shape: dict[str, object], message: str) -> None:
    """Overlapping, non-error or non-int statuses fail at once (with_options: as a ConfigurationError)."""
    with pytest.raises((ValueError, TypeError), match=message):
        RetryPolicy(**shape)  # type: ignore[arg-type]
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client, pytest.raises(ConfigurationError, match=message):
        client.with_options(**shape)  # type: ignore[arg-type]
