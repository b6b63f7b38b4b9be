"""The public testing aid ``sigma_sdk.testing``: what users' tests can rely on.

``tests/test_standin.py`` pins the token endpoint and the QuickStart's connections over HTTP; this
file pins the rest (members, workbooks, account types, exports, materializations, faults,
impersonation, inspection) through the SDK itself, mostly in-process via ``standin.transport()``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.api.account_types import list_account_types
from sigma_sdk.api.members import get_member, list_members
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.api.workbooks import get_workbook, list_workbooks
from sigma_sdk.errors import APIConnectionError, AuthenticationError, InternalServerError, RateLimitError
from sigma_sdk.testing import ExportFile, SigmaStandin, StandinServer, run_standin

from .._samples import iter_operation_schemas, lenient_spec, validate
from .._spec import load_spec
from ..conftest import FakeClock

ROOT = Path(__file__).resolve().parents[2]
SECRET = "testing-aid-secret-Qm4"


@pytest.fixture
def standin() -> SigmaStandin:
    return SigmaStandin(client_secret=SECRET)


@pytest.fixture
def client(standin: SigmaStandin) -> Iterator[Client]:
    transport = standin.transport()
    with Client("http://127.0.0.1", standin.client_id, SECRET, transport=transport, async_transport=transport) as c:
        yield c


@pytest.fixture
def http(standin: SigmaStandin) -> httpx.Client:
    """Raw httpx in-process, already holding a bearer token."""
    raw = httpx.Client(base_url="http://127.0.0.1", transport=standin.transport())
    token = standin.issue()["access_token"]
    raw.headers["Authorization"] = f"Bearer {token}"
    return raw


def _export(http: httpx.Client, workbook_id: str, **body: Any) -> httpx.Response:
    return http.post(f"/v2/workbooks/{workbook_id}/export", json={"format": {"type": "csv"}, **body})


# -- lists ----------------------------------------------------------------------------------------


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


# -- exports --------------------------------------------------------------------------------------


def test_export_answers_204_then_the_file_with_its_name(http: httpx.Client, standin: SigmaStandin) -> None:
    """An export's download answers 204 export_polls times, then 200 with the CSV and a Content-Disposition filename."""
    workbook = standin.workbooks()[0]
    started = _export(http, workbook["workbookId"], rowLimit=3)
    assert started.status_code == 200
    query_id = started.json()["queryId"]
    assert started.json()["jobComplete"] is False
    statuses = [http.get(f"/v2/query/{query_id}/download").status_code for _ in range(2)]
    done = http.get(f"/v2/query/{query_id}/download")
    assert (statuses, done.status_code) == ([204, 204], 200)
    assert done.headers["content-type"].startswith("text/csv")
    assert done.headers["content-disposition"] == f'attachment; filename="export-{query_id[:8]}.csv"'
    lines = done.text.splitlines()
    assert lines[0] == "row,workbook,value"
    assert len(lines) == 4
    assert workbook["name"] in lines[1]
    (job,) = standin.exports()
    assert (job.query_id, job.polls, job.format) == (query_id, 3, "csv")


@pytest.mark.parametrize(
    ("kind", "content_type", "starts_with"),
    [
        ("json", "application/json", b"[{"),
        ("jsonl", "application/x-ndjson", b'{"row": 1'),
        ("pdf", "application/pdf", b"%PDF-"),
        ("png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
    ],
)
def test_export_formats_have_their_content_type_and_signature(
    standin: SigmaStandin, http: httpx.Client, kind: str, content_type: str, starts_with: bytes
) -> None:
    """Each export format downloads with its content type and the file signature of that format."""
    standin.export_polls = 0
    query_id = _export(http, standin.workbooks()[1]["workbookId"], format={"type": kind}).json()["queryId"]
    done = http.get(f"/v2/query/{query_id}/download")
    assert done.headers["content-type"] == content_type
    assert done.content.startswith(starts_with)


def test_export_file_of_any_size_is_made_lazily_in_chunks(standin: SigmaStandin, http: httpx.Client) -> None:
    """ExportFile.random(32 MiB) downloads whole, chunk by chunk, without the stand-in holding it (+<8 MiB peak)."""
    size = 32 * 2**20
    standin.export_polls = 0
    standin.export_file = ExportFile.random(size, seed=3, content_type="text/csv", filename="big.csv")
    query_id = _export(http, standin.workbooks()[0]["workbookId"]).json()["queryId"]
    expected, received = hashlib.sha256(), hashlib.sha256()
    for piece in standin.export_file.iter_bytes():
        expected.update(piece)
    tracemalloc.start()
    try:
        with http.stream("GET", f"/v2/query/{query_id}/download") as done:
            for piece in done.iter_bytes():
                received.update(piece)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert received.hexdigest() == expected.hexdigest()
    assert (done.headers["content-length"], done.headers["content-type"]) == (str(size), "text/csv")
    assert done.headers["content-disposition"] == 'attachment; filename="big.csv"'


def test_export_file_takes_chunks_a_size_and_a_disposition(standin: SigmaStandin, http: httpx.Client) -> None:
    """ExportFile(fn, size=...) serves fn's chunks with that Content-Length; disposition replaces the header."""
    standin.export_polls = 0
    standin.export_file = ExportFile(lambda: iter([b"ab", b"c"]), size=3, disposition="inline")
    job = standin.add_export(format="pdf")
    done = http.get(f"/v2/query/{job.query_id}/download")
    assert (done.content, done.headers["content-type"], done.headers["content-disposition"]) == (
        b"abc",
        "application/pdf",
        "inline",
    )
    assert job.content == b"abc"
    with pytest.raises(ValueError, match="size"):
        ExportFile(lambda: iter([b"x"]))


def test_broken_export_body_reaches_the_client(standin: SigmaStandin, http: httpx.Client) -> None:
    """A chunk maker that raises breaks the download in-process with that transport error."""

    def broken() -> Iterator[bytes]:
        yield b"x" * 10
        raise httpx.RemoteProtocolError("peer closed connection")

    standin.export_polls = 0
    standin.export_file = ExportFile(broken, size=100)
    query_id = _export(http, standin.workbooks()[0]["workbookId"]).json()["queryId"]
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(f"/v2/query/{query_id}/download")


def test_a_short_export_over_http_ends_the_connection_early() -> None:
    """Over StandinServer a body that ends short of its Content-Length (or breaks) is a dropped connection."""
    with run_standin(export_polls=0) as sigma:
        sigma.standin.export_file = ExportFile(lambda: iter([b"x" * 10]), size=100)
        job = sigma.standin.add_export()
        token = sigma.standin.issue()["access_token"]
        with httpx.Client(base_url=sigma.base_url, headers={"Authorization": f"Bearer {token}"}) as raw:
            with pytest.raises(httpx.RemoteProtocolError):
                raw.get(f"/v2/query/{job.query_id}/download")
            assert raw.get("/v2/whoami").status_code == 200  # a new connection answers


async def test_async_client_streams_a_lazily_made_export_in_process(standin: SigmaStandin) -> None:
    """standin.transport() hands a streamed export to an httpx.AsyncClient as an async body."""
    standin.export_polls = 0
    standin.export_file = ExportFile.random(300_000, chunk_size=1000)
    job = standin.add_export(query_id="q-async")
    token = standin.issue()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    raw = httpx.AsyncClient(base_url="http://127.0.0.1", transport=standin.transport(), headers=headers)
    async with raw, raw.stream("GET", "/v2/query/q-async/download") as done:
        body = b"".join([piece async for piece in done.aiter_bytes()])
    assert body == job.content
    assert len(body) == 300_000


def test_add_export_add_workbook_and_new_query_id(standin: SigmaStandin, http: httpx.Client) -> None:
    """A seeded workbook exports under a predictable query id; add_export is a download started elsewhere."""
    standin.add_workbook("Sales", workbook_id="wb-1")
    standin.new_query_id = lambda: "q-1"
    assert _export(http, "wb-1").json() == {"queryId": "q-1", "jobComplete": False}
    assert standin.export_requests == [{"format": {"type": "csv"}}]
    assert http.get("/v2/workbooks/wb-1").json()["name"] == "Sales"
    elsewhere = standin.add_export("wb-1", query_id="q-2", format="json")
    assert [job.query_id for job in standin.exports()] == ["q-1", "q-2"]
    assert elsewhere.filename == "export-q-2.json"
    assert http.get("/v2/query/q-2/download").status_code == 204
    with pytest.raises(ValueError, match="no workbook 'nope'"):
        standin.add_export("nope")


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


def test_export_rate_limit_answers_429_with_retry_after() -> None:
    """Past export_rate_limit exports a minute, POST export answers 429 with Retry-After until the window moves."""
    clock = FakeClock()  # starts at 1000.0
    standin = SigmaStandin(client_secret=SECRET, export_rate_limit=3, clock=clock)
    http = httpx.Client(base_url="http://127.0.0.1", transport=standin.transport())
    http.headers["Authorization"] = f"Bearer {standin.issue()['access_token']}"
    workbook_id = standin.workbooks()[0]["workbookId"]
    assert [_export(http, workbook_id).status_code for _ in range(3)] == [200, 200, 200]
    clock.now = 1020.0
    limited = _export(http, workbook_id)
    assert (limited.status_code, limited.json()["code"], limited.headers["retry-after"]) == (429, "rate_limited", "40")
    clock.now = 1060.0
    assert _export(http, workbook_id).status_code == 200


def test_export_rejects_unknown_workbooks_formats_and_queries(http: httpx.Client, standin: SigmaStandin) -> None:
    """An unknown workbook or query is 404; an unknown format.type is 400 naming the allowed ones."""
    assert _export(http, "no-such-workbook").status_code == 404
    bad = _export(http, standin.workbooks()[0]["workbookId"], format={"type": "docx"})
    assert bad.status_code == 400
    assert "csv" in bad.json()["message"]
    assert http.get("/v2/query/no-such-query/download").status_code == 404


# -- materializations -----------------------------------------------------------------------------


def test_materialization_goes_pending_building_ready(http: httpx.Client, standin: SigmaStandin) -> None:
    """Each GET of a materialization shows the next status (pending, building, ready), then stays ready."""
    workbook_id = standin.workbooks()[0]["workbookId"]
    started = http.post(f"/v2/workbooks/{workbook_id}/materializations", json={"sheetId": "sheet-1"})
    materialization_id = started.json()["materializationId"]
    url = f"/v2/workbooks/{workbook_id}/materializations/{materialization_id}"
    bodies = [http.get(url).json() for _ in range(4)]
    assert [b["status"] for b in bodies] == ["pending", "building", "ready", "ready"]
    assert "readyAt" in bodies[2]
    assert http.post(f"/v2/workbooks/{workbook_id}/materializations", json={}).status_code == 400


def test_materialization_failure_carries_an_error() -> None:
    """materialization_statuses=("pending", "failed") ends in a failed status with an error message."""
    standin = SigmaStandin(client_secret=SECRET, materialization_statuses=("pending", "failed"))
    http = httpx.Client(base_url="http://127.0.0.1", transport=standin.transport())
    http.headers["Authorization"] = f"Bearer {standin.issue()['access_token']}"
    workbook_id = standin.workbooks()[0]["workbookId"]
    job = http.post(f"/v2/workbooks/{workbook_id}/materializations", json={"sheetId": "s"}).json()
    url = f"/v2/workbooks/{workbook_id}/materializations/{job['materializationId']}"
    assert [http.get(url).json().get("error") for _ in range(2)] == [None, "Materialization failed"]
    assert standin.materializations()[0].status == "failed"


# -- tokens ---------------------------------------------------------------------------------------


def test_access_tokens_expire_by_the_clock_and_the_sdk_refreshes() -> None:
    """A token older than expires_in answers 401; the SDK refreshes with the rotating refresh token."""
    clock = FakeClock()  # starts at 1000.0
    standin = SigmaStandin(client_secret=SECRET, expires_in=600, clock=clock)
    transport = standin.transport()
    with Client("http://127.0.0.1", standin.client_id, SECRET, transport=transport) as client:
        who_am_i.sync(client=client)
        clock.now = 1601.0
        who_am_i.sync(client=client)
    assert standin.grants() == ["client_credentials", "refresh_token"]
    assert [status for _, path, status in standin.requests if path == "/v2/whoami"] == [200, 401, 200]


def test_revoked_refresh_tokens_send_the_sdk_back_to_client_credentials(client: Client, standin: SigmaStandin) -> None:
    """After revoke_refresh_tokens() a refresh answers 401 and the SDK logs in again with its credentials."""
    who_am_i.sync(client=client)
    standin.expire_access_tokens()
    standin.revoke_refresh_tokens()
    who_am_i.sync(client=client)
    assert standin.grants() == ["client_credentials", "refresh_token", "client_credentials"]


def test_wrong_secret_is_an_authentication_error(standin: SigmaStandin) -> None:
    """Credentials the stand-in does not know raise AuthenticationError after one token request."""
    with (
        Client("http://127.0.0.1", standin.client_id, "wrong", transport=standin.transport()) as client,
        pytest.raises(AuthenticationError),
    ):
        who_am_i.sync(client=client)
    assert standin.grants() == ["client_credentials"]


def test_impersonation_exchanges_a_signed_subject_token(client: Client, standin: SigmaStandin) -> None:
    """client.impersonate(email) works against the stand-in, which verifies the HS256 subject token."""
    who_am_i.sync(client=client.impersonate("grace@example.com"))
    (exchange,) = standin.exchanges
    assert exchange["claims"]["sub"] == "grace@example.com"
    assert exchange["header"]["kid"] == standin.client_id
    assert standin.grants()[-1] == "urn:ietf:params:oauth:grant-type:token-exchange"


def test_forged_subject_token_is_refused(http: httpx.Client, standin: SigmaStandin) -> None:
    """A subject token not signed with the client secret answers 401."""
    actor = http.headers["Authorization"].removeprefix("Bearer ")
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        "actor_token": actor,
    }
    assert http.post("/v2/auth/token", data=form).status_code == 401
    assert standin.exchanges == []


# -- faults and inspection ------------------------------------------------------------------------


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
    assert _export(http, workbook_id).status_code == 429
    standin.inject("503", method="POST")
    assert _export(http, workbook_id).status_code == 503
    standin.inject("drop", method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        _export(http, workbook_id)
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


def test_server_passes_an_existing_standin_and_refuses_both(standin: SigmaStandin) -> None:
    """StandinServer serves a given standin; passing both a standin and its options is a TypeError."""
    with StandinServer(standin, max_lifetime=30) as server:
        assert server.standin is standin
        assert httpx.get(f"{server.base_url}/v2/whoami", trust_env=False).status_code == 401
    with pytest.raises(TypeError, match="either"):
        StandinServer(standin, expires_in=5)


async def test_async_client_works_in_process(standin: SigmaStandin) -> None:
    """The same transport serves the SDK's async calls."""
    transport = standin.transport()
    async with Client("http://127.0.0.1", standin.client_id, SECRET, async_transport=transport) as client:
        me = await who_am_i.asyncio(client=client)
    assert me.user_id == standin.user_id


def test_new_bodies_match_the_spec(http: httpx.Client, standin: SigmaStandin) -> None:
    """Members, workbooks, account types, export and materialization answers validate against Sigma's spec."""
    spec = lenient_spec(load_spec())
    schemas = {(op, where): s for op, where, ctype, s in iter_operation_schemas(spec) if ctype == "application/json"}
    workbook_id = standin.workbooks()[0]["workbookId"]
    member_id = standin.members()[1]["memberId"]
    started = http.post(f"/v2/workbooks/{workbook_id}/materializations", json={"sheetId": "s"}).json()
    answers = [
        ("listMembers", http.get("/v2/members").json()),
        ("listMembers", http.get("/v2/members?limit=3").json()),
        ("getMember", http.get(f"/v2/members/{member_id}").json()),
        ("listWorkbooks", http.get("/v2/workbooks?limit=3").json()),
        ("getWorkbook", http.get(f"/v2/workbooks/{workbook_id}").json()),
        ("listAccountTypes", http.get("/v2/accountTypes?pageSize=2").json()),
        ("exportWorkbook", _export(http, workbook_id).json()),
        ("materializeWorkbookElement", started),
        (
            "getWorkbookMaterialization",
            http.get(f"/v2/workbooks/{workbook_id}/materializations/{started['materializationId']}").json(),
        ),
    ]
    for op, payload in answers:
        validate(spec, schemas[(op, "response:200")], payload)


def test_example_test_file_passes() -> None:
    """examples/test_with_standin.py, the README's example of testing your own code, passes under pytest."""
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "examples" / "test_with_standin.py"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
