"""The fake's token endpoint and bearer check: grants, expiry, rotating refresh tokens, impersonation.

Raw HTTP over a real socket (``wire``) pins the wire behaviour; the SDK in-process (``client``)
pins that its recovery paths work against the fake.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.errors import AuthenticationError
from sigma_sdk.models import AccessRefreshToken
from sigma_sdk.testing import SigmaStandin, StandinServer

from ..conftest import FakeClock
from .conftest import CLIENT_ID, CLIENT_SECRET, assert_sigma_error, login, token

# -- grants -----------------------------------------------------------------------------------


def test_client_credentials_grant_issues_bearer_tokens_for_an_hour(wire: httpx.Client) -> None:
    """client_credentials with the configured ID/secret gives an access and a refresh token, expires_in 3600."""
    body = login(wire)
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 3600)
    assert AccessRefreshToken.from_dict(body).access_token == body["access_token"]


def test_client_credentials_may_come_as_http_basic(wire: httpx.Client) -> None:
    """The client ID and secret are accepted as HTTP Basic as well as in the form body."""
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = wire.post(
        "/v2/auth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("client_id", "client_secret"), [(CLIENT_ID, "wrong"), ("someone-else", CLIENT_SECRET), (CLIENT_ID, "")]
)
def test_wrong_client_credentials_are_401_with_sigma_error_body(
    wire: httpx.Client, client_id: str, client_secret: str
) -> None:
    """A wrong client ID or secret answers 401 {message, code: "unauthorized", requestId}."""
    response = token(wire, grant_type="client_credentials", client_id=client_id, client_secret=client_secret)
    assert_sigma_error(response, 401, "unauthorized")


def test_wrong_secret_is_an_authentication_error(standin: SigmaStandin) -> None:
    """Through the SDK, credentials the stand-in does not know raise AuthenticationError after one token request."""
    with (
        Client("http://127.0.0.1", standin.client_id, "wrong", transport=standin.transport()) as client,
        pytest.raises(AuthenticationError),
    ):
        who_am_i.sync(client=client)
    assert standin.grants() == ["client_credentials"]


def test_refresh_token_grant_rotates_the_refresh_token(wire: httpx.Client) -> None:
    """A refresh grant returns new tokens; the used refresh token is spent and then answers 401."""
    first = login(wire)
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    refreshed = token(wire, grant_type="refresh_token", refresh_token=first["refresh_token"], **creds)
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    again = token(wire, grant_type="refresh_token", refresh_token=first["refresh_token"], **creds)
    assert_sigma_error(again, 401, "unauthorized")


@pytest.mark.parametrize("form", [{}, {"grant_type": "password"}, {"grant_type": "urn:ietf:params:oauth:grant-type:x"}])
def test_missing_or_unsupported_grant_is_400(wire: httpx.Client, form: dict[str, str]) -> None:
    """A token request without a supported grant_type answers 400 with Sigma's error body."""
    assert_sigma_error(token(wire, **form, client_id=CLIENT_ID, client_secret=CLIENT_SECRET), 400, "bad_request")


# -- bearer check and expiry ------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc", "Bearer"])
@pytest.mark.parametrize("path", ["/v2/whoami", "/v2/connections", "/v2/connections/x", "/v2/no-such-path"])
def test_requests_without_a_valid_bearer_are_401(wire: httpx.Client, authorization: str | None, path: str) -> None:
    """Every path but the token endpoint needs a valid bearer token (checked before routing)."""
    headers = {"Authorization": authorization} if authorization else {}
    assert_sigma_error(wire.get(path, headers=headers), 401, "unauthorized")


@pytest.mark.parametrize("over_http", [False, True], ids=["by-the-clock-in-process", "expire_access_tokens-over-http"])
def test_an_expired_access_token_is_401_and_the_sdk_refreshes(over_http: bool) -> None:
    """An expired access token (by the clock or expire_access_tokens()) is 401; the SDK refreshes, retries once."""
    clock = FakeClock()  # starts at 1000.0
    standin = SigmaStandin(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, expires_in=600, clock=clock)
    with contextlib.ExitStack() as stack:
        inspected: SigmaStandin | StandinServer = standin
        expire: Callable[[], None] = lambda: setattr(clock, "now", 1601.0)  # noqa: E731 - one of two ways
        if over_http:
            inspected = stack.enter_context(StandinServer(standin, max_lifetime=30))
            client = Client(inspected.base_url, CLIENT_ID, CLIENT_SECRET, httpx_args={"trust_env": False})
            expire = inspected.expire_access_tokens
        else:
            client = Client("http://127.0.0.1", CLIENT_ID, CLIENT_SECRET, transport=standin.transport())
        with client:
            first = who_am_i.sync(client=client)
            expire()
            assert who_am_i.sync(client=client) == first
        assert inspected.grants() == ["client_credentials", "refresh_token"]
        assert [status for _, path, status in inspected.requests if path == "/v2/whoami"] == [200, 401, 200]


def test_revoked_refresh_tokens_send_the_sdk_back_to_client_credentials(client: Client, standin: SigmaStandin) -> None:
    """After revoke_refresh_tokens() a refresh answers 401 and the SDK logs in again with its credentials."""
    who_am_i.sync(client=client)
    standin.expire_access_tokens()
    standin.revoke_refresh_tokens()
    who_am_i.sync(client=client)
    assert standin.grants() == ["client_credentials", "refresh_token", "client_credentials"]


# -- impersonation ----------------------------------------------------------------------------


def test_impersonation_exchanges_a_signed_subject_token(client: Client, standin: SigmaStandin) -> None:
    """client.impersonate(email) works against the stand-in, which verifies the HS256 subject token."""
    who_am_i.sync(client=client.impersonate("grace@example.com"))
    (exchange,) = standin.exchanges
    assert exchange["claims"]["sub"] == "grace@example.com"
    assert exchange["header"]["kid"] == standin.client_id
    assert standin.grants()[-1] == "urn:ietf:params:oauth:grant-type:token-exchange"


def test_forged_subject_token_is_refused(http: httpx.Client, standin: SigmaStandin) -> None:
    """A subject token not signed with the client secret answers 401."""
    actor = http.headers["Authorization"].removeprefix("Bearer ")
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        "actor_token": actor,
    }
    assert http.post("/v2/auth/token", data=form).status_code == 401
    assert standin.exchanges == []
