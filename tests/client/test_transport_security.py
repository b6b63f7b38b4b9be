"""The transport-security policy: one module decides, and every entry point refuses with its words."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
import respx

from sigma_sdk_auth import (
    InsecureTransportError,
    InvalidArgumentError,
    SigmaAuth,
    SigmaClient,
    _auth,
    _client,
    _pools,
    _transport_security,
)
from sigma_sdk_auth.testing import StandinServer, _server
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeSigma

POLICY = ("is_loopback_host", "require_secure_url", "origin", "check_hop", "redirect_refused")
HTTP_REFUSAL = (
    "Refusing to send {purpose} to 'api.sigma.test' over http: use https:// "
    "(plain http:// is allowed only to loopback hosts such as localhost, 127.0.0.1 and ::1)."
)


@pytest.fixture
def mock(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    """respx with the fake's token endpoint; tests add API routes.  Nothing unrouted leaves the process."""
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{BASE_URL}/v2/auth/token").mock(side_effect=fake_sigma.handle)
        yield router


def _redirecting_client() -> SigmaClient:
    return SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, max_retries=0, httpx_args={"follow_redirects": True})


def test_no_other_module_defines_a_policy_function() -> None:
    """Every policy name the auth, client, pools and stand-in server see is the _transport_security one."""
    for module in (_auth, _client, _pools, _server):
        for name in POLICY:
            if hasattr(module, name):
                assert getattr(module, name) is getattr(_transport_security, name), (module.__name__, name)
    assert not hasattr(_pools, "check_hop")  # the pools only carry the hook SigmaClient gives them


def test_auth_refuses_a_plain_http_token_url_in_the_policy_words() -> None:
    """SigmaAuth on an http, non-loopback base URL raises InsecureTransportError with the policy's message."""
    with pytest.raises(InsecureTransportError) as caught:
        SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url="http://api.sigma.test")
    assert str(caught.value) == HTTP_REFUSAL.format(purpose="client credentials")


def test_client_refuses_a_plain_http_base_url_in_the_policy_words() -> None:
    """SigmaClient on an http, non-loopback base URL raises InsecureTransportError naming the token."""
    with pytest.raises(InsecureTransportError) as caught:
        SigmaClient("http://api.sigma.test", CLIENT_ID, CLIENT_SECRET)
    assert str(caught.value) == HTTP_REFUSAL.format(purpose="Sigma access tokens")


def test_auth_refuses_to_sign_a_plain_http_request(mock: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """A request to http, non-loopback through a bare SigmaAuth fails before a token is fetched."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL)
    with httpx.Client(auth=auth) as http, pytest.raises(InsecureTransportError) as caught:
        http.get("http://api.sigma.test/v2/members")
    assert str(caught.value) == HTTP_REFUSAL.format(purpose="a Sigma access token")
    assert fake_sigma.token_requests == []


def test_pool_hook_refuses_a_redirect_to_plain_http(mock: respx.MockRouter) -> None:
    """A redirect to http elsewhere is refused by the hook with the message require_secure_url gives."""
    elsewhere = mock.get("http://api.sigma.test/v2/members").respond(200, json={})
    mock.get(f"{BASE_URL}/v2/members").respond(302, headers={"Location": "http://api.sigma.test/v2/members"})
    with _redirecting_client() as client, pytest.raises(InsecureTransportError) as caught:
        client.request("GET", "/v2/members")
    assert str(caught.value) == HTTP_REFUSAL.format(purpose="a redirected request")
    assert elsewhere.call_count == 0


def test_pool_hook_refuses_a_post_redirected_elsewhere(mock: respx.MockRouter) -> None:
    """A 307 that would resend a POST to another https host is refused, naming the host and the method."""
    mock.post(f"{BASE_URL}/v2/things").respond(307, headers={"Location": "https://other.test/v2/things"})
    with _redirecting_client() as client, pytest.raises(InsecureTransportError) as caught:
        client.request("POST", "/v2/things", json={"name": "x"})
    assert str(caught.value) == (
        "Refusing to follow a redirect to 'other.test': a POST with its body or credentials goes only to the "
        "configured Sigma API"
    )


def test_token_redirect_is_refused_in_the_policy_words() -> None:
    """A 3xx from the token endpoint raises InsecureTransportError naming the target host, never following it."""
    with respx.mock(assert_all_called=False) as router:
        elsewhere = router.post("https://evil.test/token").respond(200, json={})
        router.post(f"{BASE_URL}/v2/auth/token").respond(307, headers={"Location": "https://evil.test/token"})
        with _redirecting_client() as client, pytest.raises(InsecureTransportError) as caught:
            client.request("GET", "/v2/members")
    assert str(caught.value) == (
        "Sigma's token endpoint answered with a redirect (HTTP 307 to 'evil.test'); credentials are never sent "
        "to a redirect target. Check token_url / base_url: it must be the API URL itself, "
        "e.g. https://aws-api.sigmacomputing.com."
    )
    assert elsewhere.call_count == 0


@pytest.mark.parametrize("header", ["Authorization", "proxy-authorization", "Cookie"])
def test_request_refuses_a_caller_credential_header(mock: respx.MockRouter, header: str) -> None:
    """request() refuses a caller's Authorization, Proxy-Authorization or Cookie with InvalidArgumentError."""
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client, pytest.raises(InvalidArgumentError) as caught:
        client.request("GET", "/v2/members", headers={header: "Bearer someone-else"})
    assert str(caught.value) == (
        f"headers may not set {header.lower()}: the client authenticates every request with its own bearer token "
        "(use a client with other credentials, or impersonate(), to act as someone else)"
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "https://evil.test/v2/members",
            "refusing to send a request to 'evil.test': path must be relative to the base URL "
            "(the bearer token goes only to the configured API)",
        ),
        ("https://user:pw@api.sigma.test/v2/members", "path may not carry credentials (user:password@)"),
    ],
)
def test_request_refuses_another_origin_or_userinfo(mock: respx.MockRouter, path: str, message: str) -> None:
    """request() with an absolute URL off the base URL's origin, or with user:password@, is refused."""
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client, pytest.raises(InvalidArgumentError) as caught:
        client.request("GET", path)
    assert str(caught.value) == message


def test_standin_server_binds_loopback_only() -> None:
    """The stand-in server refuses a non-loopback host with the policy's loopback test."""
    with pytest.raises(ValueError, match=re.escape("binds loopback addresses only, not '0.0.0.0'")):
        StandinServer(host="0.0.0.0")  # noqa: S104 - the address under test, never bound


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("LOCALHOST.", True), ("127.8.9.10", True), ("[::1]", True), ("10.0.0.5", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    """localhost, 127.0.0.0/8 and ::1 are loopback (any case, bracketed, trailing dot); others are not."""
    assert _transport_security.is_loopback_host(host) is loopback
