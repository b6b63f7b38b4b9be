"""The connection pools a root ``SigmaClient`` owns and its derived clients share.

One ``httpx.Client`` serves sync calls.  Async calls get one ``httpx.AsyncClient`` per event loop:
an ``AsyncClient``'s connections belong to the loop that opened them, so a client used under two
``asyncio.run()`` calls, or from loops in several threads at once, needs a pool per loop (sharing
one fails deep inside httpx with ``RuntimeError: Event loop is closed`` or worse).  A pool whose loop
has closed is dropped at the next lookup.  It is closed before that, on its own loop, when the loop
shuts down its async generators (``asyncio.run()`` and ``asyncio.Runner`` do): see
:func:`_close_at_loop_shutdown`.  So the common script pattern, ``asyncio.run()`` twice on one
client, leaks no sockets.

The pools know nothing of where requests may go: ``SigmaClient`` gives each one the request hook
``_transport_security.check_hop``, which every hop of every request, redirects included, passes.
"""

from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, cast

import httpx

if TYPE_CHECKING:  # asyncio loads only when an async call runs (sync programs skip ~60 ms of import)
    import asyncio

__all__ = ["Pools"]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # called outside a loop, e.g. get_async_httpx_client() at set-up time
        return None


class _LoopGone(Exception):
    """Thrown into a watcher whose loop closed without finalizing it: there is nothing to close on."""


async def _close_at_loop_shutdown(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    try:
        yield
    except GeneratorExit:  # the loop is shutting down its async generators: close the pool on it
        await client.aclose()
        raise
    except _LoopGone:
        pass


class _LoopPool:
    """One event loop's ``AsyncClient`` and the watcher that closes it when that loop shuts down.

    The watcher is an async generator parked at its first ``yield``.  Starting it registers it with
    the running loop (the loop's asyncgen ``firstiter`` hook); a loop that shuts down its async
    generators (``asyncio.run()`` does) finalizes it there, which closes the client on the loop that
    owns its connections.  The loop holds it weakly, so it lives here.  It never awaits before the
    ``yield``, so it is started without an ``await``.
    """

    __slots__ = ("client", "watcher")

    def __init__(self, client: httpx.AsyncClient, *, watch: bool) -> None:
        self.client = client
        self.watcher: types.AsyncGeneratorType[None, None] | None = None
        if watch:
            self.watcher = cast("types.AsyncGeneratorType[None, None]", _close_at_loop_shutdown(client))
            with contextlib.suppress(StopIteration):  # StopIteration: parked at the yield, as intended
                self.watcher.__anext__().send(None)

    def abandon(self) -> None:
        """Retire the watcher without its loop, so garbage collection never asks a closed loop to run it."""
        if self.watcher is not None and self.watcher.ag_frame is not None:  # None: already finalized
            with contextlib.suppress(StopAsyncIteration, StopIteration):
                self.watcher.athrow(_LoopGone()).send(None)
            self.watcher = None


class Pools:
    """One sync pool and one async pool per event loop, created on first use, closed together."""

    def __init__(
        self, owner: str, make_sync: Callable[[], httpx.Client], make_async: Callable[[], httpx.AsyncClient]
    ) -> None:
        self._owner = owner
        self._make_sync = make_sync
        self._make_async = make_async
        self._lock = threading.Lock()  # held only to look up or create, never across I/O
        self._sync: httpx.Client | None = None
        self._async: dict[asyncio.AbstractEventLoop | None, _LoopPool] = {}
        self.closed = False

    def _check_open(self) -> None:
        # Recreating pools silently after close() would leak them; fail like httpx does instead.
        if self.closed:
            raise RuntimeError(f"this {self._owner} has been closed")

    def sync(self) -> httpx.Client:
        with self._lock:
            self._check_open()
            if self._sync is None:
                self._sync = self._make_sync()
            return self._sync

    def for_running_loop(self) -> httpx.AsyncClient:
        """The running loop's pool (outside a loop: one kept for whichever loop the caller uses)."""
        loop = _running_loop()
        with self._lock:
            self._check_open()
            for dead in [other for other in self._async if other is not None and other.is_closed()]:
                self._async.pop(dead).abandon()
            pool = self._async.get(loop)
            if pool is None:
                pool = self._async[loop] = _LoopPool(self._make_async(), watch=loop is not None)
            return pool.client

    def close(self) -> None:
        """Close the sync pool; async pools stay for :meth:`aclose` (closing them needs their loop)."""
        with self._lock:
            self.closed = True
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close every pool: the running loop's here, another running loop's on that loop."""
        import asyncio

        self.close()
        loop = _running_loop()
        with self._lock:
            pools, self._async = self._async, {}
        for owner, pool in pools.items():
            if owner is None or owner is loop:
                await pool.client.aclose()
            elif owner.is_running():
                asyncio.run_coroutine_threadsafe(pool.client.aclose(), owner)
                continue  # the watcher stays armed; closing twice is harmless
            # A loop that is closed, or idle in another thread, cannot run the close: the pool is dropped.
            pool.abandon()
