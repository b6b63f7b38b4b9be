"""Sigma's export rate limit (100 export starts a minute), kept as one sliding window per process."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Final, TypeAlias

__all__ = ["EXPORT_STARTS", "_RateWindow"]

_Clock: TypeAlias = Callable[[], float]


class _RateWindow:
    """At most ``limit`` events in any ``period`` seconds, shared by every thread and event loop.

    Times are kept per clock (a ``RetryPolicy.clock``; a program that does not replace it has one,
    ``time.monotonic``): readings of two clocks cannot be compared, and so a test's fake clock starts
    with an empty window of its own.
    """

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._times: dict[_Clock, collections.deque[float]] = {}
        self._lock = threading.Lock()  # held only for bookkeeping, never while waiting

    def reserve(self, clock: _Clock) -> float:
        """Take a slot and return 0.0, or return the seconds until one frees up (nothing taken)."""
        now = clock()
        with self._lock:
            times = self._times.setdefault(clock, collections.deque())
            while times and now - times[0] >= self.period:
                times.popleft()
            if len(times) < self.limit:
                times.append(now)
                return 0.0
            return times[0] + self.period - now


EXPORT_STARTS: Final = _RateWindow(100, 60.0)
"""Sigma allows 100 export requests a minute; every export started from this process counts here."""
