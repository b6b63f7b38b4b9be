"""sigma_sdk.jobs: exports polled and streamed to disk atomically, materializations awaited (MockTransport)."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.errors import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    InvalidArgumentError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
)
from sigma_sdk.jobs import (
    ExportResult,
    MaterializationStatus,
    adownload_export,
    aexport_workbook,
    await_data_model_materialization,
    await_materialization,
    download_export,
    export_workbook,
    wait_for_data_model_materialization,
    wait_for_materialization,
)
from sigma_sdk.testing import ExportFile, SigmaStandin, StandinServer
from sigma_sdk_auth import jobs as _jobs
from tests.conftest import FakeClock, RecordedSleeps

BASE_URL = "https://api.sigma.test"
QUERY_ID = "88889999-aaaa-bbbb-cccc-ddddeeeeffff"
DOWNLOAD = f"/v2/query/{QUERY_ID}/download"
CHUNK = 64 * 1024
MiB = 1024 * 1024
Mode = Literal["sync", "async"]


# -- the fake Sigma: the public testing aid, exporting "Sales by region.csv" --------------------------


def chunks(size: int, seed: int = 7) -> Iterator[bytes]:
    """``size`` deterministic pseudo-random bytes, generated CHUNK at a time (never all in memory)."""
    return ExportFile.random(size, seed=seed, chunk_size=CHUNK).iter_bytes()


def digest(pieces: Iterator[bytes]) -> str:
    hasher = hashlib.sha256()
    for piece in pieces:
        hasher.update(piece)
    return hasher.hexdigest()


def file_digest(path: Path) -> str:
    with path.open("rb") as file:
        return digest(iter(lambda: file.read(CHUNK), b""))


def sales(
    size: int = 1000, *, body: Callable[[], Iterator[bytes]] | None = None, disposition: str | None = None
) -> ExportFile:
    """The file the fake's exports serve: "Sales by region.csv", ``size`` bytes (``body`` makes other chunks)."""
    return ExportFile(
        body or (lambda: chunks(size)),
        size=size,
        content_type="text/csv",
        filename="Sales by region.csv",
        disposition=disposition,
    )


def calls(fake: SigmaStandin) -> list[tuple[str, str]]:
    """(method, path as sent) of every request but the token's, in order."""
    return [(method, path) for method, path, _ in fake.requests if path != "/v2/auth/token"]


def downloads(fake: SigmaStandin) -> int:
    return len(fake.requests_to(DOWNLOAD))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> Mode:
    mode: Mode = request.param
    return mode


@pytest.fixture
def fake() -> SigmaStandin:
    """Workbook wb-1; every export is query QUERY_ID, answering three 204s, then Sales by region.csv (1000 B)."""
    standin = SigmaStandin(
        client_id="id", client_secret="secret", connections=0, archived=0, members=1, workbooks=0, export_polls=3
    )
    standin.add_workbook("Sales", workbook_id="wb-1")
    standin.new_query_id = lambda: QUERY_ID
    standin.export_file = sales()
    return standin


@pytest.fixture
def timeouts(fake: SigmaStandin) -> list[dict[str, float | None]]:
    """The timeout extension of each request but the token's."""
    seen: list[dict[str, float | None]] = []

    def record(request: httpx.Request) -> None:
        if request.url.path != "/v2/auth/token":
            seen.append(request.extensions["timeout"])

    fake.on_receive = record
    return seen


@pytest.fixture
def fake_time(recorded_sleeps: RecordedSleeps) -> RecordedSleeps:
    """No test waits: the client's retry policy records every poll sleep and advances its fake clock by it."""
    return recorded_sleeps


@pytest.fixture
def client(fake: SigmaStandin, fake_time: RecordedSleeps) -> Iterator[Client]:
    transport = fake.transport()
    policy = fake_time.policy(max_retries=0)
    with Client(BASE_URL, "id", "secret", retry_policy=policy, transport=transport, async_transport=transport) as c:
        yield c


async def export(mode: Mode, client: Client, **kwargs: Any) -> ExportResult:
    kwargs.setdefault("element_id", "el-1")
    if mode == "sync":
        return export_workbook(client, "wb-1", **kwargs)
    return await aexport_workbook(client, "wb-1", **kwargs)


async def download(mode: Mode, fake: SigmaStandin, client: Client, **kwargs: Any) -> ExportResult:
    fake.add_export("wb-1", query_id=QUERY_ID)  # started elsewhere: download_export gets only its id
    if mode == "sync":
        return download_export(client, QUERY_ID, **kwargs)
    return await adownload_export(client, QUERY_ID, **kwargs)


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# -- the measure in the issue -------------------------------------------------------------------------


async def test_64_mib_export_streams_in_constant_memory(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """64 MiB via export_workbook: byte-identical, after three 204s, peak memory +<24 MiB, progress to the end."""
    fake.export_file = sales(64 * MiB)
    seen: list[tuple[int, int | None]] = []
    target = tmp_path / "big.csv"
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        result = await export(mode, client, to=target, progress=lambda done, total: seen.append((done, total)))
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert peak < 24 * MiB, f"peak grew by {peak / MiB:.1f} MiB"
    assert file_digest(target) == digest(chunks(64 * MiB))
    assert result.bytes_written == target.stat().st_size == 64 * MiB
    assert downloads(fake) == 4  # three 204s, then the file
    assert fake_time == [1.0, 1.5, 2.25]  # the polls back off
    dones = [done for done, _ in seen]
    assert dones == sorted(dones)
    assert seen[0] == (0, 64 * MiB)
    assert seen[-1] == (64 * MiB, 64 * MiB)
    assert leftovers(tmp_path) == ["big.csv"]


async def test_export_result_describes_the_file(mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path) -> None:
    """ExportResult names the query, the path, the size, the content type and Sigma's filename."""
    result = await export(mode, client, to=str(tmp_path / "out.csv"))
    assert result.query_id == QUERY_ID
    assert result.path == tmp_path / "out.csv"
    assert result.bytes_written == 1000
    assert result.content_type == "text/csv"
    assert result.filename == "Sales by region.csv"
    assert result.elapsed == pytest.approx(4.75)  # 1 + 1.5 + 2.25 of (fake) polling
    assert calls(fake)[0] == ("POST", "/v2/workbooks/wb-1/export")
    assert fake.export_requests == [{"format": {"type": "csv"}, "elementId": "el-1"}]


# -- nothing partial is left behind -------------------------------------------------------------------


async def test_connection_dropped_half_way_leaves_no_file(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path
) -> None:
    """A connection that breaks mid-body raises APIConnectionError (query id, bytes) and leaves no file."""

    def broken() -> Iterator[bytes]:
        for index, piece in enumerate(chunks(4 * MiB)):
            if index == 32:
                raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
            yield piece

    fake.export_file = sales(4 * MiB, body=broken)
    with pytest.raises(APIConnectionError, match=rf"export {QUERY_ID} broke after {32 * CHUNK} of {4 * MiB} bytes"):
        await export(mode, client, to=tmp_path / "out.csv")
    assert leftovers(tmp_path) == []


async def test_body_shorter_than_its_content_length_leaves_no_file(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path
) -> None:
    """A body that ends before Content-Length says is a broken download, not a file."""
    fake.export_file = sales(1000, body=lambda: chunks(600))
    with pytest.raises(APIConnectionError, match="ended after 600 of 1000 bytes"):
        await export(mode, client, to=tmp_path / "out.csv")
    assert leftovers(tmp_path) == []


async def test_timeout_while_polling_names_the_query_and_leaves_no_file(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """An export still answering 204 at the deadline raises JobTimeoutError(query id, last status, elapsed)."""
    fake.export_polls = 10_000
    with pytest.raises(JobTimeoutError) as caught:
        await export(mode, client, to=tmp_path / "out.csv", timeout=60)
    error = caught.value
    assert (error.kind, error.job_id, error.status) == ("export", QUERY_ID, "not ready (HTTP 204)")
    assert error.elapsed == pytest.approx(60)
    assert f"export {QUERY_ID} did not finish within the timeout of 60s" in str(error)
    assert max(fake_time) <= 15.0  # capped backoff
    assert sum(fake_time) == pytest.approx(60)  # never sleeps past the deadline
    assert leftovers(tmp_path) == []


async def test_timeout_during_the_download_leaves_no_file(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """The deadline also covers the body: a download that runs past it stops and leaves no file."""

    def slow() -> Iterator[bytes]:
        for piece in chunks(2 * MiB):
            fake_time.clock.advance(1.0)  # each chunk takes a (fake) second
            yield piece

    fake.export_file = sales(2 * MiB, body=slow)
    fake.export_polls = 0
    with pytest.raises(JobTimeoutError, match=r"last status: downloading \(\d+ bytes received\)"):
        await export(mode, client, to=tmp_path / "out.csv", timeout=10)
    assert leftovers(tmp_path) == []


def test_ctrl_c_mid_download_leaves_no_file(fake: SigmaStandin, client: Client, tmp_path: Path) -> None:
    """KeyboardInterrupt during the body propagates and the temporary file is removed."""

    def interrupted() -> Iterator[bytes]:
        yield b"x" * 100
        raise KeyboardInterrupt

    fake.export_file = sales(body=interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_workbook(client, "wb-1", element_id="el-1", to=tmp_path / "out.csv")
    assert leftovers(tmp_path) == []


async def test_existing_file_is_replaced_only_when_complete(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path
) -> None:
    """A failed export keeps the previous file intact; a successful one replaces it."""
    target = tmp_path / "out.csv"
    target.write_bytes(b"yesterday's export")
    fake.export_file = sales(1000, body=lambda: chunks(10))
    with pytest.raises(APIConnectionError):
        await export(mode, client, to=target)
    assert target.read_bytes() == b"yesterday's export"
    fake.export_file = sales()
    await export(mode, client, to=target)
    assert target.read_bytes() == b"".join(chunks(1000))
    assert leftovers(tmp_path) == ["out.csv"]


# -- polling --------------------------------------------------------------------------------------------


async def test_retry_after_on_a_204_is_honoured(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """A Retry-After header on a not-ready answer replaces the backoff."""
    fake.export_polls = 0
    fake.answer(DOWNLOAD, httpx.Response(204, headers={"retry-after": "7"}), times=3)
    await export(mode, client, to=tmp_path / "out.csv")
    assert fake_time == [7.0, 7.0, 7.0]


async def test_poll_interval_sets_the_first_wait_and_backoff_is_capped(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """poll_interval is the first wait; waits grow 1.5x and stop growing at 15 s."""
    fake.export_polls = 10
    await export(mode, client, to=tmp_path / "out.csv", poll_interval=4)
    assert fake_time[:3] == [4.0, 6.0, 9.0]
    assert fake_time[3:] == [13.5] + [15.0] * 6


async def test_429_beyond_the_clients_retries_is_waited_out(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """A 429 on the export start or on a poll (client retries exhausted) waits Retry-After, then goes on."""
    limited = {"message": "Too many requests", "code": "rate_limited"}
    fake.answer("/v2/workbooks/wb-1/export", httpx.Response(429, headers={"retry-after": "20"}, json=limited))
    fake.answer(DOWNLOAD, httpx.Response(429, headers={"retry-after": "5"}, json=limited))
    fake.export_polls = 0  # the canned 429 is the first download request
    result = await export(mode, client, to=tmp_path / "out.csv")
    assert result.bytes_written == 1000
    assert fake_time == [20.0, 5.0]
    assert [method for method, _ in calls(fake)] == ["POST", "POST", "GET", "GET"]


async def test_export_starts_respect_the_rate_window(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """Past the export rate limit, the next start waits for the window to free a slot (no 429 needed)."""
    for _ in range(_jobs.EXPORT_STARTS.limit - 2):  # exports started elsewhere in this process, just now
        assert _jobs.EXPORT_STARTS.reserve(client.retry_policy.clock) == 0.0
    fake.export_polls = 0
    for name in ("a", "b", "c"):
        await export(mode, client, to=tmp_path / f"{name}.csv")
    assert fake_time == [60.0]
    assert leftovers(tmp_path) == ["a.csv", "b.csv", "c.csv"]


async def test_the_rate_window_is_kept_per_clock(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """Starts timed on another clock (another policy's) never hold up, or count against, this client's."""
    other = FakeClock()
    while _jobs.EXPORT_STARTS.reserve(other) == 0.0:
        pass  # fill the other clock's window
    await export(mode, client, to=tmp_path / "out.csv")
    assert fake_time == [1.0, 1.5, 2.25]  # the download's polls only: no wait for a slot
    assert _jobs.EXPORT_STARTS.reserve(other) > 0.0


async def test_polls_use_the_retry_policy_of_the_client_they_are_given(
    mode: Mode, fake: SigmaStandin, tmp_path: Path
) -> None:
    """A job sleeps and measures time with its client's RetryPolicy (sleep/async_sleep, clock)."""
    recorder = RecordedSleeps()
    transport = fake.transport()
    policy = recorder.policy(max_retries=0)
    options: dict[str, Any] = {"retry_policy": policy, "transport": transport, "async_transport": transport}
    with Client(BASE_URL, "id", "secret", **options) as client:
        result = await export(mode, client, to=tmp_path / "out.csv")
    assert recorder == [1.0, 1.5, 2.25]  # recorded, not slept
    assert result.elapsed == pytest.approx(4.75)  # on the policy's clock, which only the recorded sleeps moved


async def test_an_error_while_polling_names_the_export(mode: Mode, fake: SigmaStandin, client: Client) -> None:
    """A typed API error during the job propagates with a note naming the query and the last status."""
    fake.answer(
        DOWNLOAD,
        httpx.Response(204),
        httpx.Response(404, json={"message": "Query expired", "code": "not_found", "requestId": "r-9"}),
    )
    with pytest.raises(NotFoundError) as caught:
        await download(mode, fake, client, to=io.BytesIO())
    assert caught.value.request_id == "r-9"
    assert caught.value.__notes__ == [f"while waiting for export {QUERY_ID}: last status not ready (HTTP 204), 1.0s"]


async def test_download_export_writes_to_a_binary_file_object(mode: Mode, fake: SigmaStandin, client: Client) -> None:
    """download_export (a query id from elsewhere) writes into a file object, which stays open."""
    buffer = io.BytesIO()
    result = await download(mode, fake, client, to=buffer)
    assert buffer.getvalue() == b"".join(chunks(1000))
    assert result.path is None
    assert not buffer.closed
    assert [method for method, _ in calls(fake)] == ["GET"] * 4


# -- what Sigma is asked for ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [
        ({"format": "pdf"}, {"format": {"type": "pdf", "layout": "portrait"}}),
        ({"format": "pdf", "layout": "landscape"}, {"format": {"type": "pdf", "layout": "landscape"}}),
        ({"format": "xlsx", "page_id": "p-1"}, {"format": {"type": "xlsx"}, "pageId": "p-1"}),
        (
            {"format": "png", "element_id": "e", "pixel_width": 800, "pixel_height": 600},
            {"format": {"type": "png", "pixelWidth": 800, "pixelHeight": 600}, "elementId": "e"},
        ),
        (
            {"format": "jsonl", "element_id": "e", "row_limit": 2500, "offset": 2501, "parameters": {"Region": "East"}},
            {
                "format": {"type": "jsonl"},
                "elementId": "e",
                "rowLimit": 2500,
                "offset": 2501,
                "parameters": {"Region": "East"},
            },
        ),
        (
            {"format": "csv", "element_id": "e", "extra_body": {"tag": "prod", "exportAs": "u-1"}},
            {"format": {"type": "csv"}, "elementId": "e", "tag": "prod", "exportAs": "u-1"},
        ),
    ],
)
def test_export_body_follows_the_spec(fake: SigmaStandin, client: Client, kwargs: dict[str, Any], body: Any) -> None:
    """Format options land where POST /v2/workbooks/{workbookId}/export expects them."""
    export_workbook(client, "wb-1", to=io.BytesIO(), **kwargs)
    assert fake.export_requests == [body]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"element_id": "e", "page_id": "p"}, "element_id or page_id, not both"),
        ({}, r"format='csv' is not available for a whole workbook export; use one of pdf, xlsx \(csv, json"),
        ({"page_id": "p", "format": "json"}, "not available for a page export; use one of pdf, png, xlsx"),
        ({"element_id": "e", "layout": "portrait"}, "layout applies to pdf exports only, not csv"),
        ({"element_id": "e", "pixel_width": 10}, "pixel_width applies to png exports only"),
        ({"element_id": "e", "format": "pdf", "row_limit": 5}, "row_limit applies to csv, json, jsonl and xlsx"),
        ({"element_id": "e", "offset": -1}, "offset must be an int >= 0"),
        ({"element_id": "e", "parameters": {"Year": 2024}}, "not text: Year"),
        ({"element_id": "e", "extra_body": {"elementId": "x"}}, "extra_body sets 'elementId'"),
        ({"element_id": "e", "timeout": -1}, "timeout must be a number of seconds >= 0"),
        ({"element_id": "e", "poll_interval": 0}, "poll_interval must be a number of seconds > 0"),
        ({"element_id": "e", "progress": "yes"}, "progress must be a callable"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    fake: SigmaStandin, client: Client, kwargs: dict[str, Any], message: str
) -> None:
    """Each bad argument raises InvalidArgumentError naming the problem, and no export is started."""
    with pytest.raises(InvalidArgumentError, match=message):
        export_workbook(client, "wb-1", to=io.BytesIO(), **kwargs)
    assert calls(fake) == []


def test_misspelt_option_is_a_type_error(fake: SigmaStandin, client: Client) -> None:
    """An unknown keyword (a typo of a format option) is a TypeError naming it, like any Python call."""
    with pytest.raises(TypeError, match=r"unexpected keyword argument.*layuot"):
        export_workbook(client, "wb-1", to=io.BytesIO(), format="pdf", layuot="landscape")  # type: ignore[call-arg]
    assert calls(fake) == []


def test_bad_targets_are_refused_before_any_request(fake: SigmaStandin, client: Client, tmp_path: Path) -> None:
    """A directory, a missing parent directory, a text file or a non-file is refused up front."""
    cases: list[tuple[Any, str]] = [
        (tmp_path, "is a directory"),
        (tmp_path / "missing" / "out.csv", "does not exist"),
        (io.StringIO(), "text file; open it in binary mode"),
        (42, "not int"),
    ]
    for to, message in cases:
        with pytest.raises(InvalidArgumentError, match=message):
            export_workbook(client, "wb-1", element_id="e", to=to)
    assert calls(fake) == []


def test_ids_are_single_path_segments(fake: SigmaStandin, client: Client) -> None:
    """Workbook and query IDs are escaped into one path segment; '..' is refused."""
    fake.answer("/v2/workbooks/a%2Fb%20c/export", httpx.Response(404, json={"message": "no such workbook"}))
    with pytest.raises(NotFoundError):
        export_workbook(client, "a/b c", element_id="e", to=io.BytesIO())
    with pytest.raises(InvalidArgumentError, match="query_id"):
        download_export(client, "..", to=io.BytesIO())
    assert calls(fake) == [("POST", "/v2/workbooks/a%2Fb%20c/export")]


@pytest.mark.parametrize(
    ("header", "filename"),
    [
        ('attachment; filename="report.pdf"', "report.pdf"),
        ("attachment; filename*=UTF-8''na%C3%AFve%20sales.csv", "naïve sales.csv"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="C:\\\\temp\\\\x.csv"', "x.csv"),
        ('attachment; filename=".."', None),
        ("inline", None),
        ("attachment; filename*=UTF-8''evil%00name%0D%0A.csv", "evilname.csv"),  # control characters dropped
        ("attachment; filename*=UTF-8''sales%E2%80%AEvsc.csv", "salesvsc.csv"),  # a right-to-left override too
        ("attachment; filename*=UTF-8''%0A%0D%00", None),
    ],
)
def test_sigmas_filename_is_decoded_and_reduced_to_a_name(
    fake: SigmaStandin, client: Client, header: str, filename: str | None
) -> None:
    """Content-Disposition's filename (RFC 6266, filename* too) loses directory parts and control characters."""
    fake.export_file = sales(disposition=header)
    fake.add_export("wb-1", query_id=QUERY_ID)
    assert download_export(client, QUERY_ID, to=io.BytesIO()).filename == filename


# -- the deadline bounds every request ------------------------------------------------------------------


@pytest.fixture
def retrying_client(fake: SigmaStandin, fake_time: RecordedSleeps) -> Iterator[Client]:
    """A client with the default retry budget (2) and exact backoff delays (no jitter)."""
    fake_time.jitter = lambda cap: cap
    transport = fake.transport()
    policy = fake_time.policy(max_retries=2)
    with Client(BASE_URL, "id", "secret", retry_policy=policy, transport=transport, async_transport=transport) as c:
        yield c


def read_timeouts(timeouts: list[dict[str, float | None]]) -> list[float | None]:
    return [timeout["read"] for timeout in timeouts]


def stall_until(clock: FakeClock, when: float) -> Callable[[httpx.Request], httpx.Response]:
    """A canned answer: no answer until the (fake) clock reads ``when``, then httpx's ReadTimeout."""

    def stall(request: httpx.Request) -> httpx.Response:
        clock.now = max(clock.now, when)
        raise httpx.ReadTimeout("timed out", request=request)

    return stall


async def test_each_request_gets_the_time_left_as_its_timeout(
    mode: Mode, timeouts: list[dict[str, float | None]], client: Client, fake_time: RecordedSleeps
) -> None:
    """Every request's timeout is the client's (60 s read, 10 s connect), cut to the job's time left."""
    await export(mode, client, to=io.BytesIO(), timeout=30)
    assert fake_time == [1.0, 1.5, 2.25]
    assert read_timeouts(timeouts) == [30.0, 30.0, 29.0, 27.5, 25.25]  # the start, then four download polls
    assert {timeout["connect"] for timeout in timeouts} == {10.0}
    timeouts.clear()
    await export(mode, client, to=io.BytesIO(), timeout=None)  # a new export: polled through 204s again
    assert read_timeouts(timeouts) == [60.0] * 5  # no deadline: the client's own timeout


async def test_retry_after_longer_than_the_time_left_ends_the_job_at_its_deadline(
    mode: Mode, fake: SigmaStandin, retrying_client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """A 429 advising 30 s inside a 10 s job is waited only until the deadline, then JobTimeoutError."""
    limited = httpx.Response(429, headers={"retry-after": "30"}, json={"message": "Too many requests"})
    fake.answer(DOWNLOAD, limited, times=10)
    with pytest.raises(JobTimeoutError) as caught:
        await export(mode, retrying_client, to=tmp_path / "out.csv", timeout=10)
    assert fake_time == [10.0]  # not the client's own 30 s retry waits
    assert caught.value.elapsed == pytest.approx(10)
    assert caught.value.status == "rate limited (HTTP 429)"
    assert leftovers(tmp_path) == []


async def test_a_request_stalled_until_the_deadline_is_a_job_timeout(
    mode: Mode, fake: SigmaStandin, retrying_client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """A poll with no answer by the deadline raises JobTimeoutError (not APITimeoutError), with no retry."""
    deadline = fake_time.clock.now + 5
    fake.answer(DOWNLOAD, stall_until(fake_time.clock, deadline), times=3)
    with pytest.raises(JobTimeoutError) as caught:
        await export(mode, retrying_client, to=tmp_path / "out.csv", timeout=5)
    error = caught.value
    assert error.status == f"no answer in time to GET /v2/query/{QUERY_ID}/download"
    assert error.elapsed == pytest.approx(5)
    assert type(error.__cause__).__name__ == "APITimeoutError"
    assert downloads(fake) == 1
    assert fake_time == []
    assert leftovers(tmp_path) == []


async def test_a_download_stalled_until_the_deadline_is_a_job_timeout(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """A body whose next chunk has not come by the deadline raises JobTimeoutError and leaves no file."""
    fake.export_polls = 0
    deadline = fake_time.clock.now + 8

    def stalled() -> Iterator[bytes]:
        yield b"x" * 100
        fake_time.clock.now = deadline
        raise httpx.ReadTimeout("timed out")

    fake.export_file = sales(body=stalled)
    with pytest.raises(JobTimeoutError) as caught:
        await export(mode, client, to=tmp_path / "out.csv", timeout=8)
    assert caught.value.status == "downloading (100 bytes received, then none in time)"
    assert leftovers(tmp_path) == []


async def test_a_read_timeout_mid_download_before_the_deadline_is_not_retried(
    mode: Mode, fake: SigmaStandin, retrying_client: Client, tmp_path: Path
) -> None:
    """A body that stalls (client timeout) well before the deadline is a broken download, not re-fetched."""
    fake.export_polls = 0

    def stalled() -> Iterator[bytes]:
        yield b"x" * 100
        raise httpx.ReadTimeout("timed out")

    fake.export_file = sales(body=stalled)
    with pytest.raises(APITimeoutError, match=rf"export {QUERY_ID} broke after 100 of 1000 bytes"):
        await export(mode, retrying_client, to=tmp_path / "out.csv")
    assert downloads(fake) == 1
    assert leftovers(tmp_path) == []


async def test_transient_errors_are_retried_by_the_clients_rules(
    mode: Mode, fake: SigmaStandin, retrying_client: Client, fake_time: RecordedSleeps, caplog: pytest.LogCaptureFixture
) -> None:
    """503s on a poll are retried with the client's budget and backoff (0.5 s, 1 s), and logged."""
    unavailable = httpx.Response(503, json={"message": "try again"})
    fake.answer(DOWNLOAD, unavailable, unavailable)
    fake.export_polls = 0  # the two canned 503s are the first download requests
    caplog.set_level("INFO", logger="sigma_sdk")
    result = await download(mode, fake, retrying_client, to=io.BytesIO())
    assert result.bytes_written == 1000
    assert fake_time == [0.5, 1.0]
    assert f"Retrying GET /v2/query/{QUERY_ID}/download of export {QUERY_ID} (retry 2 of 2)" in caplog.text


async def test_transient_errors_beyond_the_budget_propagate(
    mode: Mode, fake: SigmaStandin, retrying_client: Client, fake_time: RecordedSleeps
) -> None:
    """A poll failing more times than the client's budget raises the typed error, with a note naming the job."""
    unavailable = httpx.Response(503, json={"message": "try again"})
    fake.answer(DOWNLOAD, unavailable, times=3)
    with pytest.raises(InternalServerError) as caught:
        await download(mode, fake, retrying_client, to=io.BytesIO())
    assert fake_time == [0.5, 1.0]
    assert caught.value.__notes__[0].startswith(f"while waiting for export {QUERY_ID}")


async def test_a_timed_out_export_start_is_not_sent_twice(
    mode: Mode, fake: SigmaStandin, retrying_client: Client, fake_time: RecordedSleeps
) -> None:
    """A POST that timed out (before the deadline) may have started an export: it raises, unretried."""
    fake.answer("/v2/workbooks/wb-1/export", stall_until(fake_time.clock, fake_time.clock.now + 60))
    with pytest.raises(APITimeoutError):
        await export(mode, retrying_client, to=io.BytesIO(), timeout=900)
    assert calls(fake) == [("POST", "/v2/workbooks/wb-1/export")]


@pytest.mark.parametrize("stall_in", ["headers", "body"])
async def test_a_stalled_server_cannot_hold_a_job_past_its_deadline(
    mode: Mode, stall_in: Literal["headers", "body"], tmp_path: Path
) -> None:
    """Wall clock, real server: a 0.3 s job against a stalled download ends by 0.8 s (not the 60 s timeout)."""
    released = threading.Event()  # set at the end of the test, so a stalled body ends

    def stalled_body() -> Iterator[bytes]:
        yield b"x" * 100
        released.wait(10)

    with StandinServer(client_id="id", client_secret="secret", export_polls=0, stall_seconds=10) as server:
        server.standin.add_workbook("Sales", workbook_id="wb-1")
        server.standin.new_query_id = lambda: QUERY_ID
        if stall_in == "headers":
            server.standin.inject("stall", path=DOWNLOAD)
        else:
            server.standin.export_file = ExportFile(stalled_body, size=1000)
        try:
            async with Client(server.base_url, "id", "secret") as client:
                started = time.monotonic()
                with pytest.raises(JobTimeoutError):
                    await export(mode, client, to=tmp_path / "out.csv", timeout=0.3)
                took = time.monotonic() - started
        finally:
            released.set()
    assert took < 0.8, f"the job took {took:.2f}s"
    assert leftovers(tmp_path) == []


# -- progress -------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_true_draws_a_line_on_a_terminal(
    fake: SigmaStandin, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """progress=True writes bytes, total, rate and elapsed time to a terminal stderr, ending the line."""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fake.export_file = sales(3 * MiB)
    fake.add_export("wb-1", query_id=QUERY_ID)
    download_export(client, QUERY_ID, to=io.BytesIO(), progress=True)
    last = terminal.getvalue().rsplit("\r", 1)[-1]
    assert re.fullmatch(r"3\.0 MiB of 3\.0 MiB \(100%\), [\d.]+ (B|KiB|MiB|GiB)/s, [\d.]+s\s*\n", last), last


def test_progress_true_is_silent_when_stderr_is_not_a_terminal(
    fake: SigmaStandin, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """progress=True prints nothing into a log file or pipe."""
    redirected = io.StringIO()
    monkeypatch.setattr(sys, "stderr", redirected)
    fake.add_export("wb-1", query_id=QUERY_ID)
    download_export(client, QUERY_ID, to=io.BytesIO(), progress=True)
    assert redirected.getvalue() == ""


def test_compressed_body_is_saved_decoded_with_an_unknown_total(fake: SigmaStandin, client: Client) -> None:
    """A gzip-encoded answer is written decoded; its Content-Length is not the file size, so total is None."""
    original = b"region,sales\n" + b"east,1\n" * 5000
    compressed = gzip.compress(original)
    headers = {"content-encoding": "gzip", "content-length": str(len(compressed)), "content-type": "text/csv"}
    fake.answer(DOWNLOAD, httpx.Response(200, headers=headers, content=compressed))
    seen: list[tuple[int, int | None]] = []
    buffer = io.BytesIO()
    result = download_export(client, QUERY_ID, to=buffer, progress=lambda done, total: seen.append((done, total)))
    assert buffer.getvalue() == original
    assert result.bytes_written == len(original)
    assert seen[0] == (0, None)
    assert seen[-1] == (len(original), None)


# -- materializations -----------------------------------------------------------------------------------

RUNNING = {"materializationId": "m-1", "status": "pending"}
BUILDING = {"materializationId": "m-1", "status": "building", "startedAt": "2024-05-01T10:00:00Z"}
READY = {
    "materializationId": "m-1",
    "status": "ready",
    "startedAt": "2024-05-01T10:00:00Z",
    "readyAt": "2024-05-01T10:03:00.123Z",
    "expiredAt": "not a date",
}


def statuses(fake: SigmaStandin, *bodies: dict[str, Any], prefix: str = "/v2/workbooks/wb-1") -> None:
    """Each poll of materialization m-1 answers the next of ``bodies``; the last one stays."""
    path = f"{prefix}/materializations/m-1"
    *first, last = (httpx.Response(200, json=body) for body in bodies)
    if first:
        fake.answer(path, *first)
    fake.answer(path, last, times=None)


async def wait(mode: Mode, client: Client, *, data_model: bool = False, **kwargs: Any) -> MaterializationStatus:
    if data_model:
        if mode == "sync":
            return wait_for_data_model_materialization(client, data_model_id="dm-1", materialization_id="m-1", **kwargs)
        return await await_data_model_materialization(client, data_model_id="dm-1", materialization_id="m-1", **kwargs)
    if mode == "sync":
        return wait_for_materialization(client, workbook_id="wb-1", materialization_id="m-1", **kwargs)
    return await await_materialization(client, workbook_id="wb-1", materialization_id="m-1", **kwargs)


@pytest.mark.parametrize("data_model", [False, True])
async def test_materialization_is_polled_until_ready(
    mode: Mode, fake: SigmaStandin, client: Client, fake_time: RecordedSleeps, data_model: bool
) -> None:
    """pending and building keep polling; ready returns the final status with its dates parsed."""
    prefix = "/v2/dataModels/dm-1" if data_model else "/v2/workbooks/wb-1"
    statuses(fake, RUNNING, BUILDING, READY, prefix=prefix)
    status = await wait(mode, client, data_model=data_model)
    assert (status.materialization_id, status.status, status.error) == ("m-1", "ready", None)
    assert status.ready_at is not None
    assert status.ready_at.isoformat() == "2024-05-01T10:03:00.123000+00:00"
    assert status.expired_at is None
    assert status.raw["expiredAt"] == "not a date"  # kept as sent
    assert fake_time == [1.0, 1.5]
    assert calls(fake) == [("GET", f"{prefix}/materializations/m-1")] * 3


@pytest.mark.parametrize("status", ["failed", "cancelled", "error", "FAILED"])
async def test_materialization_failure_names_status_and_error(
    mode: Mode, fake: SigmaStandin, client: Client, status: str
) -> None:
    """A failure status raises JobFailedError at once, with Sigma's error text."""
    statuses(fake, RUNNING, {"materializationId": "m-1", "status": status, "error": "warehouse down"})
    with pytest.raises(JobFailedError) as caught:
        await wait(mode, client)
    error = caught.value
    assert (error.job_id, error.status, error.error) == ("m-1", status, "warehouse down")
    assert str(error) == f"workbook materialization m-1 failed with status {status!r} after 1.0s: warehouse down"


async def test_materialization_timeout(mode: Mode, fake: SigmaStandin, client: Client) -> None:
    """A materialization still building at the deadline raises JobTimeoutError with the last status."""
    statuses(fake, BUILDING)
    with pytest.raises(JobTimeoutError) as caught:
        await wait(mode, client, timeout=120, poll_interval=10)
    error = caught.value
    assert (error.kind, error.job_id, error.status) == ("workbook materialization", "m-1", "building")
    assert "(last status: building; 120.0s elapsed)" in str(error)


async def test_materialization_answer_without_status_is_a_job_error(
    mode: Mode, fake: SigmaStandin, client: Client
) -> None:
    """An answer with no status is a JobError naming what came back, not a KeyError."""
    statuses(fake, {"materializationId": "m-1"})
    with pytest.raises(JobError, match=r"no status \(keys: \['materializationId'\]\)"):
        await wait(mode, client)


async def test_an_export_answer_that_is_not_json_is_quoted_scrubbed(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path
) -> None:
    """A 200 page echoing the bearer token and the client secret is a JobError quoting `***` for both."""

    def echoed(request: httpx.Request) -> httpx.Response:  # the request's token and the client's secret
        return httpx.Response(200, text=f"Authorization: {request.headers['authorization']}\npassword=secret")

    fake.answer("/v2/workbooks/wb-1/export", echoed)
    with pytest.raises(JobError) as caught:
        await export(mode, client, to=tmp_path / "out.csv")
    assert "'Authorization: Bearer *** password=***'" in str(caught.value)


async def test_an_export_answer_nested_too_deeply_is_a_job_error(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path
) -> None:
    """`[` x 100000 from POST export is a JobError quoting the body's start, not RecursionError."""
    deep = b"[" * 100_000 + b"]" * 100_000
    fake.answer("/v2/workbooks/wb-1/export", httpx.Response(200, content=deep))
    with pytest.raises(JobError, match=r"not a JSON object: '\[\[\["):
        await export(mode, client, to=tmp_path / "out.csv")


# -- loading ---------------------------------------------------------------------------------------------


def test_job_helpers_load_only_when_used() -> None:
    """`from sigma_sdk import Client` and the errors do not import the job helpers; sigma_sdk.jobs does."""
    code = (
        "import sys; from sigma_sdk import Client; import sigma_sdk.errors; "
        "print('sigma_sdk_auth.jobs' in sys.modules); "
        "import sigma_sdk.jobs; print('sigma_sdk_auth.jobs' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.split() == ["False", "True"]


async def test_an_unknown_materialization_status_keeps_polling(
    mode: Mode, fake: SigmaStandin, client: Client, fake_time: RecordedSleeps, caplog: pytest.LogCaptureFixture
) -> None:
    """A status this SDK does not know (``queued``) is polled on, logged once, until Sigma says ready."""
    queued = {"materializationId": "m-1", "status": "queued"}
    statuses(fake, queued, queued, queued, READY)
    with caplog.at_level("WARNING", logger="sigma_sdk"):
        status = await wait(mode, client)
    assert status.status == "ready"
    assert fake_time == [1.0, 1.5, 2.25]
    assert [r.getMessage() for r in caplog.records].count(
        "workbook materialization m-1 has status 'queued', which this SDK does not know; polling on until it is "
        "ready, fails or the timeout passes"
    ) == 1


async def test_an_unknown_status_until_the_deadline_times_out_naming_it(
    mode: Mode, fake: SigmaStandin, client: Client
) -> None:
    """A job stuck in an unknown status raises JobTimeoutError at the deadline, naming that status."""
    statuses(fake, RUNNING, {"materializationId": "m-1", "status": "queued"})
    with pytest.raises(JobTimeoutError) as caught:
        await wait(mode, client, timeout=120, poll_interval=10)
    assert caught.value.status == "queued"
    assert "(last status: queued; 120.0s elapsed)" in str(caught.value)


# -- every wait is bounded ------------------------------------------------------------------------------


async def test_a_huge_retry_after_is_cut_to_max_retry_after(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps
) -> None:
    """Retry-After 999999999 on the export POST (429) and on polls waits max_retry_after (60 s), timeout or not."""
    limited = {"message": "Too many requests"}
    fake.answer("/v2/workbooks/wb-1/export", httpx.Response(429, headers={"retry-after": "999999999"}, json=limited))
    fake.export_polls = 0
    fake.answer(DOWNLOAD, httpx.Response(204, headers={"retry-after": "999999999"}), times=2)
    result = await export(mode, client, to=tmp_path / "out.csv", timeout=None)
    assert result.bytes_written == 1000
    assert fake_time == [60.0, 60.0, 60.0]


async def test_the_clients_own_max_retry_after_bounds_job_waits(
    mode: Mode, fake: SigmaStandin, fake_time: RecordedSleeps, tmp_path: Path
) -> None:
    """A client whose policy says max_retry_after=5 never waits longer than 5 s for a Retry-After."""
    fake.export_polls = 0
    fake.answer(DOWNLOAD, httpx.Response(204, headers={"retry-after": "20"}), times=2)
    policy = fake_time.policy(max_retries=0, max_retry_after=5.0)
    transport = fake.transport()
    with Client(BASE_URL, "id", "secret", retry_policy=policy, transport=transport, async_transport=transport) as c:
        await export(mode, c, to=tmp_path / "out.csv")
    assert fake_time == [5.0, 5.0]


@pytest.mark.parametrize("header", ["-5", "soon", "nan", "-1e9"])
async def test_negative_or_garbage_retry_after_falls_back_to_the_poll_interval(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path, fake_time: RecordedSleeps, header: str
) -> None:
    """Retry-After -5 (or garbage) on every poll waits the poll backoff, not zero seconds in a row."""
    fake.export_polls = 0
    fake.answer(DOWNLOAD, httpx.Response(204, headers={"retry-after": header}), times=4)
    fake.answer("/v2/workbooks/wb-1/export", httpx.Response(429, headers={"retry-after": header}, json={}))
    await export(mode, client, to=tmp_path / "out.csv")
    assert fake_time == [1.0, 1.5, 2.25, 3.375, 5.0625]


# -- the target is checked before anything is spent ------------------------------------------------------


def _unwritable_directory(tmp_path: Path) -> Path:
    """A directory this process cannot create files in (root writes anywhere but sysfs)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for candidate in (locked, Path("/sys")):
        try:
            (candidate / ".probe").touch()
        except OSError:
            return candidate
        (candidate / ".probe").unlink()
    pytest.skip("no directory here refuses this process's writes")


async def test_an_unwritable_directory_is_refused_before_the_export_starts(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path
) -> None:
    """A target in a directory that refuses writes raises InvalidArgumentError naming the path; no request is sent."""
    target = _unwritable_directory(tmp_path) / "sales.csv"
    try:
        with pytest.raises(InvalidArgumentError, match=rf"to={str(target)!r}: cannot write in the directory"):
            await export(mode, client, to=target)
        with pytest.raises(InvalidArgumentError, match="cannot write"):
            await download(mode, fake, client, to=str(target))
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert [method for method, _ in calls(fake)] == []
    assert fake.export_requests == []


async def test_a_file_object_not_open_for_writing_is_refused(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path
) -> None:
    """A binary file opened for reading raises InvalidArgumentError naming it, before any request."""
    (tmp_path / "in.csv").write_bytes(b"x")
    with (
        (tmp_path / "in.csv").open("rb") as readonly,
        pytest.raises(InvalidArgumentError, match="not open for writing"),
    ):
        await export(mode, client, to=readonly)
    assert calls(fake) == []


# -- a JSON error where a file was asked for ---------------------------------------------------------------


async def test_a_json_error_body_for_a_csv_export_is_a_job_error(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path
) -> None:
    """200 application/json {"message": ...} for a CSV export raises JobFailedError quoting Sigma; no file written."""
    fake.export_polls = 0
    fake.answer(DOWNLOAD, httpx.Response(200, json={"message": "Export failed: query timed out"}))
    with pytest.raises(JobFailedError) as caught:
        await export(mode, client, to=tmp_path / "sales.csv")
    error = caught.value
    assert (error.kind, error.job_id, error.status, error.error) == (
        "export",
        QUERY_ID,
        "failed",
        "Export failed: query timed out",
    )
    assert "with a JSON error instead of the csv file: 'Export failed: query timed out'" in str(error)
    assert leftovers(tmp_path) == []
    assert downloads(fake) == 1  # not retried


async def test_a_json_export_is_saved_as_the_file(
    mode: Mode, fake: SigmaStandin, client: Client, tmp_path: Path
) -> None:
    """For format json or jsonl a JSON body is the export itself, saved as sent."""
    body = b'{"message": "a row whose column is called message"}'
    for format in ("json", "jsonl"):
        fake.export_polls = 0
        fake.answer(DOWNLOAD, httpx.Response(200, content=body, headers={"content-type": "application/json"}))
        result = await export(mode, client, to=tmp_path / f"rows.{format}", format=format)
        assert (tmp_path / f"rows.{format}").read_bytes() == body
        assert result.bytes_written == len(body)


async def test_a_failure_text_echoing_the_bearer_token_is_scrubbed(
    mode: Mode, fake: SigmaStandin, client: Client
) -> None:
    """Sigma's `error` text quoting the request's bearer token reaches JobFailedError as `***`."""
    sent: list[str] = []

    def failed(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        sent.append(token)
        return httpx.Response(200, json={"materializationId": "m-1", "status": "failed", "error": f"denied: {token}"})

    fake.answer("/v2/workbooks/wb-1/materializations/m-1", failed)
    with pytest.raises(JobFailedError) as caught:
        await wait(mode, client)
    assert len(sent[0]) >= 8
    assert sent[0] not in str(caught.value) + repr(caught.value) + str(caught.value.error)
    assert caught.value.error == "denied: ***"
