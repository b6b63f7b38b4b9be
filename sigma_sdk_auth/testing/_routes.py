"""The stand-in's route table: each operation it serves, declared once, as respx's router declares routes.

A :class:`Route` is a generated operation module (``sigma_sdk.api.connections.create_connection``)
and the handler that answers it: the method and path template come from the module's
``_OPERATION``, the request body's type from its ``_get_kwargs`` annotation (see ``_bodies``), so
nothing here restates the spec.  :data:`ROUTES` is built once, at import; every
:class:`~sigma_sdk_auth.testing.SigmaStandin` dispatches through the same table.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, unquote

import httpx

from sigma_sdk.api.account_types import list_account_types
from sigma_sdk.api.connections import create_connection, get_connection, list_connections
from sigma_sdk.api.members import get_member, list_members
from sigma_sdk.api.query import download_query
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.api.workbooks import (
    export_workbook,
    get_workbook,
    get_workbook_materialization,
    list_workbook_page_elements,
    list_workbook_pages,
    list_workbooks,
    materialize_workbook_element,
)

from ._answers import ApiError, json_body
from ._bodies import body_type, check_body
from ._exports import ExportDesk
from ._resources import OrganizationApi

if TYPE_CHECKING:
    from ._standin import SigmaStandin

__all__ = ["ROUTES", "Call", "Handler", "Route", "Router"]


class Call:
    """One request matched to a route: its path parameters, query and (on demand) JSON body."""

    __slots__ = ("params", "query", "request", "route")

    def __init__(self, route: Route, request: httpx.Request, params: Mapping[str, str]) -> None:
        self.route = route
        self.request = request
        self.params = dict(params)
        self.query = dict(parse_qsl(request.url.query.decode("ascii", "replace"), keep_blank_values=True))

    def body(self) -> Any:
        """The JSON body, checked against the operation's schema unless the route opts out (400 if it fails).

        A handler asks for it after its own 404s, so an unknown workbook is a 404 whatever the body.
        """
        body = json_body(self.request)
        if self.route.schema and self.route.body_type is not None:
            check_body(self.route.body_type, body)
        return body


Handler = Callable[["SigmaStandin", Call], httpx.Response]
"""Answers one operation: ``handler(standin, call)``; raises :class:`ApiError` for an error answer."""


class Route:
    """``method`` + ``path`` template (from the generated ``operation`` module) -> ``handler``."""

    __slots__ = ("body_type", "handler", "method", "operation_id", "path", "pattern", "schema")

    def __init__(self, operation: types.ModuleType, handler: Handler, *, schema: bool = True) -> None:
        declared = operation._OPERATION
        self.operation_id: str = declared.operation_id
        self.method: str = declared.method
        self.path: str = declared.path
        self.pattern = re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)))
        self.handler = handler
        self.body_type: Any = body_type(operation)
        self.schema = schema

    def __repr__(self) -> str:
        return f"Route({self.method} {self.path} -> {self.operation_id})"


class Router:
    """Routes by method and path; an unknown path is a 404, a known path with another method a 405."""

    def __init__(self, *routes: Route) -> None:
        self.routes: tuple[Route, ...] = routes

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for ``method`` on ``path`` (decoded, no trailing slash) and its path parameters."""
        known_path = False
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict()
            known_path = True
        if known_path:
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {path[:100]}")
        raise ApiError(404, "not_found", f"No route for {method} {path[:100]}")

    def dispatch(self, standin: SigmaStandin, request: httpx.Request) -> httpx.Response:
        """Answer an authorized request with its route's handler (under the stand-in's lock)."""
        path = unquote(request.url.path).rstrip("/") or "/"
        route, params = self.match(request.method, path)
        with standin.lock:
            return route.handler(standin, Call(route, request, params))


ROUTES: Final = Router(
    Route(who_am_i, OrganizationApi.whoami),
    Route(list_connections, OrganizationApi.list_connections),
    Route(create_connection, OrganizationApi.create_connection),
    Route(get_connection, OrganizationApi.get_connection),
    Route(list_members, OrganizationApi.list_members),
    Route(get_member, OrganizationApi.get_member),
    Route(list_workbooks, OrganizationApi.list_workbooks),
    Route(get_workbook, OrganizationApi.get_workbook),
    Route(list_workbook_pages, OrganizationApi.list_pages),
    Route(list_workbook_page_elements, OrganizationApi.list_elements),
    Route(list_account_types, OrganizationApi.list_account_types),
    # The schema wants an elementId for CSV/JSON/JSONL and a layout for PDF; the stand-in has always
    # exported whole workbooks in any format (users' tests rely on it), so it checks format.type only.
    Route(export_workbook, ExportDesk.start_export, schema=False),
    Route(download_query, ExportDesk.download),
    Route(materialize_workbook_element, ExportDesk.materialize),
    Route(get_workbook_materialization, ExportDesk.materialization),
)
