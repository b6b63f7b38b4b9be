"""The exception tree every part of the SDK raises.

Sigma's spec declares errors only as a ``default`` response, so the generated code cannot know
which status means what.  Everything funnels through :func:`error_from_response`, which maps a
status class to an exception type and fills the fields from Sigma's ``{message, code, requestId}``
body when there is one.

Messages are built from the *response* only (status, reason, body excerpt) and never from the
request, so an Authorization header or a form-encoded secret cannot leak into a traceback.  A
server that echoes what it was sent (some gateways put the bearer token in their error body) is
scrubbed: the credential in the request's ``Authorization`` header, the values of its JSON body's
secret fields (a connection's ``privateKey``, ``password``...: the rule is ``_secrets``), and whatever
the callable an auth stores in the request's ``SCRUB_EXTENSION`` removes (``SigmaAuth`` removes its
client secret and every token it holds), become ``***`` in the message and code, also JSON-escaped.
A secret shorter than 8 characters is removed only where it stands alone, so a test's one-letter
secret never garbles a message.  Every message that quotes body
text (here, in ``_validation`` and in ``jobs``) gets it from :func:`safe_excerpt`, which scrubs
before it cuts, so a secret the cut would split is never half shown.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
import time
from collections.abc import Callable
from typing import Any, Final, Required, TypedDict, Unpack

import httpx

from ._public import publish
from ._secrets import request_secrets, scrub_secrets

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

#: The request extension under which an auth stores a ``Callable[[str], str]`` that removes the
#: secrets it holds from a text; :func:`error_from_response` applies it to the error it builds.
SCRUB_EXTENSION: Final = "sigma_sdk.scrub"

# Long HTML error pages from load balancers are useless past the first line or two.
_EXCERPT_LIMIT: Final = 200
# Credentials travel in HTTP headers, which servers cap at 8-16 KiB: none is longer than this.
_LONGEST_SECRET: Final = 16_384


class SigmaError(Exception):
    """Base class of every exception this SDK raises on purpose."""


class ConfigurationError(SigmaError, ValueError):
    """Settings or credentials are missing or malformed (raised before any request is sent)."""


class InvalidArgumentError(SigmaError, ValueError):
    """An argument cannot be sent as given, e.g. an ID of ``".."`` (raised before any request is sent)."""


class InsecureTransportError(ConfigurationError):
    """Credentials or tokens would be sent over plain ``http://`` to a non-loopback host."""


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


_STATUS_TO_ERROR: Final[dict[int, type[SigmaAPIError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None.

    A date in the past means "now" (0.0); garbage means "no advice" (None) rather than an error,
    because a malformed header must not turn a retryable 429 into a crash.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if math.isnan(seconds) or math.isinf(seconds):
            return None
        return max(0.0, seconds)
    try:
        import email.utils  # only HTTP-date Retry-After values need it

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive result means the zone was missing.
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _body_text(response: httpx.Response) -> str:
    try:
        return response.text
    except (httpx.ResponseNotRead, httpx.StreamError):
        # A streamed response whose body was never read: say so rather than block or crash.
        return ""
    except (UnicodeDecodeError, LookupError):
        return "<undecodable body>"


def safe_excerpt(text: str, scrub: Callable[[str], str], limit: int = _EXCERPT_LIMIT, *, collapse: bool = True) -> str:
    """``text`` from a response body, fit for an error message: ``scrub`` applied, whitespace collapsed
    (unless ``collapse`` is false: a JSON string value is quoted as sent), at most ``limit`` characters.

    Every message built from body text goes through here.  Scrubbing comes before the cut, so a
    secret the cut would split is removed whole instead of half shown.  Only a window of
    ``limit + _LONGEST_SECRET`` characters is scrubbed (a megabyte body costs what a small one does);
    when the text is longer, a secret may straddle the window's end, so the last
    ``_LONGEST_SECRET`` scrubbed characters, which hold any part of it, are never shown.
    """
    window = text[: limit + _LONGEST_SECRET]
    shown = scrub(window)
    cut = len(text) > len(window)
    if cut:
        shown = shown[: max(0, len(shown) - _LONGEST_SECRET)]
    if collapse:
        shown = " ".join(shown.split())
    if cut or len(shown) > limit:
        shown = shown[: limit - 3] + "..."
    return shown


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


def _header_credentials(authorization: str) -> list[str]:
    """The secret parts of an ``Authorization`` value: the token, and for Basic the decoded password."""
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    secrets = [credential]
    if scheme.lower() == "basic":
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            secrets.append(base64.b64decode(credential, validate=True).decode().partition(":")[2])
    return secrets


def _body_secrets(request: httpx.Request) -> list[str]:
    """The values of the secret fields (``privateKey``, ``password``...) of the request's JSON body."""
    try:
        content = request.content
    except httpx.RequestNotRead:  # a streamed upload: nothing kept to look into
        return []
    return request_secrets(content, request.headers.get("content-type", ""))


def scrubber(response: httpx.Response) -> Callable[[str], str]:
    """What removes the secrets of the request that produced ``response`` from a text: the credential
    of its ``Authorization`` header, the values of its body's secret fields (see ``_secrets``), and
    whatever its auth's ``SCRUB_EXTENSION`` hook removes."""
    try:
        request = response.request
    except RuntimeError:  # a response built by hand, without a request
        return lambda text: text
    secrets = _header_credentials(request.headers.get("authorization", "")) + _body_secrets(request)
    hook = request.extensions.get(SCRUB_EXTENSION)

    def scrub(text: str) -> str:
        text = scrub_secrets(text, secrets)
        return hook(text) if callable(hook) else text

    return scrub


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


# Tracebacks name the module users import these from, not this private one.
publish("sigma_sdk.errors", globals(), __all__)
