"""Single flight: many asyncio tasks or threads hitting a missing/expired token cause one token request."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
import respx

from sigma_sdk_auth import APIConnectionError, SigmaAuth, SigmaClient
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeClock, FakeSigma

TASKS = 64
THREADS = 32


@pytest.fixture
def slow_router(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    """respx serving fake_sigma with awaited latency, so concurrent tasks really overlap."""

    async def side_effect(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05 if request.url.path == "/v2/auth/token" else 0.01)
        return fake_sigma.handle(request)

    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=side_effect)
        yield router


@pytest.mark.parametrize("state", ["cold", "expired"])
async def test_64_tasks_one_token_request(
    slow_router: respx.MockRouter, fake_sigma: FakeSigma, clock: FakeClock, state: str
) -> None:
    """64 concurrent asyncio tasks with no token (or an expired one) trigger exactly one token request."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL, clock=clock)
    async with httpx.AsyncClient(base_url=BASE_URL, auth=auth) as ahttp:
        if state == "expired":
            await ahttp.get("/v2/connections")
            clock.advance(3600)
        before = len(fake_sigma.token_requests)
        responses = await asyncio.gather(*(ahttp.get(f"/v2/items/{i}") for i in range(TASKS)))
    assert len(fake_sigma.token_requests) - before == 1
    assert [r.status_code for r in responses] == [200] * TASKS
    assert len({r.request.headers["authorization"] for r in responses}) == 1


async def test_64_tasks_after_server_side_expiry_one_token_request(
    slow_router: respx.MockRouter, fake_sigma: FakeSigma
) -> None:
    """64 tasks that all get a 401 for the same dead token share one refresh and each replay once."""
    async with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        await client._asend({"method": "get", "url": "/v2/connections"})
        fake_sigma.expire_all_access_tokens()
        responses = await asyncio.gather(
            *(client._asend({"method": "get", "url": f"/v2/items/{i}"}) for i in range(TASKS))
        )
    assert fake_sigma.grants() == ["client_credentials", "refresh_token"]
    assert [r.status_code for r in responses] == [200] * TASKS
    assert len(fake_sigma.api_requests) == 1 + 2 * TASKS  # each task: one 401, one replay


def _hammer(client: SigmaClient, count: int) -> list[int]:
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            response = client._send({"method": "get", "url": f"/v2/items/{i}"})
            statuses.append(response.status_code)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    return statuses


@pytest.mark.parametrize("state", ["cold", "expired"])
def test_32_threads_one_token_request(sigma_server: tuple[str, FakeSigma], clock: FakeClock, state: str) -> None:
    """32 threads released together against a real local server cause exactly one token request."""
    base_url, fake = sigma_server
    fake.token_delay = 0.2  # the token request stays in flight while the other threads arrive
    client = SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET, httpx_args={"limits": httpx.Limits(max_connections=64)})
    client._auth._clock = clock
    with client:
        if state == "expired":
            client._send({"method": "get", "url": "/v2/connections"})
            clock.advance(3600)
        before = len(fake.token_requests)
        statuses = _hammer(client, THREADS)
    assert len(fake.token_requests) - before == 1
    assert statuses == [200] * THREADS
    assert len({bearer for _, bearer in fake.api_requests[-THREADS:]}) == 1


def test_32_threads_after_server_side_expiry(sigma_server: tuple[str, FakeSigma]) -> None:
    """32 threads that all get a 401 for the same token share one refresh; none is left with an error."""
    base_url, fake = sigma_server
    fake.token_delay = 0.2
    with SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET) as client:
        client._send({"method": "get", "url": "/v2/connections"})
        fake.expire_all_access_tokens()
        statuses = _hammer(client, THREADS)
    assert fake.grants() == ["client_credentials", "refresh_token"]
    assert statuses == [200] * THREADS


def test_failed_token_request_leaves_no_fetch_in_flight(fake_sigma: FakeSigma) -> None:
    """A transport error during the token request settles the fetch, so the next call can authenticate."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        attempts: list[httpx.Request] = []

        def refuse_first(request: httpx.Request) -> httpx.Response:
            attempts.append(request)
            if len(attempts) == 1 and request.url.path == "/v2/auth/token":
                raise httpx.ConnectError("refused", request=request)
            return fake_sigma.handle(request)

        router.route().mock(side_effect=refuse_first)
        with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, max_retries=0) as client:
            with pytest.raises(APIConnectionError):
                client._send({"method": "get", "url": "/v2/connections"})
            assert client.auth._fetch is None
            assert not client.auth._state_lock.locked()
            assert client._send({"method": "get", "url": "/v2/connections"}).status_code == 200


async def test_cancelled_task_releases_the_async_lock(slow_router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """Cancelling the task that is fetching the token frees the lock; a waiting task then fetches its own."""
    async with httpx.AsyncClient(
        base_url=BASE_URL, auth=SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL)
    ) as ahttp:
        first = asyncio.create_task(ahttp.get("/v2/a"))
        await asyncio.sleep(0.01)  # first is now inside the token request, holding the lock
        second = asyncio.create_task(ahttp.get("/v2/b"))
        await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        response = await asyncio.wait_for(second, timeout=5)
    assert response.status_code == 200
