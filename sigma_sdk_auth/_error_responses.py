"""Which exception a non-2xx response becomes, with what message, code and request id.

Sigma's spec declares errors only as a ``default`` response, so the generated code cannot know
which status means what.  Everything funnels through :func:`error_from_response`, which maps a
status class to an exception type of ``_errors`` and fills the fields from Sigma's
``{message, code, requestId}`` body when there is one (or an OAuth-style ``{error,
error_description}`` from the token endpoint).  Every text taken from the body is scrubbed of the
request's secrets first (``_scrubbing``), and ``Retry-After`` fills ``RateLimitError.retry_after``
(``_retry_after``).
"""

from __future__ import annotations

import json
from typing import Any, Final

import httpx

from ._errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SigmaAPIError,
    UnprocessableEntityError,
)
from ._retry_after import parse_retry_after
from ._scrubbing import safe_excerpt, scrubber

__all__ = ["error_from_response", "raise_for_status"]

_STATUS_TO_ERROR: Final[dict[int, type[SigmaAPIError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _body_text(response: httpx.Response) -> str:
    try:
        return response.text
    except (httpx.ResponseNotRead, httpx.StreamError):
        # A streamed response whose body was never read: say so rather than block or crash.
        return ""
    except (UnicodeDecodeError, LookupError):
        return "<undecodable body>"


def _json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        content = response.content
    except (httpx.ResponseNotRead, httpx.StreamError):
        return None
    if not content:
        return None
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError), or nested too deep
        return None
    return body if isinstance(body, dict) else None


def _as_code(value: object) -> str | int | None:
    # bool is an int subclass; a boolean "code" is not a code.
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return value
    return None


def _as_text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def error_from_response(response: httpx.Response) -> SigmaAPIError:
    """Build (don't raise) the typed exception for a non-2xx ``response``, credentials scrubbed."""
    status = response.status_code
    body = _json_body(response)
    message: str | None = None
    code: str | int | None = None
    request_id: str | None = None
    if body is not None:
        message = _as_text(body.get("message")) or _as_text(body.get("error_description"))
        message = message or _as_text(body.get("error"))
        code = _as_code(body.get("code"))
        if code is None:
            code = _as_code(body.get("error"))  # OAuth-style token endpoint errors
        request_id = _as_text(body.get("requestId")) or _as_text(body.get("request_id"))
    if request_id is None:
        request_id = response.headers.get("x-request-id") or None
    scrub = scrubber(response)
    if message is None:
        message = safe_excerpt(_body_text(response), scrub) or "(empty response body)"
    message = scrub(message)
    if isinstance(code, str):
        code = scrub(code)
    if request_id is not None:
        request_id = scrub(request_id)

    kwargs: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "request_id": request_id,
        "response": response,
    }
    if status == 429:
        return RateLimitError(message, retry_after=parse_retry_after(response.headers.get("retry-after")), **kwargs)
    error_type = _STATUS_TO_ERROR.get(status)
    if error_type is None:
        error_type = InternalServerError if status >= 500 else SigmaAPIError
    return error_type(message, **kwargs)


def raise_for_status(response: httpx.Response) -> None:
    """Raise the typed :class:`SigmaAPIError` for a non-2xx ``response``; return None for 2xx."""
    if 200 <= response.status_code < 300:
        return
    raise error_from_response(response)
