"""The fake's operations: whoami, connections, members, workbooks, account types, canned answers.

Raw HTTP over a real socket (``wire``) pins the QuickStart's wire behaviour; the rest runs
in-process through the SDK or raw httpx; every answer is checked against Sigma's spec.
"""

from __future__ import annotations

import httpx
import pytest
from _samples import iter_operation_schemas, lenient_spec, validate

from sigma_sdk import Client
from sigma_sdk.api.account_types import list_account_types
from sigma_sdk.api.connections import get_connection
from sigma_sdk.api.members import get_member, list_members
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.api.workbooks import get_workbook, list_workbooks
from sigma_sdk.errors import NotFoundError
from sigma_sdk.models import Connection, ListConnectionsResponse, WhoAmIResponse
from sigma_sdk.testing import SigmaStandin, StandinServer
from tests._support.spec import load_spec

from .conftest import CLIENT_ID, CLIENT_SECRET, SECRET, assert_sigma_error, bearer, export, snowflake_body

# -- whoami and connections (over HTTP) -----------------------------------------------------------


def test_whoami_names_the_user_and_organization(wire: httpx.Client, server: StandinServer) -> None:
    """GET /v2/whoami answers {userId, organizationId} (parsed by WhoAmIResponse)."""
    me = WhoAmIResponse.from_dict(wire.get("/v2/whoami", headers=bearer(wire)).json())
    assert (me.user_id, me.organization_id) == (server.user_id, server.organization_id)


def test_list_connections_pages_with_an_opaque_cursor(wire: httpx.Client) -> None:
    """limit=50 over 120 connections gives pages of 50, 50, 20; nextPage is opaque, then null."""
    headers = bearer(wire)
    sizes, ids, params = [], [], {"limit": "50"}
    while True:
        response = wire.get("/v2/connections", params=params, headers=headers)
        assert response.status_code == 200
        page = ListConnectionsResponse.from_dict(response.json())
        assert page.total == 120
        sizes.append(len(page.entries))
        ids += [c.connection_id for c in page.entries]
        if page.next_page is None:
            break
        assert "50" not in page.next_page  # opaque, not a page number or an offset
        params = {"limit": "50", "page": page.next_page}
    assert sizes == [50, 50, 20]
    assert len(set(ids)) == 120


def test_list_connections_defaults_filters_and_archived(wire: httpx.Client) -> None:
    """No limit gives 50; search filters by name; includeArchived=true adds the 4 archived ones."""
    headers = bearer(wire)
    default = wire.get("/v2/connections", headers=headers).json()
    assert len(default["entries"]) == 50
    assert not any(c["isArchived"] for c in default["entries"])
    archived = wire.get("/v2/connections", params={"includeArchived": "true", "limit": "1000"}, headers=headers).json()
    assert (archived["total"], archived["nextPage"]) == (124, None)
    found = wire.get("/v2/connections", params={"search": "sample"}, headers=headers).json()
    assert [c["name"] for c in found["entries"]] == ["Sigma Sample Database"]
    assert found["entries"][0]["isSample"] is True


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "1001"}, {"limit": "2.5"}, {"limit": "ten"}, {"page": "not-a-cursor"}],
)
def test_list_connections_rejects_bad_limits_and_cursors(wire: httpx.Client, params: dict[str, str]) -> None:
    """An out-of-range limit or a forged cursor answers 400 with Sigma's error body."""
    assert_sigma_error(wire.get("/v2/connections", params=params, headers=bearer(wire)), 400, "bad_request")


def test_a_cursor_only_works_for_its_own_query(wire: httpx.Client) -> None:
    """A nextPage from one search is refused for another (400), like any foreign cursor."""
    headers = bearer(wire)
    cursor = wire.get("/v2/connections", params={"limit": "5"}, headers=headers).json()["nextPage"]
    response = wire.get("/v2/connections", params={"limit": "5", "search": "Finance", "page": cursor}, headers=headers)
    assert_sigma_error(response, 400, "bad_request")


def test_create_snowflake_key_pair_connection(wire: httpx.Client, server: StandinServer) -> None:
    """A valid key-pair body answers 201 with a Connection (no secrets echoed) that GET and List then show."""
    headers = bearer(wire)
    body = snowflake_body(warehouse="COMPUTE_WH", role="SIGMA_ROLE", privateKeyPassphrase="pass-phrase-1")
    response = wire.post("/v2/connections", json=body, headers=headers)
    assert response.status_code == 201
    assert "MIIEvQIBADANBgkq" not in response.text
    assert "pass-phrase-1" not in response.text
    created = Connection.from_dict(response.json())
    assert (created.type_, created.account, created.user, created.warehouse) == (
        "snowflake",
        "acme-xy12345",
        "SIGMA_SERVICE",
        "COMPUTE_WH",
    )
    fetched = wire.get(f"/v2/connections/{created.connection_id}", headers=headers)
    assert Connection.from_dict(fetched.json()) == created
    listed = wire.get("/v2/connections", params={"search": "key pair"}, headers=headers).json()["entries"]
    assert [c["connectionId"] for c in listed] == [created.connection_id]
    assert len(server.connections()) == 125


def test_unknown_connection_is_404_with_sigma_error_body(wire: httpx.Client, server: StandinServer) -> None:
    """GET /v2/connections/{unknown} answers 404 {code: "not_found"}; the SDK raises NotFoundError."""
    assert_sigma_error(wire.get("/v2/connections/no-such-id", headers=bearer(wire)), 404, "not_found")
    client = Client(server.base_url, CLIENT_ID, CLIENT_SECRET, httpx_args={"trust_env": False})
    with client, pytest.raises(NotFoundError) as caught:
        get_connection.sync("no-such-id", client=client)
    assert (caught.value.code, caught.value.status_code) == ("not_found", 404)
    assert caught.value.request_id


# -- members, workbooks, account types ------------------------------------------------------------


def test_members_bare_array_without_limit_and_pages_with_it(http: httpx.Client, standin: SigmaStandin) -> None:
    """GET /v2/members answers a bare array without limit (as Sigma does) and {entries, nextPage} with it."""
    bare = http.get("/v2/members").json()
    assert isinstance(bare, list)
    active = [m for m in standin.members() if not m["isArchived"] and not m["isInactive"]]
    assert [m["memberId"] for m in bare] == [m["memberId"] for m in active]
    page = http.get("/v2/members", params={"limit": "5"}).json()
    assert [m["memberId"] for m in page["entries"]] == [m["memberId"] for m in active[:5]]
    assert page["nextPage"]


def test_members_and_workbooks_iterate_through_the_sdk(client: Client, standin: SigmaStandin) -> None:
    """The SDK's iterate() walks members and workbooks page by page to the seeded totals; get_* reads one."""
    members = list(list_members.iterate(client=client, include_archived=True, include_inactive=True, limit=7))
    assert len(members) == len(standin.members()) == 30
    workbooks = list(list_workbooks.iterate(client=client, limit=5))
    assert [w.workbook_id for w in workbooks] == [w["workbookId"] for w in standin.workbooks()]
    assert get_workbook.sync(workbooks[3].workbook_id, client=client).name == workbooks[3].name
    me = who_am_i.sync(client=client)
    assert get_member.sync(me.user_id, client=client).member_type == "admin"
    pages = [r for r in standin.requests if r[1].startswith("/v2/workbooks?")]
    assert len(pages) == 3  # 12 workbooks, 5 a page


def test_account_types_use_page_tokens(http: httpx.Client, client: Client, standin: SigmaStandin) -> None:
    """GET /v2/accountTypes pages with pageToken/pageSize; nextPageToken is absent on the last page."""
    first = http.get("/v2/accountTypes", params={"pageSize": "2"}).json()
    assert len(first["entries"]) == 2
    second = http.get("/v2/accountTypes", params={"pageSize": "2", "pageToken": first["nextPageToken"]}).json()
    last = http.get("/v2/accountTypes", params={"pageSize": "2", "pageToken": second["nextPageToken"]}).json()
    assert "nextPageToken" not in last
    names = [t.account_type_name for t in list_account_types.iterate(client=client, page_size=2)]
    assert names == ["Admin", "Creator", "Explorer", "Viewer", "Analyst (custom)"]


# -- canned answers and in-process use ------------------------------------------------------------


def test_answer_serves_canned_answers_in_order_then_the_real_one(standin: SigmaStandin, http: httpx.Client) -> None:
    """answer() queues responses per path (as sent), each `times` times; then the stand-in answers again."""
    standin.answer("/v2/whoami", httpx.Response(503), times=2)
    standin.answer("/v2/whoami", httpx.Response(418))
    standin.answer("/v2/members/a%2Fb", httpx.Response(200, json={"canned": True}), method="GET")
    assert [http.get("/v2/whoami").status_code for _ in range(4)] == [503, 503, 418, 200]
    assert http.get("/v2/members/a%2Fb").json() == {"canned": True}
    assert http.get("/v2/members/a%2Fb").status_code == 404
    standin.answer("/v2/whoami", httpx.Response(204), times=None)
    assert {http.get("/v2/whoami").status_code for _ in range(3)} == {204}


def test_answer_functions_may_raise_and_the_token_is_still_checked(standin: SigmaStandin, http: httpx.Client) -> None:
    """A canned function sees the request; its transport error reaches the client (status 0); no bearer: 401."""

    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    standin.answer("/v2/whoami", stall)
    with pytest.raises(httpx.ReadTimeout):
        http.get("/v2/whoami")
    assert standin.requests[-1] == ("GET", "/v2/whoami", 0)
    standin.answer("/v2/whoami", httpx.Response(200))
    assert httpx.Client(transport=standin.transport()).get("http://127.0.0.1/v2/whoami").status_code == 401
    with pytest.raises(ValueError, match="times"):
        standin.answer("/v2/whoami", httpx.Response(200), times=0)


def test_on_receive_sees_every_request_with_its_extensions(standin: SigmaStandin, http: httpx.Client) -> None:
    """on_receive is called with each httpx.Request as it arrives (its timeout extension included)."""
    seen: list[tuple[str, object]] = []
    standin.on_receive = lambda request: seen.append((request.url.path, request.extensions["timeout"]["read"]))
    http.get("/v2/whoami", timeout=7)
    assert seen == [("/v2/whoami", 7)]


async def test_async_client_works_in_process(standin: SigmaStandin) -> None:
    """The same transport serves the SDK's async calls."""
    transport = standin.transport()
    async with Client("http://127.0.0.1", standin.client_id, SECRET, async_transport=transport) as client:
        me = await who_am_i.asyncio(client=client)
    assert me.user_id == standin.user_id


# -- answers match Sigma's spec -------------------------------------------------------------------


def test_answers_match_the_spec_schemas(http: httpx.Client, standin: SigmaStandin) -> None:
    """Every answer the fake gives (token, lists, gets, create, export, materialization, error) fits the spec."""
    spec = lenient_spec(load_spec())
    schemas = {(op, where): s for op, where, ctype, s in iter_operation_schemas(spec) if ctype == "application/json"}
    error_schema = spec["components"]["responses"]["ApiError"]["content"]["application/json"]["schema"]
    credentials = {"grant_type": "client_credentials", "client_id": standin.client_id, "client_secret": SECRET}
    token = http.post("/v2/auth/token", data=credentials).json()
    created = http.post("/v2/connections", json=snowflake_body()).json()
    workbook_id = standin.workbooks()[0]["workbookId"]
    member_id = standin.members()[1]["memberId"]
    started = http.post(f"/v2/workbooks/{workbook_id}/materializations", json={"sheetId": "s"}).json()
    answers = [
        ("postToken", token),
        ("whoAmI", http.get("/v2/whoami").json()),
        ("listConnections", http.get("/v2/connections").json()),
        ("listConnections", http.get("/v2/connections?includeArchived=true&limit=1000").json()),
        ("getConnection", http.get(f"/v2/connections/{created['connectionId']}").json()),
        ("listMembers", http.get("/v2/members").json()),
        ("listMembers", http.get("/v2/members?limit=3").json()),
        ("getMember", http.get(f"/v2/members/{member_id}").json()),
        ("listWorkbooks", http.get("/v2/workbooks?limit=3").json()),
        ("getWorkbook", http.get(f"/v2/workbooks/{workbook_id}").json()),
        ("listAccountTypes", http.get("/v2/accountTypes?pageSize=2").json()),
        ("exportWorkbook", export(http, workbook_id).json()),
        ("materializeWorkbookElement", started),
        (
            "getWorkbookMaterialization",
            http.get(f"/v2/workbooks/{workbook_id}/materializations/{started['materializationId']}").json(),
        ),
    ]
    for op, payload in answers:
        validate(spec, schemas[(op, "response:200")], payload)
    validate(spec, schemas[("createConnection", "response:201")], created)
    validate(spec, error_schema, http.get("/v2/connections/nope").json())
    validate(spec, schemas[("createConnection", "request")], snowflake_body())  # what the tests send is valid too


def test_pages_and_elements_are_stable_per_workbook() -> None:
    """Each workbook's page and element IDs come from its ID: the same on every run, distinct per workbook."""
    first, second = SigmaStandin(workbooks=2), SigmaStandin(workbooks=2)
    ids = [w["workbookId"] for w in first.workbooks()]
    assert first.pages(ids[0]) == second.pages(ids[0])
    assert first.pages(ids[0])[0]["pageId"] != first.pages(ids[1])[0]["pageId"]
    assert SigmaStandin(pages=1, elements=0).pages(ids[0]) == [
        {"pageId": first.pages(ids[0])[0]["pageId"], "name": "Overview", "hidden": False, "elements": []}
    ]
