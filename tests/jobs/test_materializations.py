"""Materializations awaited: polled until ready, failures and timeouts named, unknown statuses polled on."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.errors import (
    JobError,
    JobFailedError,
    JobTimeoutError,
)
from sigma_sdk.testing import SigmaStandin
from tests.conftest import Mode, RecordedSleeps

from .conftest import BUILDING, READY, RUNNING, calls, export, statuses, wait

# -- materializations -----------------------------------------------------------------------------------


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
