"""A fault-injecting HTTP/1.1 server on 127.0.0.1 for retry tests: the public stand-in with test routes.

Every request gets a 1-based sequence number ``n`` and ``schedule(n)`` decides what happens to it:
``None`` (answer normally), ``"429"`` (``Retry-After: 0``), ``"503"``, ``"drop"`` (close the
connection without a response, which httpx reports as ``RemoteProtocolError``) or ``"stall"``
(wait ``stall_seconds`` before answering, for timeouts).  The stand-in's fault rules apply: a 429
comes before the request is acted on (a rate limiter), a 503 or a drop after it (the worst case).

Routes (no authentication):

* ``GET <any path>`` -> 200 ``{"n": n, "path": ...}``.
* ``POST /things`` -> 201 ``{"id": n}``, recording one create for the request's ``X-Call-Id``
  header, so a create answered with 503 or dropped has still happened.

The server stops itself after ``max_lifetime`` seconds even if a test forgets to (or hangs).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import httpx

from sigma_sdk_auth.testing import ApiError, Fault, SigmaStandin, StandinServer

__all__ = ["Fault", "FaultServer", "Schedule", "sigma_issue_schedule"]

Schedule = Callable[[int], Fault | None]


def sigma_issue_schedule(n: int) -> Fault | None:
    """Issue 4's schedule: drop every 11th request, else 503 every 7th, else 429 every 5th.

    Any four consecutive integers contain at most one multiple each of 5, 7 and 11, so there are
    never more than three faults in a row (e.g. requests 20, 21, 22: 429, 503, drop).
    """
    if n % 11 == 0:
        return "drop"
    if n % 7 == 0:
        return "503"
    if n % 5 == 0:
        return "429"
    return None


class _Things(SigmaStandin):
    """The stand-in's request cycle and faults, with the two test routes instead of Sigma's API."""

    def __init__(self, schedule: Schedule, stall_seconds: float) -> None:
        super().__init__(connections=0, archived=0, members=1, workbooks=0, stall_seconds=stall_seconds)
        self.fault_schedule = lambda n, request: schedule(n)
        self.creates: Counter[str] = Counter()
        self._creates_lock = threading.Lock()

    def respond(self, request: httpx.Request, number: int) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"n": number, "path": request.url.raw_path.decode()})
        if request.method != "POST" or request.url.path != "/things":
            raise ApiError(404, "not_found", "Not found")
        with self._creates_lock:
            self.creates[request.headers.get("X-Call-Id", "")] += 1
        return httpx.Response(201, json={"id": number})


class FaultServer(StandinServer):
    """A :class:`StandinServer` whose answers follow ``schedule``; see the module docstring."""

    def __init__(self, schedule: Schedule, *, stall_seconds: float = 1.0, max_lifetime: float = 30.0) -> None:
        self.things = _Things(schedule, stall_seconds)
        super().__init__(self.things, max_lifetime=max_lifetime)

    def __enter__(self) -> FaultServer:
        super().__enter__()
        return self

    @property
    def request_count(self) -> int:
        return self.things.request_count

    @property
    def faults(self) -> list[tuple[int, str, Fault]]:
        """``(n, method, fault)`` of every fault served."""
        return [(n, method, fault) for n, method, _, fault in self.things.faults()]

    @property
    def creates(self) -> Counter[str]:
        return self.things.creates
