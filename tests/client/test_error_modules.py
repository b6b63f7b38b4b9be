"""The exception tree lives apart from the code that reads responses and scrubs their text."""

from __future__ import annotations

import inspect

import httpx

from sigma_sdk_auth import _error_responses, _errors, _retry_after, _scrubbing, runtime


def test_the_exception_tree_module_defines_only_exceptions() -> None:
    """_errors defines exception classes, no functions (its keyword-argument TypedDict is for type checkers only)."""
    own = {
        name: value
        for name, value in vars(_errors).items()
        if (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ in ("sigma_sdk_auth._errors", "sigma_sdk.errors")
    }
    assert [name for name, value in own.items() if not (inspect.isclass(value) and issubclass(value, Exception))] == []
    assert sorted(name for name in own if not name.startswith("_")) == sorted(_errors.__all__)


def test_the_seam_raises_through_the_response_mapping() -> None:
    """runtime.raise_for_status is the one _error_responses defines, and a 404 becomes NotFoundError."""
    assert runtime.raise_for_status is _error_responses.raise_for_status
    error = _error_responses.error_from_response(httpx.Response(404, json={"message": "gone"}))
    assert type(error) is _errors.NotFoundError
    assert error.message == "gone"


def test_rate_limit_errors_read_retry_after_through_its_parser() -> None:
    """A 429's retry_after is what parse_retry_after makes of the header."""
    error = _error_responses.error_from_response(httpx.Response(429, headers={"Retry-After": "7"}))
    assert isinstance(error, _errors.RateLimitError)
    assert error.retry_after == _retry_after.parse_retry_after("7") == 7.0


def test_error_messages_are_scrubbed_by_the_scrubbing_module() -> None:
    """The SCRUB_EXTENSION hook an auth sets removes its secret from an error built from the answer."""
    request = httpx.Request("GET", "https://api.sigma.test/v2/x")
    request.extensions[_scrubbing.SCRUB_EXTENSION] = lambda text: text.replace("hunter2-long-secret", "***")
    error = _error_responses.error_from_response(httpx.Response(500, text="echo: hunter2-long-secret", request=request))
    assert error.message == "echo: ***"
