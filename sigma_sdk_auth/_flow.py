"""One step vocabulary and one sync and one async driver for every sans-I/O flow in the SDK.

A *flow* is a generator that makes every decision and does no I/O: it yields steps, and is resumed
with what each step came to.  The auth (``_auth``), the retries (``_retry.retrying``, which API calls,
token requests and job polls all use) and the jobs (``jobs._flows``) are flows.  The drivers,
:func:`advance` / :func:`run` and their async twins, perform the steps; each step holds its sync and
its async I/O side by side (:meth:`Step.perform` / :meth:`Step.aperform`), so the two drivers are the
same loop, one with ``await``.

The steps:

* :class:`Send` -- send a request with the driver's transport; resume with the response (its body
  read unless ``stream``).  A transport error is thrown into the flow, which decides what it means.
* :class:`PassOn` -- hand a request to whoever called the driver: httpx, for an auth flow, which
  sends the request it asked the auth to authenticate.  A driver without a transport passes ``Send``
  steps on as well (a bare ``SigmaAuth`` sends its token requests through httpx).
* :class:`Read` -- read a response's body, into memory or chunk by chunk into a function; a
  transport error is thrown into the flow.
* :class:`Close` -- close a response the flow no longer wants.
* :class:`Sleep` -- wait some seconds (the retry policy's ``sleep`` / ``async_sleep``).
* :class:`WaitFor` -- wait until another caller resolves a future (the auth's single-flight token fetch).

Only ``Send`` and ``Read`` report their failures back into the flow; a failure of any other step, and
anything that is not an ``Exception`` (Ctrl-C, task cancellation), ends the flow: it is closed, so
its ``with`` and ``finally`` blocks run.  A flow that ends with an error leaves no streamed response
open: :func:`run` closes every one its ``Send`` steps opened.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeAlias, TypeVar

import httpx

if TYPE_CHECKING:  # these load only when a wait runs (sync programs skip ~60 ms of asyncio import)
    import concurrent.futures

__all__ = [
    "AsyncIO",
    "AsyncSend",
    "Close",
    "Done",
    "Flow",
    "PassOn",
    "Read",
    "Send",
    "Sleep",
    "Step",
    "SyncIO",
    "SyncSend",
    "WaitFor",
    "aadvance",
    "advance",
    "arun",
    "run",
]

_T = TypeVar("_T")

SyncSend: TypeAlias = Callable[[httpx.Request, bool], httpx.Response]  # (request, stream) -> response
AsyncSend: TypeAlias = Callable[[httpx.Request, bool], Awaitable[httpx.Response]]
_SendT = TypeVar("_SendT")
_SleepT = TypeVar("_SleepT")


class _IO(Generic[_SendT, _SleepT]):
    """What both drivers' I/O holds: ``send`` (None: pass requests on), ``sleep``, the streams opened."""

    __slots__ = ("_send", "opened", "sleep")

    def __init__(self, send: _SendT | None, sleep: _SleepT) -> None:
        self._send = send
        self.sleep = sleep
        self.opened: list[httpx.Response] = []

    @property
    def can_send(self) -> bool:
        return self._send is not None


class SyncIO(_IO[SyncSend, Callable[[float], None]]):
    """How the sync driver does I/O: ``send`` (None: pass requests on) and ``sleep``.

    It remembers the streamed responses it opened, so :func:`run` can close them if the flow fails.
    """

    __slots__ = ()

    def send(self, request: httpx.Request, stream: bool) -> httpx.Response:
        assert self._send is not None  # the drivers pass a Send on when there is no transport
        response = self._send(request, stream)
        if stream:
            self.opened.append(response)
        return response

    def close_opened(self) -> None:
        for response in self.opened:
            response.close()


class AsyncIO(_IO[AsyncSend, Callable[[float], Awaitable[None]]]):
    """Async twin of :class:`SyncIO`."""

    __slots__ = ()

    async def send(self, request: httpx.Request, stream: bool) -> httpx.Response:
        assert self._send is not None
        response = await self._send(request, stream)
        if stream:
            self.opened.append(response)
        return response

    async def close_opened(self) -> None:
        for response in self.opened:
            await response.aclose()


class Step:
    """Something a flow asks its driver to do; ``perform`` / ``aperform`` do it and return the reply."""

    __slots__ = ()
    # Whether a failure of this step is thrown back into the flow (True) or ends it (False).
    reports_failure: ClassVar[bool] = False

    def perform(self, io: SyncIO) -> object:
        raise NotImplementedError

    async def aperform(self, io: AsyncIO) -> object:
        raise NotImplementedError


class Send(Step):
    """Send ``request`` with the driver's transport; the response comes back, its body read unless ``stream``."""

    __slots__ = ("request", "stream")
    reports_failure = True

    def __init__(self, request: httpx.Request, *, stream: bool = False) -> None:
        self.request = request
        self.stream = stream

    def perform(self, io: SyncIO) -> httpx.Response:
        return io.send(self.request, self.stream)

    async def aperform(self, io: AsyncIO) -> httpx.Response:
        return await io.send(self.request, self.stream)


class PassOn(Step):
    """Hand ``request`` to whoever called the driver (httpx); its response comes back unread."""

    __slots__ = ("request",)
    stream: ClassVar[bool] = True  # as a Send that is passed on: the response is left unread

    def __init__(self, request: httpx.Request) -> None:
        self.request = request


class Read(Step):
    """Read ``response``'s body: into memory, or chunk by chunk into ``into``."""

    __slots__ = ("into", "response")
    reports_failure = True

    def __init__(self, response: httpx.Response, *, into: Callable[[bytes], None] | None = None) -> None:
        self.response = response
        self.into = into

    def perform(self, io: SyncIO) -> None:
        if self.into is None:
            self.response.read()
            return
        for chunk in self.response.iter_bytes():
            self.into(chunk)

    async def aperform(self, io: AsyncIO) -> None:
        if self.into is None:
            await self.response.aread()
            return
        # A write blocks the loop for as long as one local write of one chunk takes.
        async for chunk in self.response.aiter_bytes():
            self.into(chunk)


class Close(Step):
    """Close ``response`` (a response the flow discards, e.g. one that will be retried)."""

    __slots__ = ("response",)

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    def perform(self, io: SyncIO) -> None:
        self.response.close()

    async def aperform(self, io: AsyncIO) -> None:
        await self.response.aclose()


class Sleep(Step):
    """Wait ``seconds`` (with the driver's ``sleep``: a test's policy records instead of sleeping)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def perform(self, io: SyncIO) -> None:
        io.sleep(self.seconds)

    async def aperform(self, io: AsyncIO) -> None:
        await io.sleep(self.seconds)


class WaitFor(Step):
    """Wait until ``future`` is done (another caller resolves it), waking every ``slice`` seconds.

    ``over(done)`` is asked at each wake (and at once): True ends the wait, whether or not the future
    is done (its leader is gone, say).  ``refusal()`` gives the error a *blocking* wait on this thread
    raises instead of waiting (it would block the event loop that resolves the future), or None.
    """

    __slots__ = ("future", "over", "refusal", "slice")

    def __init__(
        self,
        future: concurrent.futures.Future[None],
        *,
        over: Callable[[bool], bool],
        slice: float,
        refusal: Callable[[], Exception | None],
    ) -> None:
        self.future = future
        self.over = over
        self.slice = slice
        self.refusal = refusal

    def perform(self, io: SyncIO) -> None:
        if (error := self.refusal()) is not None:
            raise error
        while not self.over(self.future.done()):
            with contextlib.suppress(TimeoutError):  # a slice is over: look again
                self.future.result(timeout=self.slice)

    async def aperform(self, io: AsyncIO) -> None:
        import asyncio  # only an async wait needs it

        waiting = asyncio.wrap_future(self.future)
        try:
            while not self.over(waiting.done()):
                await asyncio.wait({waiting}, timeout=self.slice)
        finally:
            waiting.cancel()  # a no-op once done; never cancels the future itself if it is RUNNING


# A flow yields steps, is resumed with each step's reply, and returns its result.
Flow: TypeAlias = Generator[Step, Any, _T]


class Done(Generic[_T]):
    """What a finished flow returned."""

    __slots__ = ("value",)

    def __init__(self, value: _T) -> None:
        self.value = value


class _Failed:
    """A step's failure, on its way back into the flow."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _resume(flow: Flow[_T], reply: object) -> Step | Done[_T]:
    """The flow's next step given the last one's reply (a failure is thrown in), or what it returned."""
    try:
        return flow.throw(reply.error) if isinstance(reply, _Failed) else flow.send(reply)
    except StopIteration as finished:
        return Done(finished.value)


def advance(flow: Flow[_T], reply: object, io: SyncIO) -> Done[_T] | Send | PassOn:
    """Resume ``flow`` with ``reply`` and perform its steps until it finishes or passes a request on.

    The sync driver.  Returns :class:`Done`, or the ``PassOn`` / ``Send`` whose request the caller
    sends; the caller resumes the flow with the response by calling ``advance`` again.
    """
    while True:
        step = _resume(flow, reply)
        if isinstance(step, Done | PassOn) or (isinstance(step, Send) and not io.can_send):
            return step
        try:
            reply = step.perform(io)
        except Exception as exc:
            if not step.reports_failure:
                raise
            reply = _Failed(exc)


async def aadvance(flow: Flow[_T], reply: object, io: AsyncIO) -> Done[_T] | Send | PassOn:
    """Async twin of :func:`advance`."""
    while True:
        step = _resume(flow, reply)
        if isinstance(step, Done | PassOn) or (isinstance(step, Send) and not io.can_send):
            return step
        try:
            reply = await step.aperform(io)
        except Exception as exc:
            if not step.reports_failure:
                raise
            reply = _Failed(exc)


def _nowhere_to_pass(step: Send | PassOn) -> RuntimeError:
    return RuntimeError(f"a flow passed {step.request.method} {step.request.url.path} on, but nothing sends it")


def run(flow: Flow[_T], io: SyncIO) -> _T:
    """Run ``flow`` to its end with blocking I/O and return its result (or raise its error)."""
    # try/finally rather than contextlib.closing: this runs for every API call, and costs less.
    try:
        outcome = advance(flow, None, io)
        if not isinstance(outcome, Done):
            raise _nowhere_to_pass(outcome)
        return outcome.value
    except BaseException:
        io.close_opened()
        raise
    finally:
        flow.close()


async def arun(flow: Flow[_T], io: AsyncIO) -> _T:
    """Async twin of :func:`run`."""
    try:
        outcome = await aadvance(flow, None, io)
        if not isinstance(outcome, Done):
            raise _nowhere_to_pass(outcome)
        return outcome.value
    except BaseException:
        await io.close_opened()
        raise
    finally:
        flow.close()
