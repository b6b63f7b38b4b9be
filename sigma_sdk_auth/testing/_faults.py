"""Injected failures: rate limits, outages, dropped connections and stalls, by rule or by schedule.

:class:`FaultDesk` is one part of :class:`~sigma_sdk_auth.testing.SigmaStandin`; the request cycle
(``SigmaStandin.handle``) asks it which fault, if any, a request gets and when it strikes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final, Literal

import httpx

from ._answers import error_response

__all__ = ["STOPPING_EXTENSION", "Fault", "FaultDesk", "FaultSchedule"]

# A request extension StandinServer sets to its "stopping" event: a stall it interrupts gets no answer.
STOPPING_EXTENSION: Final = "sigma_standin.stopping"

Fault = Literal["429", "503", "drop", "stall"]
"""An injected failure: ``429`` (``Retry-After``, before the request is acted on, like a rate limiter),
``503`` or ``drop`` (after it was acted on: the worst case for a create), ``stall`` (answer late)."""

FaultSchedule = Callable[[int, httpx.Request], "Fault | None"]
"""Decides a fault from a request's 1-based sequence number and the request itself."""

_FAULTS: Final = ("429", "503", "drop", "stall")


class _Injected:
    __slots__ = ("fault", "method", "path", "remaining", "retry_after")

    def __init__(self, fault: Fault, path: str | None, method: str | None, times: int, retry_after: float) -> None:
        self.fault, self.path, self.method, self.remaining, self.retry_after = fault, path, method, times, retry_after


class FaultDesk:
    """Faults: :meth:`inject` rules first (in the order given), then :attr:`fault_schedule`."""

    # Set by SigmaStandin.__init__ (shared with the other parts of the stand-in).
    lock: threading.RLock
    stall_seconds: float
    fault_schedule: FaultSchedule | None

    def _init_faults(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self.fault_schedule = None
        self._injected: list[_Injected] = []
        self._faults: list[tuple[int, str, str, Fault]] = []

    def inject(
        self,
        fault: Fault,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int = 1,
        retry_after: float = 0,
    ) -> None:
        """Make the next ``times`` requests (to ``path``, with ``method``, when given) fail with ``fault``.

        ``429`` answers before the request is acted on, with ``Retry-After: retry_after``; ``503`` and
        ``drop`` after it was acted on; ``stall`` waits :attr:`stall_seconds`, then answers normally
        (or, if the :class:`StandinServer` serving it stops meanwhile, not at all).
        """
        if fault not in _FAULTS:
            raise ValueError(f"unknown fault {fault!r}: use '429', '503', 'drop' or 'stall'")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self.lock:
            self._injected.append(_Injected(fault, path, method.upper() if method else None, times, retry_after))

    def faults(self) -> list[tuple[int, str, str, Fault]]:
        """``(request number, method, path, fault)`` of every fault served."""
        with self.lock:
            return list(self._faults)

    def _pick_fault(self, number: int, request: httpx.Request, path: str) -> tuple[Fault | None, float]:
        """The fault request ``number`` gets (an injected rule's, else the schedule's) and its Retry-After."""
        fault: Fault | None
        with self.lock:
            for injected in self._injected:
                if (injected.path in (None, path)) and (injected.method in (None, request.method)):
                    injected.remaining -= 1
                    if injected.remaining == 0:
                        self._injected.remove(injected)
                    fault, retry_after = injected.fault, injected.retry_after
                    break
            else:
                fault, retry_after = (self.fault_schedule(number, request) if self.fault_schedule else None), 0.0
            if fault is not None:
                self._faults.append((number, request.method, path, fault))
        return fault, retry_after

    def _stall(self, request: httpx.Request) -> bool:
        """Wait :attr:`stall_seconds`; True if the serving :class:`StandinServer` stopped meanwhile."""
        stopping = request.extensions.get(STOPPING_EXTENSION)
        if not isinstance(stopping, threading.Event):
            time.sleep(self.stall_seconds)
            return False
        return stopping.wait(self.stall_seconds)  # the server is stopping: nobody is left to answer


def rate_limited(retry_after: float) -> httpx.Response:
    """A ``429`` fault's answer."""
    return error_response(429, "rate_limited", "Too many requests", {"Retry-After": f"{retry_after:g}"})


def unavailable() -> httpx.Response:
    """A ``503`` fault's answer (the request was acted on all the same)."""
    return error_response(503, "unavailable", "Service unavailable")
