"""Polling a job: Retry-After, backoff, the rate window, the client's retry policy, and the deadline that
bounds every request and every wait."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.errors import (
    APITimeoutError,
    InternalServerError,
    JobTimeoutError,
    NotFoundError,
)
from sigma_sdk.testing import ExportFile, SigmaStandin, StandinServer
from sigma_sdk_auth import jobs as _jobs
from tests.conftest import FakeClock, RecordedSleeps

from .conftest import (
    BASE_URL,
    DOWNLOAD,
    QUERY_ID,
    Mode,
    calls,
    chunks,
    download,
    downloads,
    export,
    leftovers,
    read_timeouts,
    sales,
    stall_until,
)

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


# -- the deadline bounds every request ------------------------------------------------------------------


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
