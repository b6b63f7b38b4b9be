"""Single flight: many asyncio tasks or threads hitting a missing/expired token cause one token request."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator

import httpx
import pytest
import respx

from sigma_sdk_auth import APIConnectionError, AuthenticationError, RetryPolicy, SigmaAuth, SigmaClient, SigmaError
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


# --- one token state across threads, tasks and event loops ---------------------------------------


def _run_together(jobs: list[Callable[[], None]]) -> list[BaseException]:
    """Run each job on its own thread, released together; return what they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:  # collected for the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_32_threads_with_a_wrong_secret_share_one_failure(sigma_server: tuple[str, FakeSigma]) -> None:
    """32 threads starting with a wrong secret cause ONE token request and 32 AuthenticationErrors."""
    base_url, fake = sigma_server
    fake.token_delay = 0.2  # the refused request stays in flight while the other threads arrive
    client = SigmaClient(
        base_url, CLIENT_ID, "wrong-secret-value", httpx_args={"limits": httpx.Limits(max_connections=64)}
    )
    finished: list[float] = []

    def call() -> None:
        try:
            client._send({"method": "get", "url": "/v2/connections"})
        finally:
            finished.append(time.monotonic())

    with client:
        errors = _run_together([call] * THREADS)
    assert len(fake.token_requests) == 1
    assert len(errors) == THREADS
    assert all(isinstance(e, AuthenticationError) and "rejected the client credentials" in str(e) for e in errors)
    assert max(finished) - min(finished) < 0.5  # all within one short window: nobody queued for its own attempt
    assert fake.api_requests == []


def test_a_call_after_a_shared_failure_tries_again(sigma_server: tuple[str, FakeSigma]) -> None:
    """The failure is shared with the callers that waited on that fetch only; a later call asks Sigma again."""
    base_url, fake = sigma_server
    with SigmaClient(base_url, CLIENT_ID, "wrong-secret-value") as client:
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                client._send({"method": "get", "url": "/v2/connections"})
    assert len(fake.token_requests) == 2


def test_waiters_share_the_outcome_of_a_retried_fetch(sigma_server: tuple[str, FakeSigma]) -> None:
    """While the leader retries a 503, the other 16 threads wait for it: 3 token attempts in all, 16 successes."""
    base_url, fake = sigma_server
    fake.token_delay = 0.05
    real_token = fake._token
    attempts: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) <= 2:
            return httpx.Response(503, headers={"Retry-After": "0"}, json={"message": "busy"})
        return real_token(request)

    fake._token = flaky  # type: ignore[method-assign]
    statuses: list[int] = []
    client = SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET, httpx_args={"limits": httpx.Limits(max_connections=64)})
    with client:
        errors = _run_together(
            [lambda: statuses.append(client._send({"method": "get", "url": "/v2/x"}).status_code)] * 16
        )
    assert errors == []
    assert statuses == [200] * 16
    assert len(attempts) == 3
    assert fake.grants() == ["client_credentials"]


def test_50_threads_and_50_tasks_one_token_request_per_expiry(
    sigma_server: tuple[str, FakeSigma], clock: FakeClock
) -> None:
    """50 threads and 50 asyncio tasks hitting one expired token cause exactly one refresh, and all succeed."""
    base_url, fake = sigma_server
    fake.token_delay = 0.2
    limits = httpx.Limits(max_connections=128)
    client = SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET, httpx_args={"limits": limits})
    client._auth._clock = clock
    statuses: list[int] = []

    def thread_call() -> None:
        statuses.append(client._send({"method": "get", "url": "/v2/threads"}).status_code)

    def loop_of_tasks() -> None:
        async def main() -> None:
            responses = await asyncio.gather(*(client._asend({"method": "get", "url": "/v2/tasks"}) for _ in range(50)))
            statuses.extend(r.status_code for r in responses)
            await client.get_async_httpx_client().aclose()

        asyncio.run(main())

    with client:
        client._send({"method": "get", "url": "/v2/connections"})
        clock.advance(3600)
        errors = _run_together([thread_call] * 50 + [loop_of_tasks])
    assert errors == []
    assert fake.grants() == ["client_credentials", "refresh_token"]
    assert statuses == [200] * 100
    assert len({bearer for path, bearer in fake.api_requests if path != "/v2/connections"}) == 1


def test_tasks_on_two_event_loops_one_token_request(sigma_server: tuple[str, FakeSigma], clock: FakeClock) -> None:
    """Tasks on two event loops (each on its own thread) sharing one auth cause one token request per expiry."""
    base_url, fake = sigma_server
    fake.token_delay = 0.2
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=base_url, clock=clock)
    statuses: list[int] = []

    def loop_of_tasks() -> None:
        async def main() -> None:
            async with httpx.AsyncClient(base_url=base_url, auth=auth) as http:
                responses = await asyncio.gather(*(http.get(f"/v2/items/{i}") for i in range(25)))
            statuses.extend(r.status_code for r in responses)

        asyncio.run(main())

    for state in ("cold", "expired"):
        before = len(fake.token_requests)
        errors = _run_together([loop_of_tasks, loop_of_tasks])
        assert errors == []
        assert len(fake.token_requests) - before == 1, state
        clock.advance(3600)
    assert fake.grants() == ["client_credentials", "refresh_token"]
    assert statuses == [200] * 100


def test_asyncio_run_after_a_run_that_left_a_fetch_in_flight(
    slow_router: respx.MockRouter, fake_sigma: FakeSigma
) -> None:
    """A loop that shuts down while its task leads the token fetch leaves no stale fetch for the next asyncio.run."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL)

    async def start_fetch_then_leave() -> None:
        http = httpx.AsyncClient(base_url=BASE_URL, auth=auth)
        asyncio.get_running_loop().create_task(http.get("/v2/a"))  # still fetching when the loop closes
        await asyncio.sleep(0.01)

    async def call() -> int:
        async with httpx.AsyncClient(base_url=BASE_URL, auth=auth) as http:
            return (await http.get("/v2/b")).status_code

    asyncio.run(start_fetch_then_leave())
    assert auth._fetch is None
    assert asyncio.run(asyncio.wait_for(call(), timeout=5)) == 200


async def test_sync_call_on_the_fetching_loops_thread_raises_instead_of_hanging(
    slow_router: respx.MockRouter, fake_sigma: FakeSigma
) -> None:
    """A blocking call made inside the loop whose task is fetching the token raises SigmaError, not a deadlock."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL)
    async with httpx.AsyncClient(base_url=BASE_URL, auth=auth) as ahttp:
        leader = asyncio.create_task(ahttp.get("/v2/a"))
        await asyncio.sleep(0.01)  # the leader is now inside its token request
        with httpx.Client(base_url=BASE_URL, auth=auth) as http, pytest.raises(SigmaError, match="event loop"):
            http.get("/v2/b")
        assert (await leader).status_code == 200
    assert fake_sigma.grants() == ["client_credentials"]


def _lead_a_fetch_on(loop: asyncio.AbstractEventLoop, auth: SigmaAuth) -> AsyncGenerator[httpx.Request, httpx.Response]:
    """Run an async auth flow on ``loop`` until it sends its token request; return the flow, suspended there."""

    async def start() -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = auth.async_auth_flow(httpx.Request("GET", f"{BASE_URL}/v2/a"))
        assert (await flow.__anext__()).url.path == "/v2/auth/token"  # the leader awaits this request's response
        return flow

    return loop.run_until_complete(start())


def _end(flow: AsyncGenerator[httpx.Request, httpx.Response]) -> None:
    """Close an abandoned leader's flow without a loop: it ends without awaiting anything."""
    with pytest.raises(StopIteration):
        flow.aclose().send(None)


@pytest.mark.parametrize("loop_end", ["closed", "stopped"])
def test_a_waiter_takes_over_a_fetch_whose_leaders_event_loop_ended(fake_sigma: FakeSigma, loop_end: str) -> None:
    """A caller waiting on a fetch led from an event loop closed or stopped mid-fetch takes it over, not hangs."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL)
    loop = asyncio.new_event_loop()
    flow = _lead_a_fetch_on(loop, auth)
    if loop_end == "closed":
        loop.close()
    statuses: list[int] = []

    def call() -> None:
        with httpx.Client(base_url=BASE_URL, auth=auth, transport=httpx.MockTransport(fake_sigma.handle)) as http:
            statuses.append(http.get("/v2/b").status_code)

    waiter = threading.Thread(target=call, daemon=True)
    waiter.start()
    waiter.join(timeout=2)
    try:
        assert not waiter.is_alive()
        assert statuses == [200]
        assert fake_sigma.grants() == ["client_credentials"]
        assert auth._fetch is None
    finally:
        _end(flow)
        loop.close()


def test_a_sync_call_on_the_thread_of_a_closed_leader_loop_takes_over(fake_sigma: FakeSigma) -> None:
    """A blocking call on the thread whose event loop closed mid-fetch takes the fetch over instead of raising."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL)
    outcome: list[object] = []

    def on_one_thread() -> None:
        loop = asyncio.new_event_loop()
        flow = _lead_a_fetch_on(loop, auth)
        loop.close()
        try:
            with httpx.Client(base_url=BASE_URL, auth=auth, transport=httpx.MockTransport(fake_sigma.handle)) as http:
                outcome.append(http.get("/v2/b").status_code)
        except Exception as exc:  # collected for the test thread
            outcome.append(exc)
        finally:
            _end(flow)

    worker = threading.Thread(target=on_one_thread, daemon=True)
    worker.start()
    worker.join(timeout=2)
    assert not worker.is_alive()
    assert outcome == [200]


@pytest.mark.parametrize("waiter_kind", ["sync", "async"])
def test_a_waiter_takes_over_a_fetch_that_outlasts_its_timeouts(fake_sigma: FakeSigma, waiter_kind: str) -> None:
    """A caller waiting on a leader stuck past its timeouts and retries takes over; the late token replaces nothing."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL, retry_policy=RetryPolicy(max_retries=0))
    stuck, release = threading.Event(), threading.Event()

    def stuck_transport(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth/token":  # a transport that ignores timeouts
            stuck.set()
            release.wait(timeout=10)
        return fake_sigma.handle(request)

    def get(path: str, handler: Callable[[httpx.Request], httpx.Response]) -> int:
        # 0.05 s per timeout phase and no retries: the leader is overdue after 2 grants x 4 phases x 0.05 s.
        if waiter_kind == "async" and path == "/v2/b":

            async def main() -> int:
                transport = httpx.MockTransport(handler)
                async with httpx.AsyncClient(base_url=BASE_URL, auth=auth, transport=transport, timeout=0.05) as http:
                    return (await http.get(path)).status_code

            return asyncio.run(main())
        with httpx.Client(base_url=BASE_URL, auth=auth, transport=httpx.MockTransport(handler), timeout=0.05) as http:
            return http.get(path).status_code

    statuses: dict[str, int] = {}
    leader = threading.Thread(target=lambda: statuses.update(a=get("/v2/a", stuck_transport)), daemon=True)
    leader.start()
    assert stuck.wait(timeout=2)
    waiter = threading.Thread(target=lambda: statuses.update(b=get("/v2/b", fake_sigma.handle)), daemon=True)
    waiter.start()
    waiter.join(timeout=2)
    release.set()
    leader.join(timeout=2)
    assert not waiter.is_alive()
    assert not leader.is_alive()
    assert statuses == {"a": 200, "b": 200}
    bearers = dict(fake_sigma.api_requests)
    assert bearers["/v2/a"] != bearers["/v2/b"]
    assert auth._token is not None
    assert auth._token.access_token == bearers["/v2/b"]
