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
* **The deadline** (``timeout``) bounds the whole job, requests included.  Every request of a job
  goes through the shared retry loop (``_retry.retrying``, as the client's own calls do) with the
  job's deadline handed to it: the client's rules decide (what is transient, how many retries, which
  delays), except that a 429 is waited out whatever the budget.  Each attempt's timeout is the
  client's, every part cut to the time left, and no wait outlasts the deadline.  Once it has passed,
  or a request times out at it, :class:`JobTimeoutError` names the job, its last status and the
  elapsed time.  A download's body is read with the read timeout it got when it was sent, so a body
  that stalls is noticed within that (the time left at the last poll, at most the client's read
  timeout) and becomes :class:`JobTimeoutError` if the deadline has passed by then; a failure after
  the body began is never retried.  (A token request a job triggers gets the cut timeout too;
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

Shape: like the auth (``_auth.py``) and the API calls (``_retry.py``), each job is one flow of the
shared engine (``_flow``): a generator (:func:`_export_flow`, :func:`_download_flow`,
:func:`_materialization_flow`) that makes every decision and yields steps (send, read, close, sleep).
The engine's drivers, run by :func:`_run` and :func:`_arun` with the client's pools and auth, do the
I/O; a response goes back into the flow with ``send``, a failure with ``throw``.  Every argument is
checked before the first request: a bad one costs no export.

Time comes from the client's :class:`~sigma_sdk_auth.RetryPolicy`: its ``sleep`` / ``async_sleep``
wait between polls (as between retries), and deadlines are measured on its ``clock``.  A test steers
both with a recording policy and a fake clock.

Where things are (one concern a module; this ``__init__`` holds the public API and nothing else):

* ``_results``: the public types, what a caller passes and gets back;
* ``_rate``: the export rate window (:data:`EXPORT_STARTS`);
* ``_poll``: one job's timing (:class:`_Poll`: deadline, backoff, ``Retry-After``, request timeouts);
* ``_files``: the target of an export (:class:`_Target`: atomic writes, the write check);
* ``_progress``: progress callbacks and the terminal line;
* ``_reading``: reading Sigma's answers (sizes, ``Content-Disposition``, IDs, statuses);
* ``_validate``: the export request body and its checks;
* ``_saving``: one export's download streamed into its target (:class:`_Export`);
* ``_flows``: the flows, every decision and no I/O (each request through the shared retry loop);
* ``_drivers``: :func:`_run` and :func:`_arun`, which run a flow on the shared engine with the client's I/O.

Async twins: each public function has one, taking the same arguments; its name is the sync name with an
``a`` in front (``export_workbook`` -> ``aexport_workbook``), where ``wait_for_...`` becomes
``await_...`` (``wait_for_materialization`` -> ``await_materialization``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Unpack

from .._client import SigmaClient
from .._public import publish
from ._drivers import _arun, _run
from ._flows import _download_flow, _export_flow, _materialization_flow
from ._poll import DEFAULT_EXPORT_TIMEOUT, DEFAULT_MATERIALIZATION_TIMEOUT
from ._poll import FIRST_POLL_INTERVAL as FIRST_POLL_INTERVAL  # importable from here, as before the split
from ._poll import MAX_POLL_INTERVAL as MAX_POLL_INTERVAL
from ._poll import POLL_BACKOFF as POLL_BACKOFF
from ._rate import EXPORT_STARTS
from ._results import (
    ExportFormat,
    ExportOptions,
    ExportResult,
    ExportTarget,
    MaterializationStatus,
    PdfLayout,
    ProgressCallback,
)
from ._saving import _Export
from ._validate import _export_body

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
    return _run(client, _download_flow, _Export(client, to, timeout, poll_interval, progress), query_id)


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
    body = _export_body(format, element_id, page_id, parameters, options)
    return _run(client, _export_flow, export, workbook_id, body)


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
    return _run(
        client, _materialization_flow, client, "workbooks", workbook_id, materialization_id, timeout, poll_interval
    )


def wait_for_data_model_materialization(
    client: SigmaClient,
    *,
    data_model_id: str,
    materialization_id: str,
    timeout: float | None = DEFAULT_MATERIALIZATION_TIMEOUT,
    poll_interval: float | None = None,
) -> MaterializationStatus:
    """:func:`wait_for_materialization` for a data model's materialization."""
    return _run(
        client, _materialization_flow, client, "dataModels", data_model_id, materialization_id, timeout, poll_interval
    )


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
    return await _arun(client, _download_flow, _Export(client, to, timeout, poll_interval, progress), query_id)


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
    body = _export_body(format, element_id, page_id, parameters, options)
    return await _arun(client, _export_flow, export, workbook_id, body)


async def await_materialization(
    client: SigmaClient,
    *,
    workbook_id: str,
    materialization_id: str,
    timeout: float | None = DEFAULT_MATERIALIZATION_TIMEOUT,
    poll_interval: float | None = None,
) -> MaterializationStatus:
    """Async twin of :func:`wait_for_materialization`."""
    return await _arun(
        client, _materialization_flow, client, "workbooks", workbook_id, materialization_id, timeout, poll_interval
    )


async def await_data_model_materialization(
    client: SigmaClient,
    *,
    data_model_id: str,
    materialization_id: str,
    timeout: float | None = DEFAULT_MATERIALIZATION_TIMEOUT,
    poll_interval: float | None = None,
) -> MaterializationStatus:
    """Async twin of :func:`wait_for_data_model_materialization`."""
    return await _arun(
        client, _materialization_flow, client, "dataModels", data_model_id, materialization_id, timeout, poll_interval
    )


publish("sigma_sdk.jobs", globals(), __all__)  # what tracebacks and reprs name
