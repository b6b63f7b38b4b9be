"""The exception tree every part of the SDK raises: the classes, their fields, ``str`` and ``repr``.

Nothing here reads a response.  Which exception a non-2xx answer becomes is decided in
``_error_responses`` (``error_from_response`` / ``raise_for_status``); what of Sigma's body a message
may quote, scrubbed of the request's secrets, in ``_scrubbing``; what ``Retry-After`` advises (for
``RateLimitError.retry_after``) in ``_retry_after``.  The classes' messages are built from the
response only, never from the request, so a credential the request carried cannot reach one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

import httpx

from ._public import publish

# The exception tree, listed once: sigma_sdk_auth and sigma_sdk.errors re-export exactly this list.
__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "InsecureTransportError",
    "InternalServerError",
    "InvalidArgumentError",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "NotFoundError",
    "PaginationCursorError",
    "PaginationLoopError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "SigmaAPIError",
    "SigmaError",
    "UnprocessableEntityError",
]


class SigmaError(Exception):
    """Base class of every exception this SDK raises on purpose."""


class ConfigurationError(SigmaError, ValueError):
    """Settings or credentials are missing or malformed (raised before any request is sent)."""


class InvalidArgumentError(SigmaError, ValueError):
    """An argument cannot be sent as given, e.g. an ID of ``".."`` (raised before any request is sent)."""


class InsecureTransportError(ConfigurationError):
    """Credentials or tokens would be sent over plain ``http://`` to a non-loopback host."""


if TYPE_CHECKING:  # only annotations name it; a TypedDict costs its import time

    class _APIErrorFields(TypedDict, total=False):
        """The keyword arguments of :class:`SigmaAPIError`, for subclasses that add their own."""

        status_code: Required[int]
        code: str | int | None
        request_id: str | None
        response: httpx.Response | None


class SigmaAPIError(SigmaError):
    """Sigma answered with a non-2xx status.

    ``code`` is Sigma's machine-readable code: usually a string such as ``"unauthorized"``, but
    per-item errors use numbers, so both are kept as received.
    """

    status_code: int
    code: str | int | None
    message: str
    request_id: str | None
    response: httpx.Response | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | int | None = None,
        request_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.response = response

    def __str__(self) -> str:
        # The reason phrase is looked up with httpx.codes, which returns "" for non-standard statuses
        # (520, 599) where http.HTTPStatus(...) would raise ValueError.
        details = []
        if self.code is not None:
            details.append(f"code={self.code!r}")
        if self.request_id:
            details.append(f"request_id={self.request_id!r}")
        suffix = f" ({', '.join(details)})" if details else ""
        reason = self.response.reason_phrase if self.response is not None else ""
        reason = reason or httpx.codes.get_reason_phrase(self.status_code)
        status_text = f"HTTP {self.status_code} {reason}".rstrip()
        return f"{status_text}: {self.message}{suffix}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class BadRequestError(SigmaAPIError):
    """HTTP 400."""


class AuthenticationError(SigmaAPIError):
    """HTTP 401: credentials were refused or a token was not accepted."""


class PermissionDeniedError(SigmaAPIError):
    """HTTP 403."""


class NotFoundError(SigmaAPIError):
    """HTTP 404."""


class ConflictError(SigmaAPIError):
    """HTTP 409."""


class UnprocessableEntityError(SigmaAPIError):
    """HTTP 422."""


class RateLimitError(SigmaAPIError):
    """HTTP 429.  ``retry_after`` is the server's advised wait in seconds, when it gave one."""

    retry_after: float | None

    def __init__(self, message: str, *, retry_after: float | None = None, **fields: Unpack[_APIErrorFields]) -> None:
        super().__init__(message, **fields)
        self.retry_after = retry_after


class InternalServerError(SigmaAPIError):
    """Any HTTP status of 500 or above, including non-standard ones such as 520 or 599."""


class APIConnectionError(SigmaError):
    """The request never got an HTTP answer (DNS, refused connection, reset, TLS failure...)."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


class PaginationCursorError(SigmaError):
    """A page's next-page cursor is neither a string nor null, so there is no way to ask for the next page."""


class PaginationLoopError(SigmaError):
    """The server handed back a page cursor it had already given, so iterating would never end."""


class ResponseValidationError(SigmaError):
    """Sigma answered 2xx, but the body cannot become the type the operation declares.

    Raised by ``sync()``/``asyncio()`` (``sync_detailed()`` returns it as ``Response.error``). It
    names the operation, the status, Sigma's request id and, when one value is to blame, the JSON
    path to it (``entries[17].formula``) with what was expected and what was found. Nothing is
    lost: ``response`` is the HTTP response and ``body`` the decoded JSON, or the text when the
    body is not JSON.
    """

    operation_id: str
    method: str
    path: str
    status_code: int
    request_id: str | None
    json_path: str
    expected: str
    found: str
    response: httpx.Response
    body: Any

    def __init__(
        self,
        *,
        operation_id: str,
        method: str,
        path: str,
        response: httpx.Response,
        body: Any,
        json_path: str,
        expected: str,
        found: str,
        request_id: str | None = None,
    ) -> None:
        self.operation_id = operation_id
        self.method = method
        self.path = path
        self.status_code = response.status_code
        self.request_id = request_id
        self.json_path = json_path
        self.expected = expected
        self.found = found
        self.response = response
        self.body = body
        where = f"at {json_path}" if json_path else "the body"
        request = f" (request_id={request_id!r})" if request_id else ""
        super().__init__(
            f"{operation_id} ({method} {path}) answered HTTP {self.status_code} with a body the SDK cannot read: "
            f"{where}: expected {expected}, found {found}{request}"
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(operation_id={self.operation_id!r}, status_code={self.status_code!r}, "
            f"json_path={self.json_path!r}, request_id={self.request_id!r})"
        )


class JobError(SigmaError):
    """A long-running Sigma job (an export, a materialization) did not end as hoped.

    ``kind`` says what ran (``"export"``, ``"workbook materialization"``...), ``job_id`` is its ID
    (the query ID of an export, the materialization ID), ``status`` the last status seen and
    ``elapsed`` the seconds since the helper started.  The message names all four.
    """

    kind: str
    job_id: str | None
    status: str
    elapsed: float

    def __init__(self, message: str, *, kind: str, job_id: str | None, status: str, elapsed: float) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.job_id = job_id
        self.status = status
        self.elapsed = elapsed

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self.kind!r}, job_id={self.job_id!r}, status={self.status!r}, "
            f"elapsed={self.elapsed:.1f})"
        )


class JobTimeoutError(JobError, TimeoutError):
    """The job was still running when the helper's ``timeout`` ran out (the job itself may go on)."""


class JobFailedError(JobError):
    """Sigma reported the job as failed (e.g. a materialization status other than pending, building
    or ready); ``error`` is Sigma's own explanation when it gave one."""

    error: str | None

    def __init__(
        self, message: str, *, kind: str, job_id: str | None, status: str, elapsed: float, error: str | None = None
    ) -> None:
        super().__init__(message, kind=kind, job_id=job_id, status=status, elapsed=elapsed)
        self.error = error


# Tracebacks name the module users import these from, not this private one.
publish("sigma_sdk.errors", globals(), __all__)
