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
from sigma_sdk.errors import BadRequestError, NotFoundError
from tests._support.payloads import connection_payload

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


# -- the UNSET sentinel survives copies --------------------------------------------------------------


def _copies(model: Any) -> list[Any]:
    import copy
    import pickle

    return [copy.copy(model), copy.deepcopy(model), pickle.loads(pickle.dumps(model))]  # noqa: S301 - our own bytes


def test_unset_is_one_object_through_copy_deepcopy_and_pickle() -> None:
    """UNSET copied, deep-copied or pickled is UNSET itself: falsy, `repr` UNSET, a type checkers narrow."""
    import copy
    import pickle

    from sigma_sdk.types import UNSET, Unset

    for copied in (copy.copy(UNSET), copy.deepcopy(UNSET), pickle.loads(pickle.dumps(UNSET))):  # noqa: S301
        assert copied is UNSET
    assert isinstance(UNSET, Unset)
    assert (bool(UNSET), repr(UNSET), str(UNSET)) == (False, "UNSET", "UNSET")


def test_a_copied_model_with_unset_fields_is_equal_and_serializes() -> None:
    """A request model copied any way is equal to the original and to_dict() leaves the unset fields out."""
    from sigma_sdk.models import CreateConnectionRequest, SnowflakeKeyPairAuthentication
    from sigma_sdk.types import UNSET

    model = CreateConnectionRequest(name="w", details=SnowflakeKeyPairAuthentication(user="u", private_key="k"))
    for copied in _copies(model):
        assert copied == model
        assert copied.details.account is UNSET
        assert json.dumps(copied.to_dict()) == json.dumps(model.to_dict())


@respx.mock(assert_all_called=False)
def test_a_deep_copied_model_is_sent_as_the_original(respx_mock: respx.MockRouter) -> None:
    """Sending a deep copy of a request sends the same JSON as the original (no TypeError on the sentinel)."""
    from sigma_sdk.api.connections import create_connection
    from sigma_sdk.models import CreateConnectionRequest, SnowflakeKeyPairAuthentication

    _token_route(respx_mock)
    sent = respx_mock.post(f"{BASE}/v2/connections").respond(400, json={"message": "no"})
    model = CreateConnectionRequest(name="w", details=SnowflakeKeyPairAuthentication(user="u", private_key="k"))
    with Client(BASE, "id", "secret") as client:
        for copied in (model, *_copies(model)):
            with pytest.raises(BadRequestError, match="no"):
                create_connection.sync(client=client, body=copied)
    bodies = [json.loads(call.request.content) for call in sent.calls]
    assert len(bodies) == 4
    assert all(body == bodies[0] for body in bodies)


@respx.mock(assert_all_called=False)
async def test_a_deep_copied_model_is_sent_as_the_original_async(respx_mock: respx.MockRouter) -> None:
    """Async twin: the copies are sent as the original."""
    from sigma_sdk.api.connections import create_connection
    from sigma_sdk.models import CreateConnectionRequest, SnowflakeKeyPairAuthentication

    _token_route(respx_mock)
    sent = respx_mock.post(f"{BASE}/v2/connections").respond(400, json={"message": "no"})
    model = CreateConnectionRequest(name="w", details=SnowflakeKeyPairAuthentication(user="u", private_key="k"))
    async with Client(BASE, "id", "secret") as client:
        for copied in (model, *_copies(model)):
            with pytest.raises(BadRequestError, match="no"):
                await create_connection.asyncio(client=client, body=copied)
    bodies = [json.loads(call.request.content) for call in sent.calls]
    assert len(bodies) == 4
    assert all(body == bodies[0] for body in bodies)
