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
from sigma_sdk_auth._error_responses import error_from_response, raise_for_status
from sigma_sdk_auth._retry_after import parse_retry_after
from sigma_sdk_auth._scrubbing import SCRUB_EXTENSION, safe_excerpt

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


LONG_TOKEN = "eyJhbGciOiJIUzI1NiJ9." + "A" * 120 + "." + "S" * 80


def _shown_parts(text: str, secret: str) -> list[str]:
    """The pieces of ``secret`` of 8 characters or more that ``text`` shows."""
    return [secret[:n] for n in range(8, len(secret) + 1) if secret[:n] in text]


def test_a_token_cut_by_the_excerpt_limit_is_scrubbed_whole() -> None:
    """A gateway page echoing the bearer token across the 200-character cut shows `***`, not the token's start."""
    request = httpx.Request(
        "GET", "https://api.sigma.test/v2/members", headers={"Authorization": f"Bearer {LONG_TOKEN}"}
    )
    body = "<html><p>" + "x" * 100 + " auth=Bearer " + LONG_TOKEN + "</p></html>"
    error = error_from_response(httpx.Response(502, text=body, request=request))
    assert _shown_parts(str(error), LONG_TOKEN) == []
    assert "auth=Bearer ***" in error.message


def test_a_secret_the_scrub_hook_knows_is_scrubbed_before_the_cut() -> None:
    """A form-encoded client secret echoed across the cut is removed by the auth's hook before truncation."""
    secret = "s3cr3t-" + "k" * 60 + "-END"
    request = httpx.Request("POST", "https://api.sigma.test/v2/auth/token")
    request.extensions[SCRUB_EXTENSION] = lambda text: text.replace(secret, "***")
    body = "Request rejected. Body: " + "p" * 150 + "client_secret=" + secret
    error = error_from_response(httpx.Response(500, text=body, request=request))
    assert _shown_parts(str(error), secret) == []
    assert error.message.endswith("client_secret=***")


def test_a_request_id_echoing_a_credential_is_scrubbed() -> None:
    """Sigma's `requestId` is body text in the message too: a credential in it becomes `***`."""
    request = httpx.Request("GET", "https://api.sigma.test/v2/x", headers={"Authorization": f"Bearer {LONG_TOKEN}"})
    body = {"message": "no", "requestId": f"Bearer {LONG_TOKEN}"}
    error = error_from_response(httpx.Response(400, json=body, request=request))
    assert LONG_TOKEN[:8] not in str(error)
    assert error.request_id == "Bearer ***"


def test_safe_excerpt_never_shows_part_of_a_secret_cut_by_its_window() -> None:
    """Past the scrubbed window the excerpt drops what a cut secret could occupy: `***`s only, never a piece."""
    secret = "k" * 5000 + "Z"
    scrubbed: list[int] = []

    def scrub(text: str) -> str:
        scrubbed.append(len(text))
        return text.replace(secret, "***")

    excerpt = safe_excerpt(secret * 1000, scrub, 200)  # 5 MB of secrets: scrubbing shrinks, the window cuts one
    assert "k" not in excerpt
    assert "Z" not in excerpt
    assert excerpt.endswith("...")
    assert max(scrubbed) <= 200 + 16_384  # a bounded window is scrubbed, not the whole text


def test_safe_excerpt_keeps_short_text_whole_and_cuts_long_text() -> None:
    """Short text comes back scrubbed and whitespace-collapsed; long text is cut to `limit` with `...`."""
    assert safe_excerpt("a  secret\n b", lambda text: text.replace("secret", "***")) == "a *** b"
    assert safe_excerpt("a\tb", str, collapse=False) == "a\tb"
    long = safe_excerpt("y" * 1000, str, 50)
    assert (len(long), long[-3:]) == (50, "...")


def test_a_body_nested_too_deeply_is_the_typed_error_with_an_excerpt() -> None:
    """`[` x 100000 (valid JSON Python cannot decode) is a NotFoundError quoting the body, not RecursionError."""
    deep = httpx.Response(404, content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"})
    error = error_from_response(deep)
    assert type(error) is NotFoundError
    assert error.message == "[" * 197 + "..."
    with pytest.raises(NotFoundError):
        raise_for_status(deep)


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


def _short_credentials_transport(message: str) -> httpx.MockTransport:
    """Issues the one-letter token ``e`` and answers every API call 400 with ``message``."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth/token":
            return httpx.Response(200, json={"access_token": "e", "refresh_token": "r", "expires_in": 3600})
        return httpx.Response(400, json={"message": message, "requestId": "req-a1"})

    return httpx.MockTransport(handle)


SHORT_SECRET_MESSAGE = "Invalid parameter at entries[0].updatedBy: expected a member"


def test_a_one_letter_client_secret_and_token_never_garble_a_message() -> None:
    """Client secret `a`, token `e`: the message reads as Sigma wrote it (no `Inv***lid p***r***meter`)."""
    from sigma_sdk_auth import SigmaClient

    transport = _short_credentials_transport(SHORT_SECRET_MESSAGE)
    with (
        SigmaClient("https://api.sigma.test", "id", "a", transport=transport) as client,
        pytest.raises(BadRequestError) as info,
    ):
        client.request("GET", "/v2/members")
    assert info.value.message == SHORT_SECRET_MESSAGE
    assert info.value.request_id == "req-a1"


async def test_a_one_letter_client_secret_and_token_never_garble_a_message_async() -> None:
    """Async twin: the same short credentials, the same readable message."""
    from sigma_sdk_auth import SigmaClient

    transport = _short_credentials_transport(SHORT_SECRET_MESSAGE)
    async with SigmaClient("https://api.sigma.test", "id", "a", async_transport=transport) as client:
        with pytest.raises(BadRequestError) as info:
            await client.arequest("GET", "/v2/members")
    assert info.value.message == SHORT_SECRET_MESSAGE


@pytest.mark.parametrize(
    ("secret", "text", "expected"),
    [
        ("a", "Invalid parameter a", "Invalid parameter a"),  # shorter than 4: never scrubbed
        ("tok4", "Bearer tok4 rejected", "Bearer *** rejected"),  # 4-7: a whole token
        ("tok4", "tok4x and xtok4 and entries.tok4s", "tok4x and xtok4 and entries.tok4s"),  # ...only
        ("secret-8", "got secret-8, and xsecret-8y", "got ***, and x***y"),  # 8 and more: wherever it occurs
    ],
)
def test_scrubbing_has_one_floor_for_every_scrubber(secret: str, text: str, expected: str) -> None:
    """The header scrubber and the auth's hook apply the same rule to short secrets."""
    from sigma_sdk_auth import SigmaAuth

    request = httpx.Request("GET", "https://api.sigma.test/v2/x", headers={"Authorization": f"Bearer {secret}"})
    assert error_from_response(httpx.Response(400, json={"message": text}, request=request)).message == expected
    auth = SigmaAuth("id", secret, base_url="https://api.sigma.test")
    assert auth._scrub(text) == expected
