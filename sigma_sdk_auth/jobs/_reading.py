"""Reading Sigma's answers: sizes, suggested file names, query IDs, materialization statuses."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

import httpx

from .._errors import JobError, JobFailedError
from .._logging import logger
from .._scrubbing import safe_excerpt, scrubber
from ._poll import _Poll
from ._results import MaterializationStatus

# What the rest of the package imports from here; nothing in this module is public.
__all__ = [
    "_expected_size",
    "_materialization",
    "_query_id",
    "_ready",
    "_suggested_filename",
]

# GET /v2/query/{queryId}/download: 204 (and, defensively, 202) means "not ready yet".
_NOT_READY: Final = frozenset({202, 204})
# Materialization statuses (as Dagster's Sigma integration reads them): these mean "still running"...
_RUNNING: Final = frozenset({"pending", "building"})
_SUCCEEDED: Final = "ready"
# ...these mean it ended without a result.  Any other status is one a newer Sigma added (``queued``?):
# the job is polled on until the deadline rather than declared failed.
_FAILED: Final = frozenset({"failed", "error", "errored", "cancelled", "canceled", "expired"})


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


def _ready(response: httpx.Response) -> bool:
    return response.status_code not in _NOT_READY
