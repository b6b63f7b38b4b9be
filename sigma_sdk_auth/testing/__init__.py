"""A local fake of Sigma's REST API for your own tests: no credentials, no network, stdlib + httpx only.

Public as ``sigma_sdk.testing``.  Start it in a test, point a ``sigma_sdk.Client`` at it, and
exercise code built on the SDK end to end::

    from sigma_sdk import Client
    from sigma_sdk.testing import run_standin

    def test_my_report() -> None:
        with run_standin(client_id="ci", client_secret="ci-secret") as sigma:
            with Client(sigma.base_url, "ci", "ci-secret") as client:
                my_report(client)                           # your code
            assert sigma.standin.requests_to("/v2/connections")

Or without a socket: ``Client("http://127.0.0.1", id, secret, transport=standin.transport())``.

What it serves (bodies follow Sigma's spec 2.0.0; the generated models parse them):

* ``POST /v2/auth/token``: ``client_credentials`` (client ID and secret in the form or as HTTP
  Basic), ``refresh_token`` (refresh tokens rotate: a used one answers 401) and token exchange
  (impersonation: a subject JWT signed HS256 with the client secret, ``kid`` = client ID, for an
  admin's bearer).  Access tokens expire after ``expires_in`` seconds (401 afterwards).
* Everything else needs a valid bearer token (401 ``{message, code, requestId}`` otherwise).
* ``GET /v2/whoami``; ``GET /v2/connections`` (``page``/``limit``, ``search``, ``includeArchived``),
  ``POST /v2/connections`` (Snowflake; secrets never stored or echoed), ``GET /v2/connections/{id}``;
  ``GET /v2/members`` (a bare array without ``limit``, else pages; ``search``, ``includeArchived``,
  ``includeInactive``), ``GET /v2/members/{id}``; ``GET /v2/workbooks`` (pages),
  ``GET /v2/workbooks/{id}``, its ``/pages`` and ``/pages/{pageId}/elements`` (pages);
  ``GET /v2/accountTypes`` (``pageToken``/``pageSize``).
  ``page``/``limit`` lists answer ``{entries, nextPage, total}`` with an opaque cursor (null on the
  last page); ``limit`` is 1-1,000, default 50.
* Exports: ``POST /v2/workbooks/{id}/export`` (``format.type`` csv, json, jsonl, xlsx, pdf, png;
  ``rowLimit``) answers ``{queryId, jobComplete: false}``; ``GET /v2/query/{queryId}/download``
  answers 204 ``export_polls`` times, then 200 with the file and a ``Content-Disposition``
  filename.  More than ``export_rate_limit`` exports a minute answer 429 with ``Retry-After``.
  ``standin.export_file = ExportFile.random(64 * 2**20, filename="big.csv")`` serves a file of any
  size made lazily in chunks (memory stays flat; ``ExportFile(fn, size=...)`` for your own chunks);
  ``new_query_id`` makes query ids predictable; ``add_export(...)`` is an export started elsewhere,
  for code that downloads by query id; ``add_workbook(name, workbook_id=...)`` seeds a workbook.
* Materializations: ``POST /v2/workbooks/{id}/materializations`` ``{sheetId}`` answers
  ``{materializationId}``; each ``GET /v2/workbooks/{id}/materializations/{materializationId}``
  shows the next status of ``materialization_statuses`` (default pending, building, ready).
* Unknown paths answer 404, known paths with another method 405, both with Sigma's error body.
* JSON request bodies are checked against the spec's schemas as the generated request models carry
  them (required fields, JSON types, enum values); a 400 names the field.  Exports check
  ``format.type`` only.

Canned answers: ``standin.answer(path, httpx.Response(...) | fn(request), ..., times=1)`` answers the
next requests to a path (as sent, percent-encoded) instead; ``on_receive`` sees every request.

Faults: ``standin.inject("429" | "503" | "drop" | "stall", path=..., times=N)`` fails the next N
matching requests; ``standin.fault_schedule`` decides from each request's sequence number.

Inspection: ``requests`` (method, path, status), ``requests_to(path)``, ``grants()``,
``issued_tokens()``, ``faults()``, ``exports()``, ``materializations()``, ``connections()``;
control: ``expire_access_tokens()``, ``revoke_refresh_tokens()``.

The server binds loopback only, picks a free port and stops itself after ``max_lifetime`` seconds.
"""

from .._public import publish
from ._answers import ApiError, error_response
from ._canned import Answer
from ._cli import main as run_from_command_line
from ._exports import ExportFile, ExportJob, Materialization
from ._faults import Fault, FaultSchedule
from ._server import DEFAULT_MAX_LIFETIME, StandinServer, run_standin
from ._standin import RequestRecord, SigmaStandin
from ._tokens import ACCESS_TOKEN_PREFIX, DEFAULT_CLIENT_ID, REFRESH_TOKEN_PREFIX, TOKEN_EXCHANGE

__all__ = [
    "ACCESS_TOKEN_PREFIX",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_MAX_LIFETIME",
    "REFRESH_TOKEN_PREFIX",
    "TOKEN_EXCHANGE",
    "Answer",
    "ApiError",
    "ExportFile",
    "ExportJob",
    "Fault",
    "FaultSchedule",
    "Materialization",
    "RequestRecord",
    "SigmaStandin",
    "StandinServer",
    "error_response",
    "run_from_command_line",
    "run_standin",
]


publish("sigma_sdk.testing", globals(), __all__)  # what tracebacks and reprs name
