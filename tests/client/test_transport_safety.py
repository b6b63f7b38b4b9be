"""Where credentials may travel: never in the base URL, never along a redirect or a raw hop to another origin
or to plain http."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from sigma_sdk_auth import ConfigurationError, InsecureTransportError, SigmaClient
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeSigma

PASSWORD = "pw-Zq7-secret"


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
    with redirecting_client() as client, pytest.raises(InsecureTransportError, match=r"evil\.test"):
        client._send({"method": "GET", "url": "/v2/members"})
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
    with redirecting_client() as client, pytest.raises(InsecureTransportError):
        client._send({"method": "POST", "url": "/v2/things", "json": {"name": "x"}})
    assert elsewhere.call_count == 0


# -- hops made outside the SDK's own calls ----------------------------------------------------


def test_hops_are_checked_on_the_raw_httpx_client(mock: respx.MockRouter) -> None:
    """get_httpx_client() cannot send the bearer token to another host either."""
    elsewhere = mock.get("https://other.test/x").respond(200)
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client, pytest.raises(InsecureTransportError):
        client.get_httpx_client().get("https://other.test/x")
    assert elsewhere.call_count == 0
    assert isinstance(httpx.URL(BASE_URL), httpx.URL)
