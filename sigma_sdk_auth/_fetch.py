"""One token fetch in flight: what its waiters share, and how they tell that its leader is gone.

``SigmaAuth`` (``_auth``) lets one caller, the *leader*, fetch a token while every other caller that
needs one waits on the same :class:`Fetch` (a ``WaitFor`` step of the flow engine) and takes its
outcome.  This module holds that record and the checks a waiter makes: is waiting here a deadlock
(a sync wait on the thread whose running loop leads), and has the leader gone or overrun
(:func:`longest_fetch`: how long its grants may take).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import httpx

from ._errors import SigmaError
from ._grants import Token

if TYPE_CHECKING:  # these load only when a fetch runs (sync programs skip ~60 ms of asyncio import)
    import asyncio
    import concurrent.futures

    from ._retry_policy import RetryPolicy

__all__ = ["Fetch", "longest_fetch"]

# How long a leader must look gone (loop stopped or closed, thread ended) before a waiter takes over.
_TAKEOVER_GRACE: Final = 0.15
# The timeout phases one token attempt may spend, each at most once.
_TIMEOUT_PHASES: Final = ("pool", "connect", "write", "read")


def longest_fetch(origin: httpx.Request, policy: RetryPolicy, impersonating: bool) -> float:
    """The longest a fetch's grants may take under ``origin``'s timeouts and the retry ``policy``.

    Unbounded (``inf``) when a timeout phase is unbounded.  Each attempt is allowed every phase
    in full (read is per read, so this is generous rather than exact); each retry the longest
    pause the policy allows.
    """
    timeout = origin.extensions.get("timeout")
    attempt = 0.0
    for name in _TIMEOUT_PHASES:
        phase = timeout.get(name) if isinstance(timeout, Mapping) else None
        if not isinstance(phase, int | float):
            return math.inf
        attempt += phase
    per_grant = (policy.max_retries + 1) * attempt + policy.max_retries * max(policy.max_delay, policy.max_retry_after)
    # A refresh can fall back to client credentials; an exchange waits for the admin's fetch
    # (itself up to two grants) and may be redone once.
    grants = 4 if impersonating else 2
    return grants * per_grant


# A plain slotted class rather than an attrs class: each attrs class costs about 0.5 ms at import.
class Fetch:
    """One token fetch in flight (its retries included) and its outcome, shared by all who waited on it.

    ``token`` or ``error`` is set before ``done`` resolves; neither set means the leader was
    abandoned and a waiter should try again.  ``thread`` and ``loop`` are the leader's: a
    *synchronous* caller on that thread would wait for an event loop it is itself blocking, and a
    leader whose loop was closed or stopped (or whose thread ended) will never finish.  ``deadline``
    (monotonic) is the longest the leader's grants may take under its timeouts and retry policy.
    """

    __slots__ = ("deadline", "done", "error", "gone_since", "loop", "settled", "thread", "token")

    def __init__(self, deadline: float) -> None:
        import concurrent.futures  # only a fetch needs it

        self.done: concurrent.futures.Future[None] = concurrent.futures.Future()
        # RUNNING from the start: an async waiter that is cancelled (asyncio.wrap_future passes the
        # cancellation on) then cannot cancel the fetch under the other waiters.
        self.done.set_running_or_notify_cancel()
        self.thread = threading.current_thread()
        self.loop = _running_loop()
        self.deadline = deadline
        self.gone_since: float | None = None  # when a waiter first saw the leader gone
        self.settled = False  # guarded by the auth's state lock
        self.token: Token | None = None
        self.error: Exception | None = None

    def blocked_by_this_thread(self) -> bool:
        """True if a synchronous wait on this thread would block the running loop that leads the fetch."""
        if self.thread is not threading.current_thread():
            return False
        # The leader's loop stopped or closed on this thread: waiting blocks nothing, and takes over.
        return self.loop is None or self.loop.is_running()

    def refusal(self) -> SigmaError | None:
        """The error a blocking wait on this thread raises instead of waiting, else None."""
        return _blocking_wait_error() if self.blocked_by_this_thread() else None

    def stalled(self) -> str | None:
        """Why waiting longer for this fetch is pointless (its leader is gone or overdue), else None.

        A stopped loop may yet run again, so "gone" must hold for a grace period; a waiter that takes
        over too eagerly costs one extra token request, never a wrong answer.
        """
        now = time.monotonic()
        if now >= self.deadline:
            return "it outlasted its timeouts and retries"
        loop = self.loop
        gone = (loop.is_closed() or not loop.is_running()) if loop is not None else not self.thread.is_alive()
        if not gone:
            self.gone_since = None
            return None
        if self.gone_since is None:
            self.gone_since = now
        if now - self.gone_since < _TAKEOVER_GRACE:
            return None
        return "its leader's event loop stopped" if loop is not None else "its leader's thread ended"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    if "asyncio" not in sys.modules:  # no event loop without asyncio, and no import cost for sync programs
        return None
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _blocking_wait_error() -> SigmaError:
    return SigmaError(
        "A synchronous Sigma call was made on the thread whose event loop is fetching the access token; "
        "waiting would block that loop for ever. Use the async API inside async code (or run the "
        "synchronous call in a worker thread, e.g. with asyncio.to_thread)."
    )
