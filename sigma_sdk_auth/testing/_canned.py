"""Canned answers: :meth:`SigmaStandin.answer` queues responses that replace the stand-in's own."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

__all__ = ["Answer", "CannedAnswers"]

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]
"""A canned answer for :meth:`SigmaStandin.answer`: a response, or a function of the request (it may
raise an ``httpx.TransportError`` to play a network failure in-process)."""


class _Canned:
    __slots__ = ("answer", "method", "remaining")

    def __init__(self, answer: Answer, method: str | None, times: int | None) -> None:
        self.answer, self.method, self.remaining = answer, method, times


class CannedAnswers:
    """Queues of answers by path (as sent, percent-encoded), served before the stand-in's routes."""

    lock: threading.RLock  # set by SigmaStandin.__init__

    def _init_canned(self) -> None:
        self._canned: dict[str, list[_Canned]] = {}

    def answer(self, path: str, *answers: Answer, method: str | None = None, times: int | None = 1) -> None:
        """Answer the next requests to ``path`` with ``answers``, in order, instead of the stand-in's own.

        ``path`` is matched as sent (percent-encoded, without the query); the bearer token is still
        checked first.  Each answer serves ``times`` requests (``None``: every later one, so put it
        last).  An answer may be a function of the request; an exception it raises reaches the client
        in-process (recorded with status 0).  Queued answers add to those already waiting.
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every later request)")
        if not answers:
            raise ValueError("give at least one answer")
        with self.lock:
            queue = self._canned.setdefault(path, [])
            queue.extend(_Canned(answer, method.upper() if method else None, times) for answer in answers)

    def _has_canned(self) -> bool:
        return bool(self._canned)

    def _take_canned(self, request: httpx.Request) -> Answer | None:
        path = request.url.raw_path.decode("ascii", "replace").split("?")[0]
        with self.lock:
            queue = self._canned.get(path, [])
            for canned in queue:
                if canned.method in (None, request.method):
                    if canned.remaining is not None:
                        canned.remaining -= 1
                        if canned.remaining == 0:
                            queue.remove(canned)
                    return canned.answer
        return None
