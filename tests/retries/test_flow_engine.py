"""The flow engine (``sigma_sdk_auth._flow``): one step vocabulary, one sync and one async driver."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sigma_sdk_auth._flow import (
    AsyncIO,
    Close,
    Done,
    Flow,
    PassOn,
    Read,
    Send,
    Sleep,
    SyncIO,
    WaitFor,
    advance,
    arun,
    run,
)
from tests.conftest import Mode

URL = "https://api.test/v2/things"


class Served:
    """A mock transport answering ``/v2/things`` with a body, recording what was sent, slept and closed."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self.sent: list[str] = []
        self.slept: list[float] = []
        self.fail_first = fail_first

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        if len(self.sent) <= self.fail_first:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, content=b"abc" * 4, headers={"x-n": str(len(self.sent))})

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


async def drive(mode: Mode, flow: Flow[Any], served: Served) -> Any:
    """Run ``flow`` with the sync or the async driver, sending through ``served``'s mock transport."""
    if mode == "sync":
        with httpx.Client(transport=httpx.MockTransport(served.handle)) as client:
            return run(flow, SyncIO(lambda r, stream: client.send(r, stream=stream), served.sleep))
    async with httpx.AsyncClient(transport=httpx.MockTransport(served.handle)) as aclient:

        async def send(request: httpx.Request, stream: bool) -> httpx.Response:
            return await aclient.send(request, stream=stream)

        return await arun(flow, AsyncIO(send, served.async_sleep))


async def drive_without_transport(mode: Mode, flow: Flow[Any], sleep: Any, async_sleep: Any) -> Any:
    """Run ``flow`` with the sync or the async driver, with no transport and the given sleeps."""
    if mode == "sync":
        return run(flow, SyncIO(None, sleep))
    return await arun(flow, AsyncIO(None, async_sleep))


def every_step() -> Flow[tuple[int, bytes, bool, str]]:
    """A flow using Send (plain and streamed), Sleep, Read into a function, and Close."""
    first = yield Send(httpx.Request("GET", URL))
    yield Sleep(0.25)
    streamed = yield Send(httpx.Request("POST", URL), stream=True)
    chunks: list[bytes] = []
    yield Read(streamed, into=chunks.append)
    yield Close(streamed)
    return first.status_code, b"".join(chunks), streamed.is_closed, streamed.headers["x-n"]


def catching_transport_errors() -> Flow[str]:
    """A flow that answers a transport error itself, the way ``retrying`` does."""
    try:
        yield Send(httpx.Request("GET", URL))
    except httpx.ConnectError as exc:
        yield Sleep(1.0)
        response = yield Send(httpx.Request("GET", URL))
        return f"recovered from {type(exc).__name__} with HTTP {response.status_code}"
    return "no error"


async def test_the_sync_and_async_drivers_run_one_flow_to_the_same_result() -> None:
    """The same flow, run by the sync and by the async driver, gives the same result and the same I/O."""
    sync, asynchronous = Served(), Served()
    assert await drive("sync", every_step(), sync) == await drive("async", every_step(), asynchronous)
    assert await drive("sync", every_step(), Served()) == (200, b"abc" * 4, True, "2")
    assert (
        (sync.sent, sync.slept)
        == (asynchronous.sent, asynchronous.slept)
        == (
            ["GET /v2/things", "POST /v2/things"],
            [0.25],
        )
    )


async def test_a_transport_error_is_thrown_into_the_flow(mode: Mode) -> None:
    """A Send's transport error goes back into the flow, which may handle it and carry on."""
    served = Served(fail_first=1)
    assert await drive(mode, catching_transport_errors(), served) == "recovered from ConnectError with HTTP 200"
    assert served.slept == [1.0]


async def test_a_failing_sleep_ends_the_flow_instead_of_returning_into_it(mode: Mode) -> None:
    """Only Send and Read report failures back; a Sleep that raises ends the flow, whose finally runs."""
    finished: list[str] = []

    def flow() -> Flow[str]:
        try:
            yield Sleep(1.0)
        except RuntimeError:
            return "the flow caught the sleep's error"
        finally:
            finished.append("closed")
        return "slept"

    def broken_sleep(_seconds: float) -> None:
        raise RuntimeError("no sleeping today")

    async def abroken_sleep(_seconds: float) -> None:
        raise RuntimeError("no sleeping today")

    with pytest.raises(RuntimeError, match="no sleeping today"):
        await drive_without_transport(mode, flow(), broken_sleep, abroken_sleep)
    assert finished == ["closed"]


async def test_a_failed_flow_leaves_no_streamed_response_open(mode: Mode) -> None:
    """A flow that raises after a streamed Send: the driver closes the response it opened."""
    opened: list[httpx.Response] = []

    def flow() -> Flow[None]:
        response = yield Send(httpx.Request("GET", URL), stream=True)
        opened.append(response)
        raise ValueError("the flow gave up")

    with pytest.raises(ValueError, match="gave up"):
        await drive(mode, flow(), Served())
    assert [response.is_closed for response in opened] == [True]


def test_advance_hands_on_what_only_its_caller_can_send() -> None:
    """PassOn (and Send, without a transport) come back from advance for the caller to send, then resume."""

    def flow() -> Flow[tuple[int, int]]:
        api = yield PassOn(httpx.Request("GET", URL))
        token = yield Send(httpx.Request("POST", "https://api.test/v2/auth/token"))
        return api.status_code, token.status_code

    running = flow()
    io = SyncIO(None, lambda seconds: None)
    step = advance(running, None, io)
    assert isinstance(step, PassOn)
    assert step.stream
    step = advance(running, httpx.Response(401), io)
    assert isinstance(step, Send)
    assert not step.stream
    done = advance(running, httpx.Response(200), io)
    assert isinstance(done, Done)
    assert done.value == (401, 200)


def test_run_refuses_a_request_nothing_can_send() -> None:
    """run() has no caller to pass a request on to: a PassOn there is a bug, said so plainly."""

    def flow() -> Flow[None]:
        yield PassOn(httpx.Request("GET", URL))

    with pytest.raises(RuntimeError, match="passed GET /v2/things on, but nothing sends it"):
        run(flow(), SyncIO(None, lambda seconds: None))


def waiting_for(future: concurrent.futures.Future[None], refusal: Exception | None = None) -> Flow[str]:
    """A flow that waits for ``future`` and reports whether it was done."""
    yield WaitFor(future, over=lambda done: done, slice=0.01, refusal=lambda: refusal)
    return "done" if future.done() else "not done"


def resolving_soon() -> tuple[concurrent.futures.Future[None], threading.Timer]:
    future: concurrent.futures.Future[None] = concurrent.futures.Future()
    future.set_running_or_notify_cancel()
    timer = threading.Timer(0.05, future.set_result, (None,))
    timer.start()
    return future, timer


async def test_wait_for_waits_until_another_caller_resolves_the_future(mode: Mode) -> None:
    """WaitFor returns once another thread resolves the future, in the sync and the async driver."""
    future, timer = resolving_soon()
    try:
        assert await drive_without_transport(mode, waiting_for(future), lambda seconds: None, asyncio.sleep) == "done"
    finally:
        timer.join()


def test_a_refused_blocking_wait_raises_instead_of_waiting() -> None:
    """A sync WaitFor whose refusal names an error raises it at once: the wait would deadlock."""
    future: concurrent.futures.Future[None] = concurrent.futures.Future()
    with pytest.raises(LookupError, match="would block"):
        run(waiting_for(future, LookupError("would block")), SyncIO(None, lambda seconds: None))
    assert not future.done()


def test_ctrl_c_closes_the_flow_without_throwing_it_in() -> None:
    """A KeyboardInterrupt during a step is not handed to the flow's handlers; the flow is closed."""
    seen: list[str] = []

    def flow() -> Iterator[Sleep]:
        try:
            yield Sleep(1.0)
        except BaseException as exc:  # what the flow is told: GeneratorExit, not the interrupt
            seen.append(type(exc).__name__)
            raise

    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(flow(), SyncIO(None, interrupted))
    assert seen == ["GeneratorExit"]
