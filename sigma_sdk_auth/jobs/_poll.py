"""The timing of one job: its deadline, the backoff between polls, and each request's timeout."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Final, TypeVar

import httpx

from .._client import SigmaClient
from .._errors import InvalidArgumentError, JobError, JobTimeoutError, SigmaError
from .._retry_after import parse_retry_after

__all__ = [
    "DEFAULT_EXPORT_TIMEOUT",
    "DEFAULT_MATERIALIZATION_TIMEOUT",
    "FIRST_POLL_INTERVAL",
    "MAX_POLL_INTERVAL",
    "POLL_BACKOFF",
    "_Poll",
    "_advised_wait",
]

DEFAULT_EXPORT_TIMEOUT: Final = 900.0
DEFAULT_MATERIALIZATION_TIMEOUT: Final = 3600.0
FIRST_POLL_INTERVAL: Final = 1.0
POLL_BACKOFF: Final = 1.5
MAX_POLL_INTERVAL: Final = 15.0


_E = TypeVar("_E", bound=JobError)


def _advised_wait(response: httpx.Response) -> float | None:
    """The seconds ``Retry-After`` asks for, or None (the poll backoff applies) when it is absent,
    garbage or negative: ``-5`` on every poll must not become a run of zero-second waits."""
    value = response.headers.get("retry-after")
    with contextlib.suppress(ValueError):
        if value is not None and float(value) < 0:
            return None
    return parse_retry_after(value)


class _Poll:
    """The timing of one job: its deadline, how long to wait before the next poll, and how long the
    next request may take (the client's timeout, cut to the time left).

    It is the ``deadline`` the job hands the shared retry loop (``_retry.retrying``; the methods of
    ``_retry.Deadline``: :meth:`no_answer_in_time`, :meth:`cut`, :meth:`rate_limit_wait`).
    """

    def __init__(
        self, kind: str, job_id: str | None, timeout: float | None, poll_interval: float | None, client: SigmaClient
    ) -> None:
        if timeout is not None and not timeout >= 0:
            raise InvalidArgumentError(f"timeout must be a number of seconds >= 0 or None, got {timeout!r}")
        if poll_interval is not None and not poll_interval > 0:
            raise InvalidArgumentError(f"poll_interval must be a number of seconds > 0 or None, got {poll_interval!r}")
        self.kind = kind
        self.job_id = job_id
        self.timeout = timeout
        self.retry_policy = client.retry_policy  # judges transient failures, as the client's own retries would
        self.max_advised_wait = client.retry_policy.max_retry_after  # no Retry-After is waited out longer
        self.clock = client.retry_policy.clock
        self._client_timeout = client.timeout
        self.started = self.clock()
        self.status = "not started"
        self.unknown_statuses: set[str] = set()  # materialization statuses already logged as unknown
        self._interval = poll_interval or FIRST_POLL_INTERVAL
        self._cap = max(MAX_POLL_INTERVAL, self._interval)

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    @property
    def time_left(self) -> float | None:
        """Seconds until the deadline (<= 0 once it has passed), or None without a timeout."""
        return None if self.timeout is None else self.timeout - self.elapsed

    def describe(self) -> str:
        return f"{self.kind} {self.job_id}" if self.job_id else self.kind

    def error(self, cls: type[_E], message: str, **fields: Any) -> _E:
        """A ``cls`` naming this job, its last status and the elapsed time (``fields`` override them)."""
        details: dict[str, Any] = {"kind": self.kind, "job_id": self.job_id, "status": self.status}
        return cls(message, **(details | {"elapsed": self.elapsed} | fields))

    def timed_out(self) -> JobTimeoutError:
        elapsed = self.elapsed
        return self.error(
            JobTimeoutError,
            f"{self.describe()} did not finish within the timeout of {self.timeout:g}s "
            f"(last status: {self.status}; {elapsed:.1f}s elapsed)",
            elapsed=elapsed,
        )

    @property
    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.timeout is not None and self.elapsed > self.timeout

    def check(self, status: str) -> None:
        """Record ``status``; raise :class:`JobTimeoutError` if the deadline has passed."""
        self.status = status
        if self.expired:
            raise self.timed_out()

    def request_timeout(self) -> httpx.Timeout:
        """The timeout of the next request: the client's, each part cut to the time left.

        Raises :class:`JobTimeoutError` when no time is left: a request then could not be answered in time.
        """
        limit, left = self._client_timeout, self.time_left
        if left is None:
            return limit
        if left <= 0:
            raise self.timed_out()

        def cut(part: float | None) -> float:
            return left if part is None else min(part, left)

        return httpx.Timeout(
            connect=cut(limit.connect), read=cut(limit.read), write=cut(limit.write), pool=cut(limit.pool)
        )

    def cut(self, status: str, wait: float) -> float:
        """``wait``, cut to the time left; raises :class:`JobTimeoutError` when the deadline has passed."""
        self.status = status
        left = self.time_left
        if left is None:
            return wait
        if left <= 0:
            raise self.timed_out()
        return min(wait, left)

    def next_wait(self, status: str, advised: float | None = None) -> float:
        """Seconds to sleep before polling again: ``advised`` (a Retry-After, at most the client's
        ``max_retry_after``) or the backoff, never past the deadline.  Raises :class:`JobTimeoutError`
        when the deadline has already passed."""
        wait = self._interval if advised is None else min(advised, self.max_advised_wait)
        self._interval = min(self._cap, self._interval * POLL_BACKOFF)
        return self.cut(status, wait)

    def no_answer_in_time(self, what: str) -> JobTimeoutError | None:
        """The error for a request to ``what`` that timed out with no time left, else None."""
        left = self.time_left
        if left is None or left > 0:
            return None
        self.status = f"no answer in time to {what}"
        return self.timed_out()

    def rate_limit_wait(self, response: httpx.Response) -> float:
        """How long to wait out a 429 within the deadline: its Retry-After (capped), or the poll backoff."""
        return self.next_wait("rate limited (HTTP 429)", _advised_wait(response))

    @contextlib.contextmanager
    def annotating(self) -> Iterator[None]:
        """Add a note naming this job to any SDK error that escapes (other than the job's own)."""
        try:
            yield
        except SigmaError as exc:
            if not isinstance(exc, JobError):
                exc.add_note(f"while waiting for {self.describe()}: last status {self.status}, {self.elapsed:.1f}s")
            raise
