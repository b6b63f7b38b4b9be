"""Exports and materializations: starting them, polling them, and the files a download serves.

:class:`ExportDesk` is one part of :class:`~sigma_sdk_auth.testing.SigmaStandin`: the handlers
``_routes.ROUTES`` names for ``POST .../export``, ``GET /v2/query/{queryId}/download`` and the
materialization endpoints, plus :meth:`~ExportDesk.add_export` and the inspection methods.
"""

from __future__ import annotations

import datetime
import json
import math
import random
import threading
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import httpx

from ._answers import ApiError, bad_request, not_found
from ._data import Organization, iso_timestamp

if TYPE_CHECKING:
    from ._routes import Call

__all__ = ["EXPORT_FORMATS", "MATERIALIZATION_STATUSES", "ExportDesk", "ExportFile", "ExportJob", "Materialization"]

EXPORT_FORMATS: Final[Mapping[str, tuple[str, str]]] = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "jsonl": ("application/x-ndjson", "jsonl"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pdf": ("application/pdf", "pdf"),
    "png": ("image/png", "png"),
}
MATERIALIZATION_STATUSES: Final = ("pending", "building", "ready")


class ExportFile:
    """The file an export's download serves: bytes, or chunks made lazily (never all in memory).

    ``content`` is the bytes, or a function returning a fresh iterable of chunks for each download
    (it may raise mid-way, e.g. ``httpx.RemoteProtocolError``, to break the body in-process).
    ``size`` is the ``Content-Length`` sent (required for a function; a body shorter than it is a
    download that ends early).  ``content_type`` and ``filename`` default to the export's format
    and a name from its query id; ``disposition`` replaces the whole ``Content-Disposition`` header.
    """

    __slots__ = ("_content", "content_type", "disposition", "filename", "size")

    def __init__(
        self,
        content: bytes | Callable[[], Iterable[bytes]],
        *,
        size: int | None = None,
        content_type: str | None = None,
        filename: str | None = None,
        disposition: str | None = None,
    ) -> None:
        if isinstance(content, bytes):
            size = len(content) if size is None else size
        elif not callable(content):
            raise TypeError(f"content must be bytes or a function returning chunks, not {type(content).__name__}")
        if size is None or size < 0:
            raise ValueError("size (the Content-Length to send, >= 0) is required for lazily made content")
        self._content = content
        self.size = size
        self.content_type = content_type
        self.filename = filename
        self.disposition = disposition

    @classmethod
    def random(
        cls,
        size: int,
        *,
        seed: int = 0,
        chunk_size: int = 64 * 1024,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> ExportFile:
        """``size`` reproducible pseudo-random bytes, made ``chunk_size`` at a time on each download."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")

        def chunks() -> Iterator[bytes]:
            rng = random.Random(seed)
            sent = 0
            while sent < size:
                piece = rng.randbytes(min(chunk_size, size - sent))
                sent += len(piece)
                yield piece

        return cls(chunks, size=size, content_type=content_type, filename=filename)

    def body(self) -> bytes | Iterator[bytes]:
        """What a download sends: the bytes as they are, or a fresh iterator of the chunks."""
        return self._content if isinstance(self._content, bytes) else iter(self._content())

    def iter_bytes(self) -> Iterator[bytes]:
        """The file's chunks, made afresh (compare a download against them without holding either)."""
        if isinstance(self._content, bytes):
            yield self._content
        else:
            yield from self._content()

    def __repr__(self) -> str:
        return f"ExportFile(size={self.size}, content_type={self.content_type!r}, filename={self.filename!r})"


class ExportJob:
    """One export started with ``POST /v2/workbooks/{workbookId}/export`` (or :meth:`SigmaStandin.add_export`)."""

    __slots__ = ("content_type", "file", "filename", "format", "pending_polls", "polls", "query_id", "workbook_id")

    def __init__(self, *, query_id: str, workbook_id: str, format: str, pending_polls: int, file: ExportFile) -> None:
        self.query_id = query_id
        self.workbook_id = workbook_id
        self.format = format
        self.pending_polls = pending_polls  # how many more downloads answer 204
        self.polls = 0  # download requests seen, 204s included
        self.file = file
        default_type, extension = EXPORT_FORMATS[format]
        self.content_type = file.content_type or default_type
        self.filename = file.filename or f"export-{query_id[:8]}.{extension}"

    @property
    def content(self) -> bytes:
        """The whole file (joined from its chunks: for small exports)."""
        return b"".join(self.file.iter_bytes())

    def __repr__(self) -> str:
        return f"ExportJob({self.query_id!r}, format={self.format!r}, polls={self.polls}, bytes={self.file.size})"


class Materialization:
    """One materialization started with ``POST /v2/workbooks/{workbookId}/materializations``."""

    __slots__ = ("materialization_id", "sheet_id", "started_at", "statuses", "workbook_id")

    def __init__(self, *, materialization_id: str, workbook_id: str, sheet_id: str, statuses: Sequence[str]) -> None:
        self.materialization_id = materialization_id
        self.workbook_id = workbook_id
        self.sheet_id = sheet_id
        self.statuses = deque(statuses)  # each GET shows the first; the last one stays
        self.started_at = iso_timestamp(datetime.datetime.now(datetime.UTC))

    @property
    def status(self) -> str:
        return self.statuses[0]

    def __repr__(self) -> str:
        return f"Materialization({self.materialization_id!r}, status={self.status!r})"


class ExportDesk:
    """Exports (with a per-minute rate limit) and materializations, and the handlers that serve them."""

    # Set by SigmaStandin.__init__ (shared with the other parts of the stand-in).
    org: Organization
    lock: threading.RLock
    clock: Callable[[], float]
    export_polls: int
    export_rate_limit: int
    materialization_statuses: tuple[str, ...]
    export_requests: list[Any]  # the JSON body of every export started by POST
    export_file: ExportFile | None  # what exports serve instead of rows of the workbook
    new_query_id: Callable[[], str]  # an export's queryId

    def _init_exports(self, export_polls: int, export_rate_limit: int, statuses: Sequence[str]) -> None:
        if not statuses:
            raise ValueError("materialization_statuses needs at least one status")
        self.export_polls = export_polls
        self.export_rate_limit = export_rate_limit
        self.materialization_statuses = tuple(statuses)
        self.export_requests = []
        self.export_file = None
        self.new_query_id = lambda: str(uuid.uuid4())
        self._exports: dict[str, ExportJob] = {}
        self._export_starts: deque[float] = deque()
        self._materializations: dict[str, Materialization] = {}

    def exports(self) -> list[ExportJob]:
        """Every export started, in order."""
        with self.lock:
            return list(self._exports.values())

    def materializations(self) -> list[Materialization]:
        """Every materialization started, in order."""
        with self.lock:
            return list(self._materializations.values())

    def add_export(
        self,
        workbook_id: str | None = None,
        *,
        query_id: str | None = None,
        format: str = "csv",
        file: ExportFile | None = None,
    ) -> ExportJob:
        """An export started elsewhere (a schedule, another process), for code that downloads by query id.

        Its download answers 204 :attr:`export_polls` times, then ``file`` (default :attr:`export_file`,
        else rows of the workbook, default the first).  A ``query_id`` already known is replaced.
        """
        if format not in EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
        with self.lock:
            if workbook_id is None:
                workbook_id = next(iter(self.org.workbooks), None)
            workbook = self.org.workbooks.get(workbook_id) if workbook_id is not None else None
            if workbook is None:
                raise ValueError(f"no workbook {workbook_id!r} in the stand-in's organization (add_workbook)")
            return self._new_export(workbook, format, rows=100, query_id=query_id, file=file)

    def _new_export(
        self, workbook: Mapping[str, Any], kind: str, *, rows: int, query_id: str | None, file: ExportFile | None
    ) -> ExportJob:
        file = file or self.export_file or ExportFile(_export_content(kind, workbook, rows))
        job = ExportJob(
            query_id=query_id or self.new_query_id(),
            workbook_id=workbook["workbookId"],
            format=kind,
            pending_polls=self.export_polls,
            file=file,
        )
        self._exports.pop(job.query_id, None)  # a replaced export counts as the newest
        self._exports[job.query_id] = job
        return job

    def _count_export_start(self) -> None:
        """At most :attr:`export_rate_limit` exports start in any minute; more answer 429 with Retry-After."""
        now = self.clock()
        while self._export_starts and self._export_starts[0] <= now - 60:
            self._export_starts.popleft()
        if len(self._export_starts) >= self.export_rate_limit:
            wait = max(1, math.ceil(self._export_starts[0] + 60 - now))
            raise ApiError(429, "rate_limited", "Export rate limit exceeded", {"Retry-After": str(wait)})
        self._export_starts.append(now)

    # -- handlers (see _routes.ROUTES) --------------------------------------------------------------

    def start_export(self, call: Call) -> httpx.Response:
        workbook = self.org.workbooks.get(call.params["workbookId"])
        if workbook is None:
            raise not_found("Workbook", call.params["workbookId"])
        body = call.body()
        export_format = body.get("format") if isinstance(body, dict) else None
        kind = export_format.get("type") if isinstance(export_format, dict) else None
        if not isinstance(kind, str) or kind not in EXPORT_FORMATS:
            raise bad_request(f"format.type must be one of {', '.join(EXPORT_FORMATS)}")
        self._count_export_start()
        self.export_requests.append(body)
        row_limit = body.get("rowLimit")
        rows = int(row_limit) if isinstance(row_limit, int | float) and not isinstance(row_limit, bool) else 100
        job = self._new_export(workbook, kind, rows=max(rows, 0), query_id=None, file=None)
        return httpx.Response(200, json={"queryId": job.query_id, "jobComplete": False})

    def download(self, call: Call) -> httpx.Response:
        job = self._exports.get(call.params["queryId"])
        if job is None:
            raise not_found("Query", call.params["queryId"])
        job.polls += 1
        if job.pending_polls > 0:
            job.pending_polls -= 1
            return httpx.Response(204)
        headers = {
            "Content-Type": job.content_type,
            "Content-Disposition": job.file.disposition or f'attachment; filename="{job.filename}"',
            "Content-Length": str(job.file.size),
        }
        return httpx.Response(200, content=job.file.body(), headers=headers)

    def materialize(self, call: Call) -> httpx.Response:
        workbook_id = call.params["workbookId"]
        if workbook_id not in self.org.workbooks:
            raise not_found("Workbook", workbook_id)
        sheet_id = call.body()["sheetId"]  # the schema makes it a string
        if not sheet_id:
            raise bad_request("sheetId is required and must be a non-empty string")
        job = Materialization(
            materialization_id=str(uuid.uuid4()),
            workbook_id=workbook_id,
            sheet_id=sheet_id,
            statuses=self.materialization_statuses,
        )
        self._materializations[job.materialization_id] = job
        return httpx.Response(200, json={"materializationId": job.materialization_id})

    def materialization(self, call: Call) -> httpx.Response:
        materialization_id = call.params["materializationId"]
        job = self._materializations.get(materialization_id)
        if job is None or job.workbook_id != call.params["workbookId"]:
            raise not_found("Materialization", materialization_id)
        status = job.status
        if len(job.statuses) > 1:
            job.statuses.popleft()
        body = {"materializationId": job.materialization_id, "status": status, "startedAt": job.started_at}
        if status == "ready":
            body["readyAt"] = iso_timestamp(datetime.datetime.now(datetime.UTC))
        elif status not in MATERIALIZATION_STATUSES:
            body["error"] = f"Materialization {status}"
        return httpx.Response(200, json=body)


def _png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])  # 1x1, 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\x2a\x6f\xd4"))
        + chunk(b"IEND", b"")
    )


def _export_content(kind: str, workbook: Mapping[str, Any], rows: int) -> bytes:
    """Deterministic file bytes for an export: rows of the workbook for data formats, a stub document otherwise."""
    records = [{"row": n, "workbook": workbook["name"], "value": round(n * 1.5, 1)} for n in range(1, rows + 1)]
    if kind == "csv":
        return (
            "row,workbook,value\n" + "".join(f"{r['row']},{r['workbook']},{r['value']}\n" for r in records)
        ).encode()
    if kind == "json":
        return json.dumps(records).encode()
    if kind == "jsonl":
        return "".join(json.dumps(r) + "\n" for r in records).encode()
    if kind == "pdf":
        return b"%PDF-1.4\n% Sigma stand-in export of " + str(workbook["name"]).encode() + b"\n%%EOF\n"
    if kind == "png":
        return _png_1x1()
    return b"PK\x05\x06" + bytes(18)  # xlsx: an empty zip archive (the format's container)
