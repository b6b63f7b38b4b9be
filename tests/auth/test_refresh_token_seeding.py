"""A client seeded with a refresh token: starts from it, rotates it, falls back only when Sigma refuses it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from sigma_sdk_auth import ConfigurationError, SigmaAuth, SigmaClient
from sigma_sdk_auth._config import settings_from_env
from sigma_sdk_auth._error_responses import raise_for_status
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeClock, FakeSigma


@pytest.fixture
def router(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=fake_sigma.handle)
        yield router


def _seed(fake_sigma: FakeSigma) -> str:
    """A refresh token Sigma will accept, obtained outside this client (as a user would hand one over)."""
    token = fake_sigma.issue()["refresh_token"]
    assert isinstance(token, str)
    return token


def _bearer(response: httpx.Response) -> str:
    return response.request.headers["authorization"].removeprefix("Bearer ")


def test_seeded_client_starts_from_the_refresh_token(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """The first token comes from the refresh grant with the seed; no client-credentials request is made."""
    seed = _seed(fake_sigma)
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, refresh_token=seed) as client:
        response = client._send({"method": "get", "url": "/v2/connections"})
    assert response.status_code == 200
    assert fake_sigma.grants() == ["refresh_token"]
    assert fake_sigma.token_requests[0]["refresh_token"] == seed
    assert _bearer(response) == "access-2-tok"


def test_seeded_token_rotates_and_never_uses_client_credentials_until_refused(
    router: respx.MockRouter, fake_sigma: FakeSigma, clock: FakeClock
) -> None:
    """Each refresh spends the rotated token; client credentials are asked for only once Sigma refuses one."""
    seed = _seed(fake_sigma)
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL, refresh_token=seed, clock=clock)
    with httpx.Client(base_url=BASE_URL, auth=auth) as http:
        http.get("/v2/connections")
        for _ in range(3):
            clock.advance(3600)
            http.get("/v2/connections")
        assert fake_sigma.grants() == ["refresh_token"] * 4
        sent = [form["refresh_token"] for form in fake_sigma.token_requests]
        assert sent == [seed, "refresh-2-tok", "refresh-3-tok", "refresh-4-tok"]
        fake_sigma.revoke_refresh_tokens()
        clock.advance(3600)
        response = http.get("/v2/connections")
    assert response.status_code == 200
    assert fake_sigma.grants() == ["refresh_token"] * 5 + ["client_credentials"]


def test_a_refused_seed_falls_back_to_client_credentials(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """A seed Sigma refuses (spent, revoked) costs one refused request; the call then succeeds on client credentials."""
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, refresh_token="stale-refresh-token") as client:
        response = client._send({"method": "get", "url": "/v2/connections"})
    raise_for_status(response)
    assert fake_sigma.grants() == ["refresh_token", "client_credentials"]


async def test_seeded_async_client_starts_from_the_refresh_token(
    router: respx.MockRouter, fake_sigma: FakeSigma
) -> None:
    """The async path spends the seed the same way, and shares the token with sync calls."""
    seed = _seed(fake_sigma)
    async with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, refresh_token=seed) as client:
        response = await client._asend({"method": "get", "url": "/v2/connections"})
        again = client._send({"method": "get", "url": "/v2/connections"})
    assert _bearer(response) == _bearer(again)
    assert fake_sigma.grants() == ["refresh_token"]


def test_from_env_and_env_file_read_the_refresh_token(
    tmp_path: Path, router: respx.MockRouter, fake_sigma: FakeSigma
) -> None:
    """SIGMA_REFRESH_TOKEN (environment or .env) seeds the client; without it nothing changes."""
    seed = _seed(fake_sigma)
    env = {"SIGMA_BASE_URL": BASE_URL, "SIGMA_CLIENT_ID": CLIENT_ID, "SIGMA_CLIENT_SECRET": CLIENT_SECRET}
    assert settings_from_env(env).refresh_token is None
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"SIGMA_REFRESH_TOKEN={seed}\n", encoding="utf-8")
    assert settings_from_env(env, env_file=dotenv).refresh_token == seed
    assert seed not in repr(settings_from_env(env, env_file=dotenv))
    with SigmaClient.from_env(environ={**env, "SIGMA_REFRESH_TOKEN": seed}) as client:
        client._send({"method": "get", "url": "/v2/connections"})
    assert fake_sigma.grants() == ["refresh_token"]


def test_the_seed_never_shows_in_repr_logs_or_errors(
    router: respx.MockRouter, fake_sigma: FakeSigma, caplog: pytest.LogCaptureFixture
) -> None:
    """repr, DEBUG logs and an error whose body echoes the seed all leave it out."""
    seed = "seed-refresh-tok-Zq81-do-not-leak"
    router.routes.clear()
    router.post("/v2/auth/token").respond(503, json={"message": f"refresh {seed} failed", "code": "unavailable"})
    caplog.set_level(logging.DEBUG, logger="sigma_sdk")
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, refresh_token=seed, max_retries=0) as client:
        assert seed not in repr(client)
        assert seed not in repr(client.auth)
        with pytest.raises(Exception) as raised:  # noqa: PT011 - the type is not the point; the text is
            client._send({"method": "get", "url": "/v2/connections"})
    assert seed not in str(raised.value)
    assert seed not in repr(raised.value)
    assert seed not in caplog.text


@pytest.mark.parametrize("bad", ["", "   "])
def test_an_empty_refresh_token_is_refused(bad: str) -> None:
    """refresh_token='' is a mistake, named at construction (None means: no seed)."""
    with pytest.raises(ConfigurationError, match="refresh_token must be a non-empty string"):
        SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, refresh_token=bad)
