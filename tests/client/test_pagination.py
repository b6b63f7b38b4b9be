"""Tests for sigma_sdk_auth._pagination: both Sigma paging styles, sync and async, against respx."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
import respx

from sigma_sdk.errors import PaginationCursorError, PaginationLoopError, SigmaError
from sigma_sdk_auth._pagination import Cursor, aiterate_pages, iterate_pages, next_cursor
from sigma_sdk_auth._validation import Operation

BASE = "https://api.test"
TOTAL = 2_500
MAX_LIMIT = 1_000


class Unset:
    """Stand-in for the generated package's UNSET sentinel: a falsy, non-string object."""

    def __bool__(self) -> bool:
        return False


UNSET = Unset()


def _offset_cursor(offset: int) -> str:
    # Looks URL-encoded on purpose (Sigma has sent such values): it must come back byte for byte.
    return urllib.parse.quote(f"offset={offset}&v=1/+", safe="")


def page_limit_handler(request: httpx.Request) -> httpx.Response:
    """A /v2/connections lookalike: page/limit in, {entries, nextPage, hasMore, total} out."""
    limit = int(request.url.params.get("limit", "50"))
    assert limit <= MAX_LIMIT
    page = request.url.params.get("page")
    offset = 0
    if page is not None:
        decoded = urllib.parse.unquote(page)
        assert page == _offset_cursor(int(decoded.split("&")[0].split("=")[1])), "cursor was altered"
        offset = int(decoded.split("&")[0].split("=")[1])
    end = min(offset + limit, TOTAL)
    entries = [{"connectionId": f"c{i}", "name": f"conn {i}"} for i in range(offset, end)]
    more = end < TOTAL
    body: dict[str, Any] = {
        "entries": entries,
        "nextPage": _offset_cursor(end) if more else None,
        "total": TOTAL,
        "hasMore": "true",  # deprecated and wrong on the last page: must not be trusted
    }
    return httpx.Response(200, json=body)


def page_token_handler(request: httpx.Request) -> httpx.Response:
    """A dataModels lookalike: pageToken/pageSize in, {entries, nextPageToken} out (absent at the end)."""
    size = int(request.url.params.get("pageSize", "50"))
    token = request.url.params.get("pageToken")
    offset = int(token.removeprefix("tok-")) if token else 0
    end = min(offset + size, TOTAL)
    body: dict[str, Any] = {"entries": [{"dataModelId": f"dm{i}"} for i in range(offset, end)]}
    if end < TOTAL:
        body["nextPageToken"] = f"tok-{end}"
    return httpx.Response(200, json=body)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get("/v2/connections").mock(side_effect=page_limit_handler)
        router.get("/v2/dataModels").mock(side_effect=page_token_handler)
        yield router


Fetch = Callable[[Cursor | None], tuple[Sequence[dict[str, Any]], Cursor | None]]


def fetch_connections(client: httpx.Client) -> Fetch:
    """What a generated page/limit ``iterate`` builds: largest limit, ``page=cursor``."""

    def fetch(cursor: Cursor | None) -> tuple[Sequence[dict[str, Any]], Cursor | None]:
        params: dict[str, Any] = {"limit": MAX_LIMIT}
        if cursor is not None:
            params["page"] = cursor
        body = client.get("/v2/connections", params=params).json()
        return body["entries"], next_cursor(body.get("nextPage"))

    return fetch


def fetch_data_models(client: httpx.Client) -> Fetch:
    """What a generated pageToken/pageSize ``iterate`` builds; an absent token becomes UNSET."""

    def fetch(cursor: Cursor | None) -> tuple[Sequence[dict[str, Any]], Cursor | None]:
        params: dict[str, Any] = {"pageSize": MAX_LIMIT}
        if cursor is not None:
            params["pageToken"] = cursor
        body = client.get("/v2/dataModels", params=params).json()
        return body["entries"], next_cursor(body.get("nextPageToken", UNSET))

    return fetch


def test_page_limit_2500_items_take_three_requests(mock: respx.MockRouter) -> None:
    """page/limit style: 2,500 items arrive in 3 requests of limit=1000, all unique, in order."""
    with httpx.Client(base_url=BASE) as client:
        items = list(iterate_pages(fetch_connections(client)))
    assert mock.routes[0].call_count == 3
    ids = [item["connectionId"] for item in items]
    assert len(ids) == TOTAL
    assert len(set(ids)) == TOTAL
    assert ids == [f"c{i}" for i in range(TOTAL)]


def test_page_limit_cursor_reaches_server_verbatim(mock: respx.MockRouter) -> None:
    """A URL-encoded-looking nextPage is sent back as the exact same value (not decoded or re-encoded)."""
    with httpx.Client(base_url=BASE) as client:
        list(iterate_pages(fetch_connections(client)))
    sent = [call.request.url.params.get("page") for call in mock.routes[0].calls]
    assert sent == [None, _offset_cursor(1000), _offset_cursor(2000)]
    assert "%" in sent[1]  # the value really looked encoded


def test_page_token_2500_items_take_three_requests(mock: respx.MockRouter) -> None:
    """pageToken/pageSize style: 2,500 items in 3 requests; the absent token ends iteration."""
    with httpx.Client(base_url=BASE) as client:
        items = list(iterate_pages(fetch_data_models(client)))
    assert mock.routes[1].call_count == 3
    assert len({item["dataModelId"] for item in items}) == TOTAL
    sent = [call.request.url.params.get("pageToken") for call in mock.routes[1].calls]
    assert sent == [None, "tok-1000", "tok-2000"]


@pytest.mark.parametrize(("path", "cursor_key"), [("/v2/connections", "page"), ("/v2/dataModels", "pageToken")])
async def test_async_matches_sync(mock: respx.MockRouter, path: str, cursor_key: str) -> None:
    """aiterate_pages yields exactly what iterate_pages yields, with the same 3 requests."""
    size_key = "limit" if cursor_key == "page" else "pageSize"
    next_key = "nextPage" if cursor_key == "page" else "nextPageToken"

    async with httpx.AsyncClient(base_url=BASE) as aclient:

        async def fetch(cursor: Cursor | None) -> tuple[Sequence[dict[str, Any]], Cursor | None]:
            params: dict[str, Any] = {size_key: MAX_LIMIT}
            if cursor is not None:
                params[cursor_key] = cursor
            body = (await aclient.get(path, params=params)).json()
            return body["entries"], next_cursor(body.get(next_key))

        async_items = [item async for item in aiterate_pages(fetch)]

    route = mock.routes[0 if cursor_key == "page" else 1]
    assert route.call_count == 3
    with httpx.Client(base_url=BASE) as client:
        sync_fetch = fetch_connections(client) if cursor_key == "page" else fetch_data_models(client)
        sync_items = list(iterate_pages(sync_fetch))
    assert async_items == sync_items
    assert len(async_items) == TOTAL


def test_has_more_is_not_trusted_over_next_page() -> None:
    """Iteration follows nextPage only: hasMore "true" with nextPage null stops; hasMore false with a cursor goes on."""
    pages: dict[str | None, dict[str, Any]] = {
        None: {"entries": [1], "nextPage": "p2", "hasMore": False},
        "p2": {"entries": [2], "nextPage": None, "hasMore": "true"},
    }
    calls: list[str | None] = []

    def fetch(cursor: Cursor | None) -> tuple[Sequence[int], Cursor | None]:
        calls.append(cursor)
        body = pages[cursor]
        return body["entries"], next_cursor(body["nextPage"])

    assert list(iterate_pages(fetch)) == [1, 2]
    assert calls == [None, "p2"]


def test_cursor_passed_back_as_the_same_object() -> None:
    """iterate_pages hands fetch_page the cursor object it returned, untouched."""
    cursor = "a%2Fb%3D%3D+c"
    received: list[Cursor | None] = []

    def fetch(c: Cursor | None) -> tuple[Sequence[str], Cursor | None]:
        received.append(c)
        return (["x"], cursor) if c is None else (["y"], None)

    assert list(iterate_pages(fetch)) == ["x", "y"]
    assert received[1] is cursor


def test_repeated_cursor_raises_instead_of_looping() -> None:
    """A server that returns the same cursor again raises PaginationLoopError (a SigmaError)."""
    calls = 0

    def fetch(cursor: Cursor | None) -> tuple[Sequence[int], Cursor | None]:
        nonlocal calls
        calls += 1
        assert calls < 10, "did not stop"
        return [calls], "same"

    seen: list[int] = []
    with pytest.raises(PaginationLoopError, match="'same' again after 2 page") as caught:
        seen.extend(iterate_pages(fetch))
    assert isinstance(caught.value, SigmaError)
    assert seen == [1, 2]
    assert calls == 2


def test_cursor_cycle_raises() -> None:
    """A longer cycle (A, B, A) is detected too."""
    chain: dict[str | None, str] = {None: "A", "A": "B", "B": "A"}

    def fetch(cursor: Cursor | None) -> tuple[Sequence[str], Cursor | None]:
        return [str(cursor)], chain[cursor]

    with pytest.raises(PaginationLoopError):
        list(iterate_pages(fetch))


async def test_async_repeated_cursor_raises() -> None:
    """aiterate_pages has the same repeated-cursor guard."""

    async def fetch(cursor: Cursor | None) -> tuple[Sequence[int], Cursor | None]:
        return [1], "again"

    with pytest.raises(PaginationLoopError):
        _ = [item async for item in aiterate_pages(fetch)]


def test_long_cursor_is_truncated_in_the_error() -> None:
    """The loop error quotes a bounded preview of a long cursor, not the whole thing."""

    def fetch(cursor: Cursor | None) -> tuple[Sequence[int], Cursor | None]:
        return [], "x" * 500

    with pytest.raises(PaginationLoopError) as caught:
        list(iterate_pages(fetch))
    assert len(str(caught.value)) < 200


def test_single_empty_page() -> None:
    """An empty first page with no cursor yields nothing after one fetch."""
    calls: list[Cursor | None] = []

    def fetch(cursor: Cursor | None) -> tuple[Sequence[int], Cursor | None]:
        calls.append(cursor)
        return [], None

    assert list(iterate_pages(fetch)) == []
    assert calls == [None]


def test_empty_string_cursor_ends_iteration() -> None:
    """A cursor of "" returned directly by fetch_page is treated as the last page."""
    calls = 0

    def fetch(cursor: Cursor | None) -> tuple[Sequence[int], Cursor | None]:
        nonlocal calls
        calls += 1
        return [calls], ""

    assert list(iterate_pages(fetch)) == [1]


def test_iteration_is_lazy() -> None:
    """Nothing is fetched until the first item is requested, and only as many pages as consumed."""
    calls: list[Cursor | None] = []

    def fetch(cursor: Cursor | None) -> tuple[Sequence[int], Cursor | None]:
        calls.append(cursor)
        page = 0 if cursor is None else int(cursor)
        return [page * 10 + i for i in range(10)], str(page + 1)

    iterator = iterate_pages(fetch)
    assert calls == []
    assert next(iterator) == 0
    assert calls == [None]
    for _ in range(10):
        next(iterator)
    assert calls == [None, "1"]


def test_fetch_errors_propagate() -> None:
    """An exception raised by fetch_page (e.g. a typed API error) reaches the caller unchanged."""

    def fetch(cursor: Cursor | None) -> tuple[Sequence[int], Cursor | None]:
        if cursor is None:
            return [1], "next"
        raise SigmaError("boom")

    iterator = iterate_pages(fetch)
    assert next(iterator) == 1
    with pytest.raises(SigmaError, match="boom"):
        next(iterator)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (UNSET, None),
        (False, None),
        (0, None),
        ("abc", "abc"),
        ("a%2Fb%3D", "a%2Fb%3D"),
        (" ", " "),
        (2, "2"),
    ],
)
def test_next_cursor_normalises(value: object, expected: str | None) -> None:
    """next_cursor maps None/UNSET/""/falsy to None and returns strings unchanged."""
    assert next_cursor(value) == expected


@pytest.mark.parametrize("value", [True, object(), ["p2"], 1.5])
def test_next_cursor_rejects_non_cursors(value: object) -> None:
    """A truthy value that is not a string or integer (e.g. True from a hasMore mix-up) raises SigmaError."""
    with pytest.raises(SigmaError, match="cursor"):
        next_cursor(value)


def test_a_bad_cursor_names_the_operation() -> None:
    """A non-cursor nextPage raises PaginationCursorError (a SigmaError) naming the operation and the value."""
    operation = Operation("listWorkbooks", "GET", "/v2/workbooks")
    with pytest.raises(PaginationCursorError, match=r"listWorkbooks \(GET /v2/workbooks\).*1\.5 \(float\)"):
        next_cursor(1.5, operation)
