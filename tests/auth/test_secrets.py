"""The client secret and every token stay out of repr/str, DEBUG logs (ours, httpx's, httpcore's) and errors."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from sigma_sdk_auth import AuthenticationError, SigmaAPIError, SigmaClient
from sigma_sdk_auth._error_responses import raise_for_status
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeClock, FakeSigma


def assert_no_secrets(text: str, fake: FakeSigma) -> None:
    assert CLIENT_SECRET not in text
    assert "wrong-secret-value" not in text
    leaked = [token for token in fake.issued if token in text]
    assert leaked == []


def test_secrets_absent_from_debug_logs_reprs_and_errors(
    sigma_server: tuple[str, FakeSigma], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A full session (fetch, refresh, 401 replay, refused refresh, impersonation, bad secret) leaks nothing."""
    base_url, fake = sigma_server
    caplog.set_level(logging.DEBUG)  # root: every logger, including httpx and httpcore
    for name in ("httpx", "httpcore", "sigma_sdk", "sigma_sdk.auth"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    errors: list[BaseException] = []
    texts: list[str] = []

    def call(client: SigmaClient, path: str = "/v2/connections") -> None:
        response = client._send({"method": "get", "url": path})
        try:
            raise_for_status(response)
        except SigmaAPIError as exc:
            errors.append(exc)

    with SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET) as client:
        client._auth._clock = clock
        call(client)  # client_credentials
        clock.advance(3600)
        call(client)  # refresh grant
        fake.expire_all_access_tokens()
        call(client)  # 401 -> refresh -> replay
        fake.refuse_refresh = True
        clock.advance(3600)
        call(client)  # refused refresh -> client_credentials
        user = client.impersonate("ada@example.com")
        call(user)  # token exchange (actor token + bearer)
        fake.always_401.add("/v2/members")
        call(client, "/v2/members")  # a 401 that survives the replay
        texts += [repr(client), str(client), repr(user), repr(client.auth), repr(user.auth), repr(client._auth._token)]
        texts += [repr(client.with_options(timeout=5))]

    with SigmaClient(base_url, CLIENT_ID, "wrong-secret-value") as bad, pytest.raises(AuthenticationError) as info:
        bad._send({"method": "get", "url": "/v2/connections"})
    errors.append(info.value)

    assert len(fake.issued) >= 8  # the scenario really produced tokens to leak
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # the real transport logged
    assert any(r.name == "sigma_sdk.auth" for r in caplog.records)
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [r.getMessage() for r in caplog.records]
    assert_no_secrets(caplog.text, fake)
    for text in texts:
        assert_no_secrets(text, fake)
    assert "rejected the client credentials" in str(info.value)


def test_repr_shows_only_base_url_and_client_id() -> None:
    """repr(client) is exactly the base URL and client ID."""
    client = SigmaClient("https://api.sigma.test", CLIENT_ID, CLIENT_SECRET)
    assert repr(client) == f"SigmaClient(base_url='https://api.sigma.test', client_id='{CLIENT_ID}')"
    assert str(client) == repr(client)


def test_credentials_cannot_be_pickled() -> None:
    """Pickling a client or its auth is refused rather than copying the secret somewhere."""
    import pickle

    client = SigmaClient("https://api.sigma.test", CLIENT_ID, CLIENT_SECRET)
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(client)
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(client.auth)


def test_auth_log_lines_show_paths_only(
    router: respx.MockRouter, fake_sigma: FakeSigma, caplog: pytest.LogCaptureFixture
) -> None:
    """The auth's log lines name the request's path: never its query string, host or userinfo."""
    caplog.set_level(logging.DEBUG, logger="sigma_sdk")
    fake_sigma.always_401.add("/v2/members")
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        client._send({"method": "get", "url": "/v2/members", "params": {"ticket": "Q-SECRET-1"}})
    lines = [r.getMessage() for r in caplog.records if r.name == "sigma_sdk.auth"]
    assert "Sigma answered 401 to GET /v2/members; re-authenticating and replaying once" in lines
    assert any("from /v2/auth/token" in line for line in lines)
    assert not any("Q-SECRET-1" in line or "api.sigma.test" in line for line in lines)


def test_a_token_answer_nested_too_deeply_is_the_typed_token_error() -> None:
    """A token endpoint answering `[` x 100000 raises SigmaAPIError (no access_token), not RecursionError."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"}
        )

    transport = httpx.MockTransport(handler)
    with (
        SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, transport=transport) as client,
        pytest.raises(SigmaAPIError, match="without an access_token"),
    ):
        client._send({"method": "get", "url": "/v2/connections"})
