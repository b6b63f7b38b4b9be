"""Shared fixtures and helpers of the jobs tests: the fake Sigma exporting "Sales by region.csv", fake time."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sigma_sdk import Client
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
from sigma_sdk.testing import ExportFile, SigmaStandin
from tests.conftest import FakeClock, Mode, RecordedSleeps

BASE_URL = "https://api.sigma.test"
QUERY_ID = "88889999-aaaa-bbbb-cccc-ddddeeeeffff"
DOWNLOAD = f"/v2/query/{QUERY_ID}/download"
CHUNK = 64 * 1024
MiB = 1024 * 1024


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
