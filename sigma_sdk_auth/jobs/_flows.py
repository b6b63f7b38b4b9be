"""The flows: every decision of a job (what to send, when to retry, when to stop), and no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs
import httpx

from .._client import SigmaClient
from .._errors import APIConnectionError, APITimeoutError, JobError, RateLimitError, SigmaAPIError, SigmaError
from .._logging import logger
from .._retry import Decision, decide
from ..runtime import path_segment
from ._poll import _Poll
from ._rate import EXPORT_STARTS, _RateWindow
from ._reading import _advised_wait, _materialization, _query_id, _ready
from ._results import ExportResult, MaterializationStatus
from ._saving import _Export
from ._steps import _Fetch, _Flow, _Request, _Sleep

# What the rest of the package imports from here; nothing in this module is public.
__all__ = ["_download_flow", "_export_flow", "_materialization_flow"]

# Whose materialization: the collection in the URL -> (the argument naming its ID, the job's kind).
_MATERIALIZATION_OWNERS: Final[Mapping[str, tuple[str, str]]] = {
    "workbooks": ("workbook_id", "workbook materialization"),
    "dataModels": ("data_model_id", "data model materialization"),
}


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
    if _is_final(exc, step):
        return None
    left = poll.time_left
    if isinstance(exc, APITimeoutError) and left is not None and left <= 0:
        poll.status = f"no answer in time to {step.method} {step.path}"
        raise poll.timed_out() from exc
    if isinstance(exc, RateLimitError):
        advised = exc.retry_after if exc.response is None else _advised_wait(exc.response)
        return poll.next_wait("rate limited (HTTP 429)", advised)
    decision = _client_decision(exc, step.method, poll, failures)
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


def _is_final(exc: SigmaError, step: _Request | _Fetch) -> bool:
    """Whether ``exc`` ends the job whatever the rules say: the job's own error, or a failure after a
    download's body began (a file object already holds bytes)."""
    return isinstance(exc, JobError) or (isinstance(step, _Fetch) and step.export.body_started)


def _client_decision(exc: SigmaError, method: str, poll: _Poll, failures: int) -> Decision | None:
    """What the client's own retry rule says of ``exc``, or None for an error that rule does not judge
    (one with neither a response nor a transport error behind it)."""
    if isinstance(exc, SigmaAPIError) and exc.response is not None:
        return decide(method=method, retries_done=failures, policy=poll.retry_policy, response=exc.response)
    if isinstance(exc, APIConnectionError) and isinstance(exc.__cause__, httpx.TransportError):
        return decide(method=method, retries_done=failures, policy=poll.retry_policy, error=exc.__cause__)
    return None


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
