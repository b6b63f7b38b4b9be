"""Impersonation via Sigma's token exchange: the subject JWT, the actor token, expiry, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import jwt
import pytest
import respx

from sigma_sdk_auth import AuthenticationError, SigmaAuth, SigmaClient
from sigma_sdk_auth._jwt import encode_hs256, impersonation_subject_token
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, TOKEN_EXCHANGE, FakeClock, FakeSigma

USER = "ada@example.com"


@pytest.fixture
def client(router: respx.MockRouter, clock: FakeClock) -> Iterator[SigmaClient]:
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        client._auth._clock = clock
        yield client


def get(client: SigmaClient, path: str = "/v2/workbooks") -> httpx.Response:
    return client._send({"method": "get", "url": path})


def exchange_requests(fake: FakeSigma) -> list[dict[str, str]]:
    return [form for form in fake.token_requests if form["grant_type"] == TOKEN_EXCHANGE]


def test_subject_token_verifies_with_pyjwt() -> None:
    """The hand-written HS256 JWT verifies with PyJWT and the client secret, with kid = client ID."""
    now = int(time.time())
    token = impersonation_subject_token(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, issued_at=now, lifetime=300, email=USER, tenant="org-9"
    )
    claims = jwt.decode(token, CLIENT_SECRET, algorithms=["HS256"])
    assert claims == {"sub": USER, "tenant": "org-9", "iat": now, "exp": now + 300}
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT", "kid": CLIENT_ID}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-at-least-32-bytes", algorithms=["HS256"])


def test_encode_hs256_cannot_be_talked_out_of_hs256() -> None:
    """A caller-supplied header cannot change the algorithm (no alg=none tokens)."""
    key = "k" * 32
    token = encode_hs256({"a": 1}, key, headers={"alg": "none"})
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert jwt.decode(token, key, algorithms=["HS256"]) == {"a": 1}


def test_subject_token_needs_a_subject() -> None:
    """Neither email nor tenant is a usage error."""
    with pytest.raises(ValueError, match="email"):
        impersonation_subject_token(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, issued_at=0, lifetime=1)


def test_exchange_carries_admin_token_as_actor_and_bearer(client: SigmaClient, fake_sigma: FakeSigma) -> None:
    """The exchange sends a verifiable subject JWT and the live admin token as actor_token and as bearer."""
    get(client)  # the admin token
    admin_token = fake_sigma.api_requests[-1][1]
    user = client.impersonate(USER)
    response = get(user)
    assert response.status_code == 200
    (form,) = exchange_requests(fake_sigma)
    assert form["actor_token"] == admin_token
    assert form["authorization"] == f"Bearer {admin_token}"
    assert form["actor_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert form["subject_token_type"] == "urn:ietf:params:oauth:token-type:jwt"
    assert "client_secret" not in form
    claims = jwt.decode(form["subject_token"], CLIENT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == USER
    assert claims["exp"] > claims["iat"]
    assert jwt.get_unverified_header(form["subject_token"])["kid"] == CLIENT_ID
    assert fake_sigma.api_requests[-1][1] == "imp-2-tok"  # the API call used the impersonated token


def test_impersonation_fetches_an_admin_token_first_when_needed(client: SigmaClient, fake_sigma: FakeSigma) -> None:
    """With no admin token yet, the impersonated client gets one (client_credentials) and then exchanges it."""
    get(client.impersonate(USER))
    assert fake_sigma.grants() == ["client_credentials", TOKEN_EXCHANGE]


def test_tenant_impersonation(client: SigmaClient, fake_sigma: FakeSigma) -> None:
    """impersonate(tenant=...) puts the tenant claim in the subject token (with or without an email)."""
    get(client.impersonate(tenant="tenant-org-1"))
    get(client.impersonate(USER, tenant="tenant-org-1"))
    assert [e["claims"].get("tenant") for e in fake_sigma.exchanges] == ["tenant-org-1", "tenant-org-1"]
    assert [e["claims"].get("sub") for e in fake_sigma.exchanges] == [None, USER]


def test_impersonated_token_expiry_redoes_the_exchange(
    client: SigmaClient, fake_sigma: FakeSigma, clock: FakeClock
) -> None:
    """An impersonated token has no refresh token: on expiry the exchange is redone (admin refreshed as needed)."""
    user = client.impersonate(USER)
    get(user)
    get(user)
    assert len(exchange_requests(fake_sigma)) == 1
    clock.advance(3600)
    get(user)
    assert fake_sigma.grants() == ["client_credentials", TOKEN_EXCHANGE, "refresh_token", TOKEN_EXCHANGE]
    assert user._auth._token is not None
    assert user._auth._token.refresh_token is None


def test_impersonated_401_redoes_the_exchange_and_replays(client: SigmaClient, fake_sigma: FakeSigma) -> None:
    """A 401 for the impersonated token triggers a new exchange and one replay; a dead admin token is renewed."""
    user = client.impersonate(USER)
    get(user)
    fake_sigma.expire_all_access_tokens()  # admin and impersonated tokens are both dead
    assert get(user).status_code == 200
    # The exchange with the dead admin token is refused (401), the admin token is refreshed, and the
    # exchange is tried exactly once more.
    assert fake_sigma.grants() == [
        "client_credentials",
        TOKEN_EXCHANGE,
        TOKEN_EXCHANGE,
        "refresh_token",
        TOKEN_EXCHANGE,
    ]
    assert [path for path, _ in fake_sigma.api_requests] == ["/v2/workbooks"] * 3


def test_admin_and_user_tokens_stay_separate(client: SigmaClient, fake_sigma: FakeSigma) -> None:
    """The admin client keeps using its own token after an impersonated client was created and used."""
    user = client.impersonate(USER)
    get(user)
    get(client)
    bearers = [b for _, b in fake_sigma.api_requests]
    assert bearers == ["imp-2-tok", "access-1-tok"]


def test_impersonating_from_an_impersonated_client_uses_the_admin(client: SigmaClient, fake_sigma: FakeSigma) -> None:
    """client.impersonate(a).impersonate(b) acts as b with the admin as actor, not as a."""
    get(client)
    admin_token = fake_sigma.api_requests[-1][1]
    other = client.impersonate(USER).impersonate("grace@example.com")
    get(other)
    (form,) = exchange_requests(fake_sigma)
    assert form["actor_token"] == admin_token
    assert fake_sigma.exchanges[0]["claims"]["sub"] == "grace@example.com"


def test_refused_impersonation_raises_clear_error(
    client: SigmaClient, fake_sigma: FakeSigma, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If Sigma refuses the exchange, the error names the user and client, with no secrets."""
    get(client)
    real_token = fake_sigma._token

    def refuse_exchange(request: httpx.Request) -> httpx.Response:
        if b"token-exchange" in request.content:
            return httpx.Response(403, json={"message": "not an admin", "code": "forbidden"})
        return real_token(request)

    monkeypatch.setattr(fake_sigma, "_token", refuse_exchange)
    with pytest.raises(AuthenticationError) as info:
        get(client.impersonate(USER))
    message = str(info.value)
    assert USER in message
    assert "not an admin" in message
    assert CLIENT_SECRET not in message
    for secret in fake_sigma.issued:
        assert secret not in message


def test_impersonate_needs_a_subject(client: SigmaClient) -> None:
    """impersonate() without email or tenant is a usage error, raised before any request."""
    with pytest.raises(ValueError, match="email"):
        client.impersonate()


def test_sigma_auth_impersonate_repr(clock: FakeClock) -> None:
    """The impersonating auth's repr says whom it impersonates and still hides the secret."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL).impersonate(USER, tenant="t1")
    assert USER in repr(auth)
    assert CLIENT_SECRET not in repr(auth)
    assert auth.impersonating == (USER, "t1")
