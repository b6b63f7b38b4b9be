"""The flows: every decision of a job (what to send, when to poll again, when to stop), and no I/O.

Each request of a job goes through :func:`_call`, which hands the shared retry loop
(``_retry.retrying``) the job's deadline (:class:`_Poll`): the client's rule decides what is retried,
no wait outlasts the deadline, and a 429 is waited out whatever the budget.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias

import httpx

from .._client import SigmaClient
from .._error_responses import raise_for_status
from .._flow import Close, Flow, Read, Sleep
from .._retry import Retried, retrying
from ..runtime import path_segment
from ._poll import _advised_wait, _Poll
from ._rate import EXPORT_STARTS, _RateWindow
from ._reading import _materialization, _query_id, _ready
from ._results import ExportResult, MaterializationStatus
from ._saving import _Export

# What the rest of the package imports from here; nothing in this module is public.
__all__ = ["_Build", "_download_flow", "_export_flow", "_materialization_flow"]

# Builds a request the way the job's client does (its base URL, headers and timeout): the driver's.
_Build: TypeAlias = Callable[..., httpx.Request]

# Whose materialization: the collection in the URL -> (the argument naming its ID, the job's kind).
_MATERIALIZATION_OWNERS: Final[Mapping[str, tuple[str, str]]] = {
    "workbooks": ("workbook_id", "workbook materialization"),
    "dataModels": ("data_model_id", "data model materialization"),
}


def _call(
    build: _Build,
    poll: _Poll,
    method: str,
    path: str,
    *,
    body: Any = None,
    stream: bool = False,
    window: _RateWindow | None = None,
) -> Flow[httpx.Response]:
    """One request of the job, retried within its deadline; the answer, or its typed error.

    Each attempt's timeout is the client's, cut to the time left; with ``window`` each attempt first
    takes a slot in it.  A non-2xx answer raises the client's typed error (a streamed one is read
    first: error bodies are small); a streamed 2xx comes back unread, for the flow to read and close.
    """

    def attempt() -> httpx.Request:
        return build(method=method, url=path, json=body, timeout=poll.request_timeout())

    pace = None if window is None else functools.partial(_slot, window, poll)
    retried = Retried(label=f"{method} {path} of {poll.describe()}")
    response = yield from retrying(attempt, poll.retry_policy, stream=stream, retried=retried, deadline=poll, pace=pace)
    if not response.is_success:
        if stream:
            yield Read(response)
        raise_for_status(response)
    return response


def _slot(window: _RateWindow, poll: _Poll) -> Flow[None]:
    """Wait until ``window`` has a slot for this job, and take it; never past the deadline."""
    while wait := window.reserve(poll.clock):
        yield Sleep(poll.next_wait("waiting for Sigma's export rate limit (100/min)", wait))


def _download_flow(build: _Build, export: _Export, query_id: str) -> Flow[ExportResult]:
    """Poll the download of export ``query_id`` until Sigma has the file, and stream it into the target."""
    poll = export.poll
    poll.kind, poll.job_id = "export", query_id
    path = f"/v2/query/{path_segment(query_id, 'query_id')}/download"
    with poll.annotating():
        while not _ready(response := (yield from _call(build, poll, "GET", path, stream=True))):
            yield Close(response)
            yield Sleep(poll.next_wait(f"not ready (HTTP {response.status_code})", _advised_wait(response)))
        # A failure from here on is final: a file object may already hold bytes.
        with export.receiving(response) as write:
            yield Read(response, into=write)
        yield Close(response)
    return export.result(response)


def _export_flow(build: _Build, export: _Export, workbook_id: str, body: Mapping[str, Any]) -> Flow[ExportResult]:
    """:func:`export_workbook`: start the export within Sigma's rate limit, then download its query."""
    poll = export.poll
    poll.kind = f"export of workbook {workbook_id}"
    path = f"/v2/workbooks/{path_segment(workbook_id, 'workbook_id')}/export"
    with poll.annotating():
        response = yield from _call(build, poll, "POST", path, body=body, window=EXPORT_STARTS)
    return (yield from _download_flow(build, export, _query_id(response, poll)))


def _materialization_flow(
    build: _Build,
    client: SigmaClient,
    owners: str,
    owner_id: str,
    materialization_id: str,
    timeout: float | None,
    poll_interval: float | None,
) -> Flow[MaterializationStatus]:
    """Poll ``/v2/{owners}/{owner_id}/materializations/{materialization_id}`` until it is over."""
    id_name, kind = _MATERIALIZATION_OWNERS[owners]
    owner, segment = path_segment(owner_id, id_name), path_segment(materialization_id, "materialization_id")
    path = f"/v2/{owners}/{owner}/materializations/{segment}"
    poll = _Poll(kind, materialization_id, timeout, poll_interval, client)
    with poll.annotating():
        while (final := _materialization((yield from _call(build, poll, "GET", path)), poll)) is None:
            yield Sleep(poll.next_wait(poll.status))
    return final
