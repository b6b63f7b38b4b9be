"""The exception tree and error_from_response / raise_for_status / parse_retry_after."""

from __future__ import annotations

import contextlib
import email.utils

import httpx
import pytest

from sigma_sdk_auth import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InsecureTransportError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SigmaAPIError,
    SigmaError,
    UnprocessableEntityError,
)
from sigma_sdk_auth._errors import error_from_response, parse_retry_after, raise_for_status

SIGMA_BODY = {"message": "Workbook not found", "code": "not_found", "requestId": "req-123"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (520, InternalServerError),
        (599, InternalServerError),
        (405, SigmaAPIError),
        (418, SigmaAPIError),
        (302, SigmaAPIError),
    ],
)
def test_status_maps_to_exception_type(status: int, expected: type[SigmaAPIError]) -> None:
    """Each status class maps to its exception; unlisted 4xx and 3xx are plain SigmaAPIError."""
    error = error_from_response(httpx.Response(status, json=SIGMA_BODY))
    assert type(error) is expected
    assert error.status_code == status


def test_fields_filled_from_sigma_body() -> None:
    """message, code and request_id come from Sigma's {message, code, requestId} body; response is kept."""
    response = httpx.Response(404, json=SIGMA_BODY)
    error = error_from_response(response)
    assert (error.message, error.code, error.request_id) == ("Workbook not found", "not_found", "req-123")
    assert error.response is response
    assert str(error) == "HTTP 404 Not Found: Workbook not found (code='not_found', request_id='req-123')"


def test_numeric_code_is_kept_as_number() -> None:
    """Sigma's per-item errors use numeric codes; they are kept as int, booleans are not codes."""
    assert error_from_response(httpx.Response(400, json={"message": "bad", "code": 1003})).code == 1003
    assert error_from_response(httpx.Response(400, json={"message": "bad", "code": True})).code is None


def test_request_id_falls_back_to_header() -> None:
    """Without requestId in the body, the x-request-id response header is used."""
    response = httpx.Response(500, content=b"oops", headers={"x-request-id": "hdr-9"})
    assert error_from_response(response).request_id == "hdr-9"


def test_oauth_style_error_body() -> None:
    """Token-endpoint bodies {error, error_description} give message and code too."""
    error = error_from_response(httpx.Response(400, json={"error": "invalid_grant", "error_description": "expired"}))
    assert (error.message, error.code) == ("expired", "invalid_grant")


@pytest.mark.parametrize(
    ("status", "content", "expected"),
    [
        (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "HTTP 502 Bad Gateway: <html><body><h1>502"),
        (500, b"", "HTTP 500 Internal Server Error: (empty response body)"),
        (520, b"", "HTTP 520: (empty response body)"),
        (599, b"upstream\n\n  gone", "HTTP 599: upstream gone"),
        (418, b"short and stout", "HTTP 418 I'm a teapot: short and stout"),
        (400, b"[1, 2]", "HTTP 400 Bad Request: [1, 2]"),
        (400, b'{"message": ""}', 'HTTP 400 Bad Request: {"message": ""}'),
    ],
)
def test_non_json_empty_and_non_standard_bodies(status: int, content: bytes, expected: str) -> None:
    """Non-JSON, empty, non-object and non-standard-status responses still give a useful message, no ValueError."""
    error = error_from_response(httpx.Response(status, content=content))
    assert str(error).startswith(expected)
    assert error.code is None


def test_long_body_is_truncated() -> None:
    """A huge HTML error page is cut to a short excerpt."""
    error = error_from_response(httpx.Response(503, content=b"x" * 10_000))
    assert len(error.message) <= 200
    assert error.message.endswith("...")


def test_undecodable_and_streamed_bodies_do_not_crash() -> None:
    """Invalid bytes and an unread streamed body produce a message instead of an exception."""
    garbled = error_from_response(
        httpx.Response(500, content=b"\xff\xfe\xfa", headers={"content-type": "text/plain; charset=nope"})
    )
    assert garbled.status_code == 500
    stream = httpx.Response(500, stream=httpx.ByteStream(b"never read"))
    assert error_from_response(stream).message == "(empty response body)"


def test_message_never_echoes_request_headers() -> None:
    """Error text is built from the response only, so a bearer token on the request cannot appear."""
    request = httpx.Request("GET", "https://api.sigma.test/v2/x?q=1", headers={"Authorization": "Bearer sekret-tok"})
    error = error_from_response(httpx.Response(401, json={"message": "Unauthorized"}, request=request))
    assert "sekret-tok" not in str(error)
    assert "sekret-tok" not in repr(error)


def test_rate_limit_retry_after_seconds_and_date() -> None:
    """RateLimitError.retry_after is parsed from Retry-After seconds or an HTTP-date; absent means None."""
    assert error_from_response(httpx.Response(429, headers={"Retry-After": "7"})).retry_after == 7.0  # type: ignore[attr-defined]
    future = email.utils.formatdate(timeval=4_000_000_000, usegmt=True)
    error = error_from_response(httpx.Response(429, headers={"Retry-After": future}))
    assert isinstance(error, RateLimitError)
    assert error.retry_after is not None
    assert error.retry_after > 1_000_000
    assert error_from_response(httpx.Response(429)).retry_after is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("0", 0.0),
        ("2.5", 2.5),
        (" 10 ", 10.0),
        ("-3", 0.0),
        ("Thu, 01 Jan 1970 00:01:40 GMT", 50.0),  # 100 s since the epoch, "now" is 50 s
        ("Thu, 01 Jan 1970 00:00:10 GMT", 0.0),  # in the past
        ("soon", None),
        ("", None),
        ("nan", None),
        ("inf", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    """Retry-After: delta-seconds or HTTP-date; past dates are 0; garbage is None, never an exception."""
    assert parse_retry_after(header, now=50.0) == expected


@pytest.mark.parametrize(
    ("status", "raises"),
    [(200, False), (201, False), (204, False), (299, False), (199, True), (304, True), (400, True), (503, True)],
)
def test_raise_for_status_raises_only_outside_2xx(status: int, raises: bool) -> None:
    """raise_for_status is a no-op for 2xx and raises a SigmaAPIError for everything else."""
    expectation = pytest.raises(SigmaAPIError) if raises else contextlib.nullcontext()
    with expectation:
        raise_for_status(httpx.Response(status))


def test_raise_for_status_raises_typed_error() -> None:
    """A non-2xx raises the mapped exception carrying Sigma's fields."""
    with pytest.raises(NotFoundError, match="Workbook not found") as info:
        raise_for_status(httpx.Response(404, json=SIGMA_BODY))
    assert info.value.request_id == "req-123"


def test_hierarchy() -> None:
    """Everything is a SigmaError; transport errors are not API errors; config errors are ValueErrors."""
    for cls in (BadRequestError, AuthenticationError, RateLimitError, InternalServerError):
        assert issubclass(cls, SigmaAPIError)
    assert issubclass(SigmaAPIError, SigmaError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIConnectionError, SigmaError)
    assert not issubclass(APIConnectionError, SigmaAPIError)
    assert issubclass(InsecureTransportError, ConfigurationError)
    assert issubclass(ConfigurationError, ValueError)
    assert str(APITimeoutError()) == "Request timed out."


def test_the_error_list_is_written_once() -> None:
    """sigma_sdk.errors, sigma_sdk_auth.errors and sigma_sdk_auth export exactly the classes of _errors.__all__."""
    import sigma_sdk.errors
    import sigma_sdk_auth
    import sigma_sdk_auth.errors
    from sigma_sdk_auth import _errors

    assert sigma_sdk.errors.__all__ == sigma_sdk_auth.errors.__all__ == _errors.__all__
    assert set(_errors.__all__) <= set(sigma_sdk_auth.__all__)
    for name in _errors.__all__:
        assert issubclass(getattr(_errors, name), Exception), name
        assert getattr(sigma_sdk.errors, name) is getattr(sigma_sdk_auth, name) is getattr(_errors, name)
