"""The fake's exports and materializations: starting, polling, downloading, rate limits and files of any size."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from sigma_sdk.testing import ExportFile, SigmaStandin, run_standin

from ..conftest import FakeClock
from .conftest import SECRET, export

# -- exports --------------------------------------------------------------------------------------


def test_export_answers_204_then_the_file_with_its_name(http: httpx.Client, standin: SigmaStandin) -> None:
    """An export's download answers 204 export_polls times, then 200 with the CSV and a Content-Disposition filename."""
    workbook = standin.workbooks()[0]
    started = export(http, workbook["workbookId"], rowLimit=3)
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
    query_id = export(http, standin.workbooks()[1]["workbookId"], format={"type": kind}).json()["queryId"]
    done = http.get(f"/v2/query/{query_id}/download")
    assert done.headers["content-type"] == content_type
    assert done.content.startswith(starts_with)


def test_export_file_of_any_size_is_made_lazily_in_chunks(standin: SigmaStandin, http: httpx.Client) -> None:
    """ExportFile.random(32 MiB) downloads whole, chunk by chunk, without the stand-in holding it (+<8 MiB peak)."""
    size = 32 * 2**20
    standin.export_polls = 0
    standin.export_file = ExportFile.random(size, seed=3, content_type="text/csv", filename="big.csv")
    query_id = export(http, standin.workbooks()[0]["workbookId"]).json()["queryId"]
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
    query_id = export(http, standin.workbooks()[0]["workbookId"]).json()["queryId"]
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
    assert export(http, "wb-1").json() == {"queryId": "q-1", "jobComplete": False}
    assert standin.export_requests == [{"format": {"type": "csv"}}]
    assert http.get("/v2/workbooks/wb-1").json()["name"] == "Sales"
    elsewhere = standin.add_export("wb-1", query_id="q-2", format="json")
    assert [job.query_id for job in standin.exports()] == ["q-1", "q-2"]
    assert elsewhere.filename == "export-q-2.json"
    assert http.get("/v2/query/q-2/download").status_code == 204
    with pytest.raises(ValueError, match="no workbook 'nope'"):
        standin.add_export("nope")


def test_export_rate_limit_answers_429_with_retry_after() -> None:
    """Past export_rate_limit exports a minute, POST export answers 429 with Retry-After until the window moves."""
    clock = FakeClock()  # starts at 1000.0
    standin = SigmaStandin(client_secret=SECRET, export_rate_limit=3, clock=clock)
    http = httpx.Client(base_url="http://127.0.0.1", transport=standin.transport())
    http.headers["Authorization"] = f"Bearer {standin.issue()['access_token']}"
    workbook_id = standin.workbooks()[0]["workbookId"]
    assert [export(http, workbook_id).status_code for _ in range(3)] == [200, 200, 200]
    clock.now = 1020.0
    limited = export(http, workbook_id)
    assert (limited.status_code, limited.json()["code"], limited.headers["retry-after"]) == (429, "rate_limited", "40")
    clock.now = 1060.0
    assert export(http, workbook_id).status_code == 200


def test_export_rejects_unknown_workbooks_formats_and_queries(http: httpx.Client, standin: SigmaStandin) -> None:
    """An unknown workbook or query is 404; an unknown format.type is 400 naming the allowed ones."""
    assert export(http, "no-such-workbook").status_code == 404
    bad = export(http, standin.workbooks()[0]["workbookId"], format={"type": "docx"})
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
