"""Long-running Sigma jobs in one call: workbook exports streamed to disk, materializations awaited.

Public through ``sigma_sdk.jobs``, which re-exports this module's ``__all__``.  Everything here sends
through the client's raw request API (``client.request``/``client.stream`` and their async twins),
so each HTTP request gets the client's token and typed errors; this module adds what lies
*between* requests:

* **Polling** (:class:`_Poll`): the first wait is ``poll_interval`` (1 s by default), each later wait
  1.5 times longer, capped at 15 s (or ``poll_interval`` if larger); a ``Retry-After`` header on a
  204 or a 429 is honoured instead, up to the client's ``RetryPolicy.max_retry_after`` (a negative or
  unreadable one means the backoff).  Any error that ends a job propagates with a note saying which
  job it interrupted.
* **The deadline** (``timeout``) bounds the whole job, requests included.  The client's retry loop
  cannot know it (it would wait out a ``Retry-After`` or retry a stalled read with the client's
  full timeout), so the drivers send each request *once* (``client.with_options(max_retries=0)``)
  and the flow retries (:func:`_answer`, :func:`_retry_delay`): by the client's own rules
  (``_retry.decide`` with the client's policy: what is transient, how many retries, which delays),
  except that a 429 is waited out whatever the budget.  Each attempt's timeout is the client's,
  every part cut to the time left, and no wait outlasts the deadline.  Once it has passed, or a
  request times out at it, :class:`JobTimeoutError` names the job, its last status and the elapsed
  time.  A download's body is read with the read timeout it got when it was sent, so a body that
  stalls is noticed within that (the time left at the last poll, at most the client's read timeout)
  and becomes :class:`JobTimeoutError` if the deadline has passed by then; a failure after the
  body began is never retried.  (A token request a job triggers gets the cut timeout too;
  its own retries are the auth's.)
* **Sigma's export rate limit** (100 exports a minute): export starts from this process go through
  one sliding window (:data:`EXPORT_STARTS`), so a loop over 500 elements waits instead of failing.
* **Writing** (:class:`_Target`): a path is written to a temporary file beside it and renamed over
  it only when the whole body has arrived; a timeout, a dropped connection, Ctrl-C or any other
  exception deletes the temporary file, so no partial export is ever left behind.  Before the first
  request a file is made and removed beside the path, so a target that cannot be written costs no export.  The body is
  streamed chunk by chunk: memory does not grow with the file's size.  A file object is written as
  given (and not closed); what was written before a failure stays written.
* **Progress**: a callable ``(bytes_done, bytes_total_or_None)``, or ``True`` for one line on stderr
  when stderr is a terminal.

Shape: like the auth flow (``_auth.py``) and the retries (``_retry.py``), each job is one generator
(:func:`_export_flow`, :func:`_download_flow`, :func:`_materialization_flow`) that makes every
decision and yields steps: send a request (:class:`_Request`), stream a download into the target
(:class:`_Fetch`), sleep (:class:`_Sleep`).  Two thin drivers, :func:`_run` and :func:`_arun`, do
the I/O and the sleeping; a response goes back into the flow with ``send``, an SDK error with
``throw``.  Every argument is checked before the first request: a bad one costs no export.

Time comes from the client's :class:`~sigma_sdk_auth.RetryPolicy`: its ``sleep`` / ``async_sleep``
wait between polls (as between retries), and deadlines are measured on its ``clock``.  A test steers
both through the policy it gives the client; nothing here is a module-level hook.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import io
import json
import os
import secrets
import sys
import threading
import unicodedata
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, ClassVar, Final, Generic, Literal, TypeAlias, TypedDict, TypeVar, Unpack, cast

import attrs
import httpx

from ._client import SigmaClient
from ._errors import (
    APIConnectionError,
    APITimeoutError,
    InvalidArgumentError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    RateLimitError,
    SigmaAPIError,
    SigmaError,
    parse_retry_after,
    safe_excerpt,
    scrubber,
)
from ._logging import logger
from ._public import publish
from ._retry import Decision, decide
from .runtime import path_segment

__all__ = [
    "EXPORT_STARTS",
    "ExportFormat",
    "ExportOptions",
    "ExportResult",
    "ExportTarget",
    "MaterializationStatus",
    "PdfLayout",
    "ProgressCallback",
    "adownload_export",
    "aexport_workbook",
    "await_data_model_materialization",
    "await_materialization",
    "download_export",
    "export_workbook",
    "wait_for_data_model_materialization",
    "wait_for_materialization",
]

ExportFormat: TypeAlias = Literal["csv", "json", "jsonl", "xlsx", "pdf", "png"]
PdfLayout: TypeAlias = Literal["portrait", "landscape"]
ExportTarget: TypeAlias = str | os.PathLike[str] | IO[bytes]
"""Where an export goes: a path (written atomically) or a writable binary file object."""
ProgressCallback: TypeAlias = Callable[[int, int | None], object]
"""Called as ``progress(bytes_done, bytes_total)``; ``bytes_total`` is None when Sigma does not say."""
_Clock: TypeAlias = Callable[[], float]
_T = TypeVar("_T")

DEFAULT_EXPORT_TIMEOUT: Final = 900.0
DEFAULT_MATERIALIZATION_TIMEOUT: Final = 3600.0
FIRST_POLL_INTERVAL: Final = 1.0
POLL_BACKOFF: Final = 1.5
MAX_POLL_INTERVAL: Final = 15.0

# What each export target accepts, from the request body schema of POST /v2/workbooks/{workbookId}/export.
_FORMATS_BY_TARGET: Final[Mapping[str, tuple[str, ...]]] = {
    "element": ("csv", "json", "jsonl", "xlsx", "pdf", "png"),
    "page": ("pdf", "png", "xlsx"),
    "workbook": ("pdf", "xlsx"),
}
# Sigma documents rowLimit/offset for these formats only.
_TABULAR_FORMATS: Final = frozenset({"csv", "json", "jsonl", "xlsx"})
# GET /v2/query/{queryId}/download: 204 (and, defensively, 202) means "not ready yet".
_NOT_READY: Final = frozenset({202, 204})
# Materialization statuses (as Dagster's Sigma integration reads them): these mean "still running"...
_RUNNING: Final = frozenset({"pending", "building"})
_SUCCEEDED: Final = "ready"
# ...these mean it ended without a result.  Any other status is one a newer Sigma added (``queued``?):
# the job is polled on until the deadline rather than declared failed.
_FAILED: Final = frozenset({"failed", "error", "errored", "cancelled", "canceled", "expired"})
# Export formats whose file is JSON: a JSON body is the export; for any other format it is an error.
_JSON_FORMATS: Final = frozenset({"json", "jsonl"})
# How much of a JSON error body (where a file was expected) is kept to quote from.
_ERROR_BODY_LIMIT: Final = 64 * 1024
# Whose materialization: the collection in the URL -> (the argument naming its ID, the job's kind).
_MATERIALIZATION_OWNERS: Final[Mapping[str, tuple[str, str]]] = {
    "workbooks": ("workbook_id", "workbook materialization"),
    "dataModels": ("data_model_id", "data model materialization"),
}


# -- results ---------------------------------------------------------------------------------------


@attrs.frozen
class ExportResult:
    """What an export wrote.

    ``path`` is the file written (None when ``to`` was a file object); ``filename`` is the name Sigma
    suggested in ``Content-Disposition``, reduced to its last path component (it comes from the
    server: check it before joining it to a directory of yours).
    """

    query_id: str
    path: Path | None
    bytes_written: int
    content_type: str | None
    filename: str | None
    elapsed: float


@attrs.frozen
class MaterializationStatus:
    """The final status of a materialization; ``raw`` is Sigma's whole answer, as received.

    Dates Sigma sent in a form :meth:`datetime.datetime.fromisoformat` cannot read are None here
    and kept as text in ``raw``.
    """

    materialization_id: str
    status: str
    started_at: datetime.datetime | None
    ready_at: datetime.datetime | None
    expired_at: datetime.datetime | None
    error: str | None
    raw: Mapping[str, Any]


# -- the export rate limit ---------------------------------------------------------------------------


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


# -- polling -----------------------------------------------------------------------------------------

_E = TypeVar("_E", bound=JobError)


class _Poll:
    """The timing of one job: its deadline, how long to wait before the next poll, and how long the
    next request may take (the client's timeout, cut to the time left)."""

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

    def until_deadline(self, status: str, wait: float) -> float:
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
        return self.until_deadline(status, wait)

    @contextlib.contextmanager
    def annotating(self) -> Iterator[None]:
        """Add a note naming this job to any SDK error that escapes (other than the job's own)."""
        try:
            yield
        except SigmaError as exc:
            if not isinstance(exc, JobError):
                exc.add_note(f"while waiting for {self.describe()}: last status {self.status}, {self.elapsed:.1f}s")
            raise


# -- where the file goes -----------------------------------------------------------------------------


class _Target:
    """``to`` of an export: a path written atomically, or a binary file object written as given."""

    def __init__(self, to: ExportTarget) -> None:
        self.path: Path | None = None
        self.file: IO[bytes] | None = None
        if isinstance(to, str | os.PathLike):
            path = Path(to)
            if path.is_dir():
                raise InvalidArgumentError(f"to={str(path)!r} is a directory; give the path of the file to write")
            if not path.parent.is_dir():
                raise InvalidArgumentError(f"to={str(path)!r}: the directory {str(path.parent)!r} does not exist")
            _check_writable(path)
            self.path = path
        elif isinstance(to, io.TextIOBase):
            raise InvalidArgumentError("to is a text file; open it in binary mode ('wb') or pass a path")
        elif callable(getattr(to, "write", None)):
            writable = getattr(to, "writable", None)
            if callable(writable) and not writable():
                raise InvalidArgumentError(f"to={getattr(to, 'name', to)!r} is a file object not open for writing")
            self.file = to
        else:
            raise InvalidArgumentError(
                f"to must be a path (str or os.PathLike) or a writable binary file object, not {type(to).__name__}"
            )

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The file to write the body to; for a path, renamed into place only if the block completes."""
        if self.path is None:
            assert self.file is not None
            yield self.file
            flush = getattr(self.file, "flush", None)
            if callable(flush):
                flush()
            return
        # os.open with O_EXCL and the default mode: the umask applies as for any new file (mkstemp
        # would make it 0600), and a name clash fails instead of overwriting someone else's file.
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.part")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with open(descriptor, "wb", closefd=True) as file:
                yield file
                file.flush()
                os.fsync(file.fileno())  # the rename must not publish data still in the page cache
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise


def _check_writable(path: Path) -> None:
    """Raise :class:`InvalidArgumentError` naming ``path`` unless a file can be made beside it and it can
    be replaced, found out before the first request: a refused write must not cost an export.

    A real file is made and removed (``os.access`` says yes to root, and knows nothing of read-only mounts).
    """
    probe = path.with_name(f".{path.name}.{secrets.token_hex(6)}.probe")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        message = f"to={str(path)!r}: cannot write in the directory {str(path.parent)!r} ({reason})"
        raise InvalidArgumentError(message) from exc
    if path.exists() and not os.access(path, os.W_OK):
        raise InvalidArgumentError(f"to={str(path)!r}: the file exists and is not writable")


# -- progress ----------------------------------------------------------------------------------------


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


class _TerminalProgress:
    """One self-overwriting line on a terminal: bytes done (of total), rate, elapsed time."""

    _EVERY: Final = 0.2  # seconds between redraws: a line per chunk would cost more than the download

    def __init__(self, stream: IO[str], clock: _Clock) -> None:
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._drawn_at = -1.0
        self._last: tuple[int, int | None] = (0, None)

    def __call__(self, done: int, total: int | None) -> None:
        self._last = (done, total)
        now = self._clock()
        if now - self._drawn_at >= self._EVERY:
            self._drawn_at = now
            self._draw(done, total, now)

    def _draw(self, done: int, total: int | None, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        of_total = f" of {_size(total)} ({100 * done / total:.0f}%)" if total else ""
        line = f"\r{_size(done)}{of_total}, {_size(done / elapsed)}/s, {elapsed:.1f}s"
        self._stream.write(line.ljust(60))
        self._stream.flush()

    def finish(self) -> None:
        self._draw(*self._last, self._clock())
        self._stream.write("\n")
        self._stream.flush()


class _Progress:
    """Reports bytes to the caller's callback (or a terminal line); does nothing when not asked to."""

    def __init__(self, progress: ProgressCallback | bool | None, clock: _Clock) -> None:
        self._callback: ProgressCallback | None = None
        self._terminal: _TerminalProgress | None = None
        if progress is True:
            if sys.stderr is not None and sys.stderr.isatty():
                self._terminal = self._callback = _TerminalProgress(sys.stderr, clock)
        elif callable(progress):
            self._callback = progress
        elif progress not in (None, False):
            raise InvalidArgumentError(
                f"progress must be a callable (bytes_done, bytes_total) or True, not {type(progress).__name__}"
            )

    def __call__(self, done: int, total: int | None) -> None:
        if self._callback is not None:
            self._callback(done, total)

    def finish(self) -> None:
        if self._terminal is not None:
            self._terminal.finish()


# -- reading the answers -----------------------------------------------------------------------------


def _expected_size(response: httpx.Response) -> int | None:
    """The body's size from Content-Length, unless a content encoding makes it the compressed size."""
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return None
    try:
        size = int(response.headers.get("content-length", ""))
    except ValueError:
        return None
    return size if size >= 0 else None


def _suggested_filename(header: str | None) -> str | None:
    """The filename of a Content-Disposition header (RFC 6266, ``filename*`` included), last component only,
    without control characters."""
    if not header:
        return None
    from email.message import Message  # only needed once per download

    message = Message()
    message["content-disposition"] = header
    name = message.get_filename()
    if not name:
        return None
    # Control and format characters (NUL, CR/LF, bidi overrides) have no place in a file name.
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return None if name in ("", ".", "..") else name


def _json_object(response: httpx.Response, what: str, poll: _Poll) -> Mapping[str, Any]:
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python decodes
        body = None
    if not isinstance(body, dict):
        raise poll.error(
            JobError,
            f"{what} answered HTTP {response.status_code} with a body that is not a JSON object: "
            f"{safe_excerpt(response.text, scrubber(response))!r}",
        )
    return body


def _query_id(response: httpx.Response, poll: _Poll) -> str:
    body = _json_object(response, "POST export", poll)
    query_id = body.get("queryId")
    if not isinstance(query_id, str) or not query_id:
        raise poll.error(
            JobError,
            f"Sigma accepted the export but sent no queryId (keys: {scrubber(response)(str(sorted(body)))})",
            job_id=None,
            status="started",
        )
    return query_id


def _date(value: object) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def _materialization(response: httpx.Response, poll: _Poll) -> MaterializationStatus | None:
    """The status if the materialization is over (raising :class:`JobFailedError` if it failed), else None."""
    body = _json_object(response, f"GET {poll.kind} {poll.job_id}", poll)
    status = body.get("status")
    scrub = scrubber(response)  # Sigma's text in a message never carries a credential the request held
    if not isinstance(status, str):
        keys = scrub(str(sorted(body)))
        raise poll.error(JobError, f"{poll.kind} {poll.job_id}: Sigma's answer has no status (keys: {keys})")
    error = scrub(body["error"]) if isinstance(body.get("error"), str) else None
    if status.lower() in _RUNNING:
        poll.status = status
        return None
    if status.lower() not in _FAILED | {_SUCCEEDED}:
        # A status this SDK does not know (a newer Sigma's): not a failure until Sigma says so; the
        # deadline still bounds the wait, and the timeout error names this status.
        if status not in poll.unknown_statuses:
            poll.unknown_statuses.add(status)
            logger.warning(
                "%s %s has status %r, which this SDK does not know; polling on until it is ready, fails "
                "or the timeout passes",
                poll.kind,
                poll.job_id,
                status,
            )
        poll.status = status
        return None
    if status.lower() != _SUCCEEDED:
        elapsed = poll.elapsed
        because = f": {error}" if error else ""
        raise poll.error(
            JobFailedError,
            f"{poll.kind} {poll.job_id} failed with status {status!r} after {elapsed:.1f}s{because}",
            status=status,
            elapsed=elapsed,
            error=error,
        )
    materialization_id = body.get("materializationId")
    return MaterializationStatus(
        materialization_id=materialization_id if isinstance(materialization_id, str) else str(poll.job_id),
        status=status,
        started_at=_date(body.get("startedAt")),
        ready_at=_date(body.get("readyAt")),
        expired_at=_date(body.get("expiredAt")),
        error=error,
        raw=body,
    )


# -- the export request ------------------------------------------------------------------------------


class ExportOptions(TypedDict, total=False):
    """Sigma's format options of an export, as keyword arguments of :func:`export_workbook`."""

    layout: PdfLayout
    """pdf: page orientation (portrait when not given)."""
    pixel_width: float
    """png: the image width Sigma aims for (best effort)."""
    pixel_height: float
    """png: the image height Sigma aims for (best effort)."""
    row_limit: int
    """csv, json, jsonl, xlsx: export at most this many rows (Sigma caps an export at 1 million)."""
    offset: int
    """csv, json, jsonl, xlsx: the first row to export, for exports in chunks."""
    extra_body: Mapping[str, Any]
    """Any other field of the request body (``tag``, ``exportAs``, ...), sent as given."""


def _export_body(
    format: str,
    element_id: str | None,
    page_id: str | None,
    parameters: Mapping[str, str] | None,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON body of POST /v2/workbooks/{workbookId}/export, checked against what Sigma accepts."""
    unknown = sorted(set(options) - set(ExportOptions.__annotations__))
    if unknown:
        raise TypeError(f"export_workbook() got unexpected keyword argument(s): {', '.join(unknown)}")
    layout, row_limit, offset = options.get("layout"), options.get("row_limit"), options.get("offset")
    pixel_width, pixel_height = options.get("pixel_width"), options.get("pixel_height")
    extra_body: Mapping[str, Any] = options.get("extra_body") or {}
    if element_id is not None and page_id is not None:
        raise InvalidArgumentError("give element_id or page_id, not both (neither exports the whole workbook)")
    target = "element" if element_id is not None else "page" if page_id is not None else "workbook"
    allowed = _FORMATS_BY_TARGET[target]
    if format not in allowed:
        raise InvalidArgumentError(
            f"format={format!r} is not available for {'a whole workbook' if target == 'workbook' else 'a ' + target}"
            f" export; use one of {', '.join(allowed)}"
            + (" (csv, json and jsonl need element_id)" if format in ("csv", "json", "jsonl") else "")
        )
    format_options: dict[str, Any] = {"type": format}
    if format == "pdf":
        format_options["layout"] = layout or "portrait"
    elif layout is not None:
        raise InvalidArgumentError(f"layout applies to pdf exports only, not {format}")
    for name, key, value in (("pixel_width", "pixelWidth", pixel_width), ("pixel_height", "pixelHeight", pixel_height)):
        if value is None:
            continue
        if format != "png":
            raise InvalidArgumentError(f"{name} applies to png exports only, not {format}")
        format_options[key] = value
    body: dict[str, Any] = {"format": format_options}
    if element_id is not None:
        body["elementId"] = element_id
    if page_id is not None:
        body["pageId"] = page_id
    for name, key, number in (("row_limit", "rowLimit", row_limit), ("offset", "offset", offset)):
        if number is None:
            continue
        if format not in _TABULAR_FORMATS:
            raise InvalidArgumentError(f"{name} applies to csv, json, jsonl and xlsx exports only, not {format}")
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise InvalidArgumentError(f"{name} must be an int >= 0, got {number!r}")
        body[key] = number
    if parameters:
        wrong = sorted(str(key) for key, value in parameters.items() if not isinstance(value, str))
        if wrong:
            raise InvalidArgumentError(
                f"parameters values are control values as text (e.g. '10.5', 'true', 'min:1,max:9'); "
                f"not text: {', '.join(wrong)}"
            )
        body["parameters"] = dict(parameters)
    for key, value in extra_body.items():
        if key in body:
            raise InvalidArgumentError(f"extra_body sets {key!r}, which export_workbook's own arguments set")
        body[key] = value
    return body


# -- saving a download -------------------------------------------------------------------------------


class _Export:
    """One export's file: where it goes, its progress and timing, and the bytes of the body so far."""

    def __init__(
        self,
        client: SigmaClient,
        to: ExportTarget,
        timeout: float | None,
        poll_interval: float | None,
        progress: ProgressCallback | bool | None,
        format: str | None = None,
    ) -> None:
        self.format = format  # None when not known (download_export): any body is then the file
        self.poll = _Poll("export", None, timeout, poll_interval, client)
        self.target = _Target(to)
        self.progress = _Progress(progress, self.poll.clock)
        self.total: int | None = None
        self.done = 0
        self.body_started = False  # from then on a failure is final: a file object already holds bytes

    @contextlib.contextmanager
    def receiving(self, response: httpx.Response) -> Iterator[Callable[[bytes], None]]:
        """Save ``response``'s body: the block passes each chunk to the function it gets.

        A path is renamed into place only if the block ends and the body is complete; a transport
        error in the block becomes :class:`APIConnectionError` (the partial file is discarded), or
        :class:`JobTimeoutError` if it is a read that stalled until the deadline.
        """
        self.body_started = True
        if self._is_json_error(response):
            body = bytearray()
            yield lambda chunk: body.extend(chunk[: max(0, _ERROR_BODY_LIMIT - len(body))])
            raise self._json_error(response, bytes(body))
        self.poll.status = "downloading"
        self.total, self.done = _expected_size(response), 0
        self.progress(0, self.total)
        with self.target.open() as file:

            def write(chunk: bytes) -> None:
                file.write(chunk)
                self.done += len(chunk)
                self.progress(self.done, self.total)
                if self.poll.expired:  # per chunk: the status text is built only when it is needed
                    self.poll.check(f"downloading ({self.done} bytes received)")

            try:
                yield write
            except httpx.TransportError as exc:
                left = self.poll.time_left
                if isinstance(exc, httpx.TimeoutException) and left is not None and left <= 0:
                    self.poll.status = f"downloading ({self.done} bytes received, then none in time)"
                    raise self.poll.timed_out() from exc
                raise self._broken(response, "broke", exc) from exc
            if self.total is not None and self.done != self.total:
                raise self._broken(response, "ended")
            self.progress.finish()

    def _is_json_error(self, response: httpx.Response) -> bool:
        """Whether a ready answer is JSON where a file of another format was asked for: Sigma's error."""
        if self.format is None or self.format in _JSON_FORMATS:
            return False
        media_type = str(response.headers.get("content-type", "")).partition(";")[0].strip().lower()
        return media_type == "application/json" or media_type.endswith("+json")

    def _json_error(self, response: httpx.Response, body: bytes) -> JobFailedError:
        """The error for a JSON answer where a ``self.format`` file was expected, quoting Sigma's message."""
        scrub = scrubber(response)
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):  # cut at the limit, or not JSON after all
            parsed = None
        fields = parsed if isinstance(parsed, dict) else {}
        said = next((fields[key] for key in ("message", "error") if isinstance(fields.get(key), str)), None)
        error = safe_excerpt(said if said is not None else body.decode("utf-8", "replace"), scrub)
        return self.poll.error(
            JobFailedError,
            f"export {self.poll.job_id} answered HTTP {response.status_code} with a JSON error instead of the "
            f"{self.format} file: {error!r} (nothing was written)",
            status="failed",
            error=error,
        )

    def _broken(self, response: httpx.Response, how: str, error: Exception | None = None) -> APIConnectionError:
        """The SDK error for a body that broke off or ended short (the partial file is discarded)."""
        of_total = f" of {self.total}" if self.total is not None else ""
        message = f"the download of export {self.poll.job_id} {how} after {self.done}{of_total} bytes"
        if error is not None:
            message = f"{message}: {type(error).__name__}: {error}".rstrip(": ")
        kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
        return kind(message, request=response.request)

    def result(self, response: httpx.Response) -> ExportResult:
        return ExportResult(
            query_id=str(self.poll.job_id),
            path=self.target.path,
            bytes_written=self.done,
            content_type=response.headers.get("content-type"),
            filename=_suggested_filename(response.headers.get("content-disposition")),
            elapsed=self.poll.elapsed,
        )


# -- the flows: every decision, no I/O ---------------------------------------------------------------


@attrs.frozen
class _Sleep:
    """Step: wait ``delay`` seconds (the client's ``retry_policy.sleep`` / ``async_sleep``)."""

    delay: float


@attrs.frozen
class _Request:
    """Step: ``client.request(method, path, json=body, timeout=timeout)`` (or ``arequest``), one
    attempt; the response goes back."""

    method: str
    path: str
    body: Any = None
    timeout: httpx.Timeout | None = None  # None only in the template that _answer copies for each attempt


@attrs.frozen
class _Fetch:
    """Step: stream GET ``path`` (one attempt, ``timeout`` as for :class:`_Request`); a ready answer's
    body goes through ``export.receiving``, then the (closed) response goes back."""

    path: str
    export: _Export
    timeout: httpx.Timeout | None = None
    method: ClassVar[str] = "GET"


_Step: TypeAlias = _Sleep | _Request | _Fetch
# A flow yields steps, is sent each request's response (None after a sleep), and returns its result.
_Flow: TypeAlias = Generator[_Step, httpx.Response | None, _T]
_Reply: TypeAlias = httpx.Response | SigmaError | None  # what a step came to: sent, or thrown, into the flow


@attrs.frozen
class _Done(Generic[_T]):
    """What a finished flow returned."""

    value: _T


def _advance(flow: _Flow[_T], reply: _Reply) -> _Step | _Done[_T]:
    """The flow's next step, given the last step's reply (an SDK error is thrown into the flow)."""
    try:
        return flow.throw(reply) if isinstance(reply, SigmaError) else flow.send(reply)
    except StopIteration as finished:
        return _Done(cast(_T, finished.value))


def _advised_wait(response: httpx.Response) -> float | None:
    """The seconds ``Retry-After`` asks for, or None (the poll backoff applies) when it is absent,
    garbage or negative: ``-5`` on every poll must not become a run of zero-second waits."""
    value = response.headers.get("retry-after")
    with contextlib.suppress(ValueError):
        if value is not None and float(value) < 0:
            return None
    return parse_retry_after(value)


def _ready(response: httpx.Response) -> bool:
    return response.status_code not in _NOT_READY


def _answer(step: _Request | _Fetch, poll: _Poll, window: _RateWindow | None = None) -> _Flow[httpx.Response]:
    """Yield attempts at ``step`` until one is answered, each with the time left as its timeout.

    The drivers send each attempt once; a failure the client would retry is retried here (see
    :func:`_retry_delay`), never past the deadline.  With ``window`` every attempt first takes a
    slot in it.
    """
    failures = 0
    while True:
        wait = 0.0 if window is None else window.reserve(poll.clock)
        if wait:
            yield _Sleep(poll.next_wait("waiting for Sigma's export rate limit (100/min)", wait))
            continue
        try:
            response = yield attrs.evolve(step, timeout=poll.request_timeout())
        except SigmaError as exc:
            delay = _retry_delay(exc, step, poll, failures)
            if delay is None:
                raise
            failures += 1
            yield _Sleep(delay)
        else:
            assert response is not None  # the drivers answer a request with its response
            return response


def _retry_delay(exc: SigmaError, step: _Request | _Fetch, poll: _Poll, failures: int) -> float | None:
    """Seconds to wait before attempting ``step`` again after ``exc``, or None if ``exc`` is final.

    The client's rules decide (:func:`~sigma_sdk_auth._retry.decide` with its policy: which failures
    are transient, how many retries, which delays), except that a 429 is waited out whatever the
    budget (its Retry-After, or the poll backoff).  No wait outlasts the deadline, and a request that
    timed out at the deadline, or a transient failure with no time left, raises
    :class:`JobTimeoutError` instead.  A failure after the body began to arrive is final.
    """
    if isinstance(exc, JobError) or (isinstance(step, _Fetch) and step.export.body_started):
        return None
    left = poll.time_left
    if isinstance(exc, APITimeoutError) and left is not None and left <= 0:
        poll.status = f"no answer in time to {step.method} {step.path}"
        raise poll.timed_out() from exc
    if isinstance(exc, RateLimitError):
        advised = exc.retry_after if exc.response is None else _advised_wait(exc.response)
        return poll.next_wait("rate limited (HTTP 429)", advised)
    decision: Decision | None = None
    if isinstance(exc, SigmaAPIError) and exc.response is not None:
        decision = decide(method=step.method, retries_done=failures, policy=poll.retry_policy, response=exc.response)
    elif isinstance(exc, APIConnectionError) and isinstance(exc.__cause__, httpx.TransportError):
        decision = decide(method=step.method, retries_done=failures, policy=poll.retry_policy, error=exc.__cause__)
    if decision is None or not decision.retry:
        return None
    delay = poll.until_deadline(f"retrying after {decision.reason}", decision.delay)
    logger.info(
        "Retrying %s %s of %s (retry %d of %d) after %s; sleeping %.2fs",
        step.method,
        step.path,
        poll.describe(),
        failures + 1,
        poll.retry_policy.max_retries,
        decision.reason,
        delay,
    )
    return delay


def _download_flow(export: _Export, query_id: str) -> _Flow[ExportResult]:
    """Poll the download of export ``query_id`` until Sigma has the file, which the driver saves."""
    poll = export.poll
    poll.kind, poll.job_id = "export", query_id
    fetch = _Fetch(f"/v2/query/{path_segment(query_id, 'query_id')}/download", export)
    with poll.annotating():
        while not _ready(response := (yield from _answer(fetch, poll))):
            yield _Sleep(poll.next_wait(f"not ready (HTTP {response.status_code})", _advised_wait(response)))
    return export.result(response)


def _export_flow(export: _Export, workbook_id: str, body: Mapping[str, Any]) -> _Flow[ExportResult]:
    """:func:`export_workbook`: start the export within Sigma's rate limit, then download its query."""
    poll = export.poll
    poll.kind = f"export of workbook {workbook_id}"
    start = _Request("POST", f"/v2/workbooks/{path_segment(workbook_id, 'workbook_id')}/export", body)
    with poll.annotating():
        response = yield from _answer(start, poll, EXPORT_STARTS)
    return (yield from _download_flow(export, _query_id(response, poll)))


def _materialization_flow(
    client: SigmaClient,
    owners: str,
    owner_id: str,
    materialization_id: str,
    timeout: float | None,
    poll_interval: float | None,
) -> _Flow[MaterializationStatus]:
    """Poll ``/v2/{owners}/{owner_id}/materializations/{materialization_id}`` until it is over."""
    id_name, kind = _MATERIALIZATION_OWNERS[owners]
    owner, segment = path_segment(owner_id, id_name), path_segment(materialization_id, "materialization_id")
    get = _Request("GET", f"/v2/{owners}/{owner}/materializations/{segment}")
    poll = _Poll(kind, materialization_id, timeout, poll_interval, client)
    with poll.annotating():
        while (final := _materialization((yield from _answer(get, poll)), poll)) is None:
            yield _Sleep(poll.next_wait(poll.status))
    return final


# -- the drivers: the only code that differs between sync and async ----------------------------------


def _run(client: SigmaClient, flow: _Flow[_T]) -> _T:
    """Perform ``flow``'s steps with blocking I/O until it returns; SDK errors are thrown back into it."""
    once = client.with_options(max_retries=0)  # the flow retries, minding the job's deadline
    reply: _Reply = None
    with contextlib.closing(flow):
        while not isinstance(step := _advance(flow, reply), _Done):
            try:
                if isinstance(step, _Sleep):
                    client.retry_policy.sleep(step.delay)
                    reply = None
                elif isinstance(step, _Request):
                    reply = once.request(step.method, step.path, json=step.body, timeout=step.timeout)
                else:
                    with once.stream(step.method, step.path, timeout=step.timeout) as reply:
                        if _ready(reply):
                            with step.export.receiving(reply) as write:
                                for chunk in reply.iter_bytes():
                                    write(chunk)
            except SigmaError as exc:
                reply = exc
    return step.value


async def _arun(client: SigmaClient, flow: _Flow[_T]) -> _T:
    """Async twin of :func:`_run`: awaits the requests and ``retry_policy.async_sleep``."""
    once = client.with_options(max_retries=0)
    reply: _Reply = None
    with contextlib.closing(flow):
        while not isinstance(step := _advance(flow, reply), _Done):
            try:
                if isinstance(step, _Sleep):
                    await client.retry_policy.async_sleep(step.delay)
                    reply = None
                elif isinstance(step, _Request):
                    reply = await once.arequest(step.method, step.path, json=step.body, timeout=step.timeout)
                else:
                    async with once.astream(step.method, step.path, timeout=step.timeout) as reply:
                        if _ready(reply):
                            # A file write blocks the loop for as long as a local write of one chunk takes.
                            with step.export.receiving(reply) as write:
                                async for chunk in reply.aiter_bytes():
                                    write(chunk)
            except SigmaError as exc:
                reply = exc
    return step.value


# -- the public functions ----------------------------------------------------------------------------


def download_export(
    client: SigmaClient,
    query_id: str,
    *,
    to: ExportTarget,
    timeout: float | None = DEFAULT_EXPORT_TIMEOUT,
    poll_interval: float | None = None,
    progress: ProgressCallback | bool | None = None,
) -> ExportResult:
    """Wait until the export ``query_id`` is ready and stream the file to ``to``.

    ``to`` is a path (written atomically: nothing appears there unless the whole file arrived) or a
    writable binary file object.  ``timeout`` bounds the whole wait and download (None: no limit);
    ``poll_interval`` is the first wait between polls (later ones back off up to 15 s).
    Raises :class:`JobTimeoutError` on timeout, :class:`APIConnectionError` if the connection
    breaks mid-file, and the client's typed errors for refused requests.
    """
    return _run(client, _download_flow(_Export(client, to, timeout, poll_interval, progress), query_id))


def export_workbook(
    client: SigmaClient,
    workbook_id: str,
    *,
    to: ExportTarget,
    format: ExportFormat = "csv",
    element_id: str | None = None,
    page_id: str | None = None,
    parameters: Mapping[str, str] | None = None,
    timeout: float | None = DEFAULT_EXPORT_TIMEOUT,
    poll_interval: float | None = None,
    progress: ProgressCallback | bool | None = None,
    **options: Unpack[ExportOptions],
) -> ExportResult:
    """Export a workbook, one of its pages (``page_id``) or one element (``element_id``) to ``to``.

    Starts the export (``POST /v2/workbooks/{workbookId}/export``), polls the download until Sigma
    has the file, and streams it to ``to`` as :func:`download_export` does.  ``format``: an element
    exports as csv, json, jsonl, xlsx, pdf or png; a page as pdf, png or xlsx; a whole workbook as
    pdf or xlsx.  ``parameters`` maps control IDs to control values (text, in Sigma's syntax).
    ``options`` are Sigma's format options (:class:`ExportOptions`: ``layout``, ``pixel_width``,
    ``pixel_height``, ``row_limit``, ``offset``, ``extra_body``).  ``timeout`` covers everything,
    from the first request to the last byte.  Export starts are limited to 100 a minute per
    process, as Sigma limits them.
    """
    export = _Export(client, to, timeout, poll_interval, progress, format)
    flow = _export_flow(export, workbook_id, _export_body(format, element_id, page_id, parameters, options))
    return _run(client, flow)


def wait_for_materialization(
    client: SigmaClient,
    *,
    workbook_id: str,
    materialization_id: str,
    timeout: float | None = DEFAULT_MATERIALIZATION_TIMEOUT,
    poll_interval: float | None = None,
) -> MaterializationStatus:
    """Poll a workbook materialization until it is ``ready`` and return its final status.

    ``pending`` and ``building`` mean it still runs; ``failed`` (or ``error``, ``cancelled``,
    ``expired``) raises :class:`JobFailedError` with Sigma's ``error``; a status this SDK does not know
    is logged once and polled on; a run past ``timeout`` seconds raises :class:`JobTimeoutError`
    naming the last status.
    """
    flow = _materialization_flow(client, "workbooks", workbook_id, materialization_id, timeout, poll_interval)
    return _run(client, flow)


def wait_for_data_model_materialization(
    client: SigmaClient,
    *,
    data_model_id: str,
    materialization_id: str,
    timeout: float | None = DEFAULT_MATERIALIZATION_TIMEOUT,
    poll_interval: float | None = None,
) -> MaterializationStatus:
    """:func:`wait_for_materialization` for a data model's materialization."""
    flow = _materialization_flow(client, "dataModels", data_model_id, materialization_id, timeout, poll_interval)
    return _run(client, flow)


async def adownload_export(
    client: SigmaClient,
    query_id: str,
    *,
    to: ExportTarget,
    timeout: float | None = DEFAULT_EXPORT_TIMEOUT,
    poll_interval: float | None = None,
    progress: ProgressCallback | bool | None = None,
) -> ExportResult:
    """Async twin of :func:`download_export`."""
    return await _arun(client, _download_flow(_Export(client, to, timeout, poll_interval, progress), query_id))


async def aexport_workbook(
    client: SigmaClient,
    workbook_id: str,
    *,
    to: ExportTarget,
    format: ExportFormat = "csv",
    element_id: str | None = None,
    page_id: str | None = None,
    parameters: Mapping[str, str] | None = None,
    timeout: float | None = DEFAULT_EXPORT_TIMEOUT,
    poll_interval: float | None = None,
    progress: ProgressCallback | bool | None = None,
    **options: Unpack[ExportOptions],
) -> ExportResult:
    """Async twin of :func:`export_workbook`."""
    export = _Export(client, to, timeout, poll_interval, progress, format)
    flow = _export_flow(export, workbook_id, _export_body(format, element_id, page_id, parameters, options))
    return await _arun(client, flow)


async def await_materialization(
    client: SigmaClient,
    *,
    workbook_id: str,
    materialization_id: str,
    timeout: float | None = DEFAULT_MATERIALIZATION_TIMEOUT,
    poll_interval: float | None = None,
) -> MaterializationStatus:
    """Async twin of :func:`wait_for_materialization`."""
    flow = _materialization_flow(client, "workbooks", workbook_id, materialization_id, timeout, poll_interval)
    return await _arun(client, flow)


async def await_data_model_materialization(
    client: SigmaClient,
    *,
    data_model_id: str,
    materialization_id: str,
    timeout: float | None = DEFAULT_MATERIALIZATION_TIMEOUT,
    poll_interval: float | None = None,
) -> MaterializationStatus:
    """Async twin of :func:`wait_for_data_model_materialization`."""
    flow = _materialization_flow(client, "dataModels", data_model_id, materialization_id, timeout, poll_interval)
    return await _arun(client, flow)


publish("sigma_sdk.jobs", globals(), __all__)  # what tracebacks and reprs name
