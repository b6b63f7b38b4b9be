"""Exports: streamed to disk in constant memory, nothing partial left behind, the body Sigma is asked for,
progress, the target checked first, JSON errors where a file was asked for."""

from __future__ import annotations

import gzip
import io
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.errors import (
    APIConnectionError,
    InvalidArgumentError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
)
from sigma_sdk.jobs import (
    download_export,
    export_workbook,
)
from sigma_sdk.testing import SigmaStandin
from tests.conftest import RecordedSleeps

from .conftest import (
    CHUNK,
    DOWNLOAD,
    QUERY_ID,
    MiB,
    Mode,
    calls,
    chunks,
    digest,
    download,
    downloads,
    export,
    file_digest,
    leftovers,
    sales,
    wait,
)

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
