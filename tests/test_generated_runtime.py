"""The generated endpoint modules wired to the runtime: auth, typed errors and iterate()/aiterate()."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from sigma_sdk import Client
from sigma_sdk.api.account_types import list_account_types
from sigma_sdk.api.connections import get_connection, list_connections
from sigma_sdk.errors import NotFoundError

from ._payloads import connection_payload

BASE = "https://api.us-a.aws.sigmacomputing.com"
TOTAL = 2_500


def _token_route(router: respx.Router) -> respx.Route:
    return router.post(f"{BASE}/v2/auth/token").respond(
        200, json={"access_token": "at-1", "refresh_token": "rt-1", "token_type": "bearer", "expires_in": 3600}
    )


def _paged_connections(request: httpx.Request) -> httpx.Response:
    """page/limit style: `page` is an opaque string here, as Sigma's nextPage is."""
    limit = int(float(request.url.params["limit"]))
    start = int(request.url.params.get("page", "p0")[1:])
    end = min(start + limit, TOTAL)
    next_page = f"p{end}" if end < TOTAL else None
    body = {"entries": [connection_payload(i) for i in range(start, end)], "nextPage": next_page, "total": TOTAL,
            "hasMore": "true" if next_page else "false"}  # fmt: skip
    return httpx.Response(200, json=body)


def _token_paged_account_types(request: httpx.Request) -> httpx.Response:
    """pageToken/pageSize style: the token is absent on the last page."""
    size = int(float(request.url.params["pageSize"]))
    start = int(request.url.params.get("pageToken", "t0")[1:])
    end = min(start + size, TOTAL)
    body: dict[str, Any] = {"entries": [{"accountTypeId": f"a-{i}", "accountTypeName": f"type {i}",
                                         "description": "", "isCustom": False} for i in range(start, end)]}  # fmt: skip
    if end < TOTAL:
        body["nextPageToken"] = f"t{end}"
    return httpx.Response(200, json=body)


def test_iterate_walks_2500_connections_in_three_requests() -> None:
    """Default iterate() asks for 1,000 a page: 3 page requests, 2,500 unique typed entries, one token."""
    with respx.mock(assert_all_called=True) as router:
        token = _token_route(router)
        pages = router.get(f"{BASE}/v2/connections").mock(side_effect=_paged_connections)
        with Client(base_url="aws-us-east", client_id="id", client_secret="secret") as client:
            ids = [c.connection_id for c in list_connections.iterate(client=client)]
    assert len(ids) == len(set(ids)) == TOTAL
    assert pages.call_count == 3
    assert token.call_count == 1
    assert all(call.request.headers["Authorization"] == "Bearer at-1" for call in pages.calls)
    assert [call.request.url.params.get("page") for call in pages.calls] == [None, "p1000", "p2000"]


async def test_aiterate_matches_iterate_for_the_token_style() -> None:
    """pageToken/pageSize lists: aiterate() yields what iterate() yields, in 3 requests each."""
    with respx.mock(assert_all_called=True) as router:
        _token_route(router)
        pages = router.get(f"{BASE}/v2/accountTypes").mock(side_effect=_token_paged_account_types)
        async with Client(base_url=BASE, client_id="id", client_secret="secret") as client:
            async_ids = [a.account_type_id async for a in list_account_types.aiterate(client=client)]
            sync_ids = [a.account_type_id for a in list_account_types.iterate(client=client)]
    assert async_ids == sync_ids
    assert len(set(async_ids)) == TOTAL
    assert pages.call_count == 6


def test_sync_raises_typed_errors_and_detailed_does_not() -> None:
    """A 404 raises NotFoundError with Sigma's code and requestId; sync_detailed returns the status."""
    body = {"message": "Connection not found", "code": "not_found", "requestId": "req-42"}
    with respx.mock() as router:
        _token_route(router)
        router.get(f"{BASE}/v2/connections/missing").respond(404, json=body)
        with Client(base_url=BASE, client_id="id", client_secret="secret") as client:
            with pytest.raises(NotFoundError) as caught:
                get_connection.sync("missing", client=client)
            detailed = get_connection.sync_detailed("missing", client=client)
    assert (caught.value.status_code, caught.value.code, caught.value.request_id) == (404, "not_found", "req-42")
    assert detailed.status_code == 404
    assert detailed.parsed is None
    assert json.loads(detailed.content) == body
