"""Sigma's error answers and the request readers every part of the stand-in shares.

An endpoint raises :class:`ApiError`; the request cycle turns it into :func:`error_response`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["ApiError", "bad_request", "error_response", "json_body", "not_found"]


class ApiError(Exception):
    """An error answer: HTTP status plus Sigma's ``{message, code}`` (and extra headers, e.g. Retry-After)."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found: {ident[:80]}")


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
    """Sigma's error body ``{message, code, requestId}`` with the request id also in ``X-Request-Id``."""
    request_id = str(uuid.uuid4())
    body = {"message": message, "code": code, "requestId": request_id}
    return httpx.Response(status, json=body, headers={"X-Request-Id": request_id, **(headers or {})})


def json_body(request: httpx.Request) -> Any:
    """The request's JSON body; 400 unless it is ``application/json`` and parses."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise bad_request(f"{request.method} {request.url.path} takes an application/json body")
    try:
        return json.loads(request.content)
    except ValueError:
        raise bad_request("The request body is not valid JSON") from None
