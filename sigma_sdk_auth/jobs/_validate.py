"""The body of an export request, built from ``export_workbook``'s arguments and checked against what Sigma
accepts before anything is sent: a bad argument costs no export.

Each check is one small function; :func:`_export_body` runs them in a fixed order, so that of several
mistakes the same one is always reported first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._errors import InvalidArgumentError
from ._results import ExportOptions

# What the rest of the package imports from here; nothing in this module is public.
__all__ = ["_export_body"]

# What each export target accepts, from the request body schema of POST /v2/workbooks/{workbookId}/export.
_FORMATS_BY_TARGET: Final[Mapping[str, tuple[str, ...]]] = {
    "element": ("csv", "json", "jsonl", "xlsx", "pdf", "png"),
    "page": ("pdf", "png", "xlsx"),
    "workbook": ("pdf", "xlsx"),
}
# Sigma documents rowLimit/offset for these formats only.
_TABULAR_FORMATS: Final = frozenset({"csv", "json", "jsonl", "xlsx"})
# The image sizes of a png export: (option, field of Sigma's format options).
_PIXEL_OPTIONS: Final = (("pixel_width", "pixelWidth"), ("pixel_height", "pixelHeight"))
# The rows of a tabular export: (option, field of the request body).
_ROW_OPTIONS: Final = (("row_limit", "rowLimit"), ("offset", "offset"))


def _export_body(
    format: str,
    element_id: str | None,
    page_id: str | None,
    parameters: Mapping[str, str] | None,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON body of POST /v2/workbooks/{workbookId}/export, checked against what Sigma accepts."""
    _reject_unknown_options(options)
    _check_format(format, _export_target(element_id, page_id))
    body: dict[str, Any] = {"format": _format_options(format, options)}
    if element_id is not None:
        body["elementId"] = element_id
    if page_id is not None:
        body["pageId"] = page_id
    body.update(_rows(format, options))
    if parameters:
        body["parameters"] = _parameters(parameters)
    return _with_extra_body(body, options.get("extra_body") or {})


def _reject_unknown_options(options: Mapping[str, Any]) -> None:
    """A keyword argument that is not one of :class:`ExportOptions` is a ``TypeError``, as for any function."""
    unknown = sorted(set(options) - set(ExportOptions.__annotations__))
    if unknown:
        raise TypeError(f"export_workbook() got unexpected keyword argument(s): {', '.join(unknown)}")


def _export_target(element_id: str | None, page_id: str | None) -> str:
    """What is exported: ``"element"``, ``"page"`` or (neither given) the whole ``"workbook"``."""
    if element_id is not None and page_id is not None:
        raise InvalidArgumentError("give element_id or page_id, not both (neither exports the whole workbook)")
    return "element" if element_id is not None else "page" if page_id is not None else "workbook"


def _check_format(format: str, target: str) -> None:
    """Raise unless Sigma exports ``target`` as ``format``, naming the formats it does."""
    allowed = _FORMATS_BY_TARGET[target]
    if format in allowed:
        return
    raise InvalidArgumentError(
        f"format={format!r} is not available for {'a whole workbook' if target == 'workbook' else 'a ' + target}"
        f" export; use one of {', '.join(allowed)}"
        + (" (csv, json and jsonl need element_id)" if format in ("csv", "json", "jsonl") else "")
    )


def _format_options(format: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Sigma's ``format`` object: the type, a pdf's layout (portrait by default), a png's pixel sizes."""
    format_options: dict[str, Any] = {"type": format}
    layout = options.get("layout")
    if format == "pdf":
        format_options["layout"] = layout or "portrait"
    elif layout is not None:
        raise InvalidArgumentError(f"layout applies to pdf exports only, not {format}")
    for name, key in _PIXEL_OPTIONS:
        value = options.get(name)
        if value is None:
            continue
        if format != "png":
            raise InvalidArgumentError(f"{name} applies to png exports only, not {format}")
        format_options[key] = value
    return format_options


def _rows(format: str, options: Mapping[str, Any]) -> dict[str, int]:
    """``rowLimit`` and ``offset`` of a tabular export, each an int >= 0 (a bool is not a number here)."""
    rows: dict[str, int] = {}
    for name, key in _ROW_OPTIONS:
        number = options.get(name)
        if number is None:
            continue
        if format not in _TABULAR_FORMATS:
            raise InvalidArgumentError(f"{name} applies to csv, json, jsonl and xlsx exports only, not {format}")
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise InvalidArgumentError(f"{name} must be an int >= 0, got {number!r}")
        rows[key] = number
    return rows


def _parameters(parameters: Mapping[str, str]) -> dict[str, str]:
    """The control values, which Sigma takes as text only (``'10.5'``, ``'true'``, ``'min:1,max:9'``)."""
    wrong = sorted(str(key) for key, value in parameters.items() if not isinstance(value, str))
    if wrong:
        raise InvalidArgumentError(
            f"parameters values are control values as text (e.g. '10.5', 'true', 'min:1,max:9'); "
            f"not text: {', '.join(wrong)}"
        )
    return dict(parameters)


def _with_extra_body(body: dict[str, Any], extra_body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with ``extra_body``'s fields added; one that export_workbook's own arguments set is refused."""
    for key, value in extra_body.items():
        if key in body:
            raise InvalidArgumentError(f"extra_body sets {key!r}, which export_workbook's own arguments set")
        body[key] = value
    return body
