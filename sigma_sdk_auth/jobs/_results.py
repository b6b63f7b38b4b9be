"""The public types of the jobs: what a caller passes (targets, formats, options, progress) and gets back."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, Literal, TypeAlias, TypedDict

import attrs

__all__ = [
    "ExportFormat",
    "ExportOptions",
    "ExportResult",
    "ExportTarget",
    "MaterializationStatus",
    "PdfLayout",
    "ProgressCallback",
]


ExportFormat: TypeAlias = Literal["csv", "json", "jsonl", "xlsx", "pdf", "png"]
PdfLayout: TypeAlias = Literal["portrait", "landscape"]
ExportTarget: TypeAlias = str | os.PathLike[str] | IO[bytes]
"""Where an export goes: a path (written atomically) or a writable binary file object."""
ProgressCallback: TypeAlias = Callable[[int, int | None], object]
"""Called as ``progress(bytes_done, bytes_total)``; ``bytes_total`` is None when Sigma does not say."""


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
