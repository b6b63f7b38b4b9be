"""Where credentials may travel: never in the base URL, never along a redirect or a raw hop to another origin
or to plain http, never under a caller's credential header; one module (_transport_security) decides."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
import respx

from sigma_sdk_auth import (
    ConfigurationError,
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

PASSWORD = "pw-Zq7-secret"
POLICY = ("is_loopback_host", "require_secure_url", "origin", "check_hop", "redirect_refused")
HTTP_REFUSAL = (
    "Refusing to send {purpose} to '{host}' over http: use https:// "
    "(plain http:// is allowed only to loopback hosts such as localhost, 127.0.0.1 and ::1)."
)


@pytest.fixture
def mock(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    """respx with the fake's token endpoint; tests add API routes (other hosts need full URLs)."""
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{BASE_URL}/v2/auth/token").mock(side_effect=fake_sigma.handle)
        yield router


def redirecting_client() -> SigmaClient:
    return SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, max_retries=0, httpx_args={"follow_redirects": True})


# -- credentials in the base URL ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [f"https://alice:{PASSWORD}@api.sigma.test", f"https://{PASSWORD}@api.sigma.test/", "https://alice@api.x.test"],
)
def test_base_url_with_userinfo_is_refused_without_echo(url: str) -> None:
    """A base URL with user:password@ raises ConfigurationError whose message does not contain the password."""
    with pytest.raises(ConfigurationError, match="user name or password") as caught:
        SigmaClient(url, CLIENT_ID, CLIENT_SECRET)
    assert PASSWORD not in str(caught.value)
    assert "alice" not in str(caught.value)


def test_base_url_with_userinfo_from_env_is_refused() -> None:
    """SIGMA_BASE_URL with userinfo is refused the same way by from_env()."""
    environ = {
        "SIGMA_BASE_URL": f"https://alice:{PASSWORD}@api.sigma.test",
        "SIGMA_CLIENT_ID": CLIENT_ID,
        "SIGMA_CLIENT_SECRET": CLIENT_SECRET,
    }
    with pytest.raises(ConfigurationError) as caught:
        SigmaClient.from_env(environ=environ)
    assert PASSWORD not in str(caught.value)


# -- redirects ---------------------------------------------------------------------------------


def test_api_redirect_to_plain_http_is_refused(mock: respx.MockRouter) -> None:
    """With follow_redirects on, a redirect to http:// elsewhere raises InsecureTransportError before the hop."""
    elsewhere = mock.get("http://evil.test/v2/members").respond(200, json={})
    mock.get(f"{BASE_URL}/v2/members").respond(302, headers={"Location": "http://evil.test/v2/members"})
    with redirecting_client() as client, pytest.raises(InsecureTransportError) as caught:
        client.request("GET", "/v2/members")
    assert str(caught.value) == HTTP_REFUSAL.format(purpose="a redirected request", host="evil.test")
    assert elsewhere.call_count == 0


def test_api_redirect_downgrading_own_host_is_refused(mock: respx.MockRouter) -> None:
    """A redirect from https to http on the API's own host is refused too (the token would travel in clear)."""
    downgraded = mock.get("http://api.sigma.test/v2/members").respond(200, json={})
    mock.get(f"{BASE_URL}/v2/members").respond(301, headers={"Location": "http://api.sigma.test/v2/members"})
    with redirecting_client() as client, pytest.raises(InsecureTransportError):
        client._send({"method": "GET", "url": "/v2/members"})
    assert downgraded.call_count == 0


async def test_cross_origin_https_redirect_drops_the_token(mock: respx.MockRouter) -> None:
    """A GET redirected to another https host (a download CDN) is followed without the Authorization header."""
    cdn = mock.get("https://cdn.test/file.csv").respond(200, content=b"a,b\n")
    mock.get(f"{BASE_URL}/v2/query/q1/download").respond(302, headers={"Location": "https://cdn.test/file.csv"})
    async with redirecting_client() as client:
        response = await client._asend({"method": "GET", "url": "/v2/query/q1/download"})
    assert response.content == b"a,b\n"
    assert "authorization" not in cdn.calls.last.request.headers


def test_post_redirect_to_another_host_is_refused(mock: respx.MockRouter) -> None:
    """A 307 that would resend a POST body to another host raises InsecureTransportError."""
    elsewhere = mock.post("https://other.test/v2/things").respond(201, json={})
    mock.post(f"{BASE_URL}/v2/things").respond(307, headers={"Location": "https://other.test/v2/things"})
    with redirecting_client() as client, pytest.raises(InsecureTransportError) as caught:
        client._send({"method": "POST", "url": "/v2/things", "json": {"name": "x"}})
    assert str(caught.value) == (
        "Refusing to follow a redirect to 'other.test': a POST with its body or credentials goes only to the "
        "configured Sigma API"
    )
    assert elsewhere.call_count == 0


# -- hops made outside the SDK's own calls ----------------------------------------------------


def test_hops_are_checked_on_the_raw_httpx_client(mock: respx.MockRouter) -> None:
    """get_httpx_client() cannot send the bearer token to another host either."""
    elsewhere = mock.get("https://other.test/x").respond(200)
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client, pytest.raises(InsecureTransportError):
        client.get_httpx_client().get("https://other.test/x")
    assert elsewhere.call_count == 0
    assert isinstance(httpx.URL(BASE_URL), httpx.URL)


# -- one policy module, and the words each entry point refuses with ---------------------------


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
    assert str(caught.value) == HTTP_REFUSAL.format(purpose="client credentials", host="api.sigma.test")


def test_client_refuses_a_plain_http_base_url_in_the_policy_words() -> None:
    """SigmaClient on an http, non-loopback base URL raises InsecureTransportError naming the token."""
    with pytest.raises(InsecureTransportError) as caught:
        SigmaClient("http://api.sigma.test", CLIENT_ID, CLIENT_SECRET)
    assert str(caught.value) == HTTP_REFUSAL.format(purpose="Sigma access tokens", host="api.sigma.test")


def test_auth_refuses_to_sign_a_plain_http_request(mock: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """A request to http, non-loopback through a bare SigmaAuth fails before a token is fetched."""
    auth = SigmaAuth(CLIENT_ID, CLIENT_SECRET, base_url=BASE_URL)
    with httpx.Client(auth=auth) as http, pytest.raises(InsecureTransportError) as caught:
        http.get("http://api.sigma.test/v2/members")
    assert str(caught.value) == HTTP_REFUSAL.format(purpose="a Sigma access token", host="api.sigma.test")
    assert fake_sigma.token_requests == []


def test_token_redirect_is_refused_in_the_policy_words() -> None:
    """A 3xx from the token endpoint raises InsecureTransportError naming the target host, never following it."""
    with respx.mock(assert_all_called=False) as router:
        elsewhere = router.post("https://evil.test/token").respond(200, json={})
        router.post(f"{BASE_URL}/v2/auth/token").respond(307, headers={"Location": "https://evil.test/token"})
        with redirecting_client() as client, pytest.raises(InsecureTransportError) as caught:
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
