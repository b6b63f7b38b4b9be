"""SigmaClient: base URLs and regions, constructors and options, derived clients, pools, lifecycle, event loops."""

from __future__ import annotations

import asyncio
import enum
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
import respx

from sigma_sdk_auth import (
    DEFAULT_TIMEOUT,
    ConfigurationError,
    InternalServerError,
    SigmaClient,
)
from sigma_sdk_auth._error_responses import raise_for_status
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeSigma, RecordedSleeps


class Region(enum.StrEnum):
    """Shaped like the generated sigma_sdk.regions.Region."""

    GCP_US = "https://api.sigmacomputing.com"
    GCP_KSA = "https://api.sa.gcp.sigmacomputing.com"
    AWS_US_EAST = "https://api.us-a.aws.sigmacomputing.com"
    AWS_AUSTRALIA_AND_APAC = "https://api.au.aws.sigmacomputing.com"


class Client(SigmaClient):
    regions: ClassVar[type[Region]] = Region


@pytest.fixture
def router(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=fake_sigma.handle)
        yield router


def get(client: SigmaClient, path: str = "/v2/connections") -> httpx.Response:
    return client._send({"method": "get", "url": path})


# -- base URL and regions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["aws-us-east", "AWS_US_EAST", "aws us east", "Aws-Us_East", "  aws--us east ", Region.AWS_US_EAST],
)
def test_region_names(name: str) -> None:
    """Region names are case-insensitive with -, _ and spaces equivalent; a Region member works too."""
    assert Client(name, CLIENT_ID, CLIENT_SECRET).base_url == "https://api.us-a.aws.sigmacomputing.com"


def test_generated_region_urls_are_clean() -> None:
    """The spec's KSA URL (published as ' https://…') reaches the generated Region already stripped, by the pass."""
    generated = pytest.importorskip("sigma_sdk.regions")
    assert generated.Region.GCP_KSA.value == "https://api.sa.gcp.sigmacomputing.com"
    assert all(member.value == member.value.strip() for member in generated.Region)


def test_unknown_region_lists_valid_names() -> None:
    """An unknown region is a ValueError listing every valid name."""
    with pytest.raises(ValueError, match="unknown Sigma region 'aws-mars'") as info:
        Client("aws-mars", CLIENT_ID, CLIENT_SECRET)
    for name in ("gcp-us", "gcp-ksa", "aws-us-east", "aws-australia-and-apac"):
        assert name in str(info.value)


def test_base_class_accepts_only_urls() -> None:
    """Without a regions enum, a non-URL base_url is refused with a hint."""
    with pytest.raises(ConfigurationError, match="not a URL"):
        SigmaClient("aws-us-east", CLIENT_ID, CLIENT_SECRET)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.sigma.test/", "https://api.sigma.test"),
        (" https://api.sigma.test ", "https://api.sigma.test"),
        ("https://proxy.test/sigma/", "https://proxy.test/sigma"),
    ],
)
def test_url_normalisation(url: str, expected: str) -> None:
    """URLs are trimmed and lose a trailing slash; the token URL follows the base URL."""
    client = Client(url, CLIENT_ID, CLIENT_SECRET)
    assert client.base_url == expected
    assert str(client.auth.token_url) == expected + "/v2/auth/token"


@pytest.mark.parametrize("url", ["ftp://files.test", "https://", "https://exa mple.com:99999"])
def test_bad_urls(url: str) -> None:
    """Non-http(s) schemes, missing hosts and invalid URLs are ConfigurationErrors."""
    with pytest.raises(ConfigurationError):
        Client(url, CLIENT_ID, CLIENT_SECRET)


# -- constructors --------------------------------------------------------------------------------


def test_from_env_with_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """from_env reads SIGMA_REGION/ID/SECRET from os.environ and resolves the region on the subclass."""
    monkeypatch.delenv("SIGMA_BASE_URL", raising=False)
    monkeypatch.setenv("SIGMA_REGION", "gcp_us")
    monkeypatch.setenv("SIGMA_CLIENT_ID", "env-client")
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", CLIENT_SECRET)
    client = Client.from_env(max_retries=0)
    assert isinstance(client, Client)
    assert (client.base_url, client.client_id, client.max_retries) == (
        "https://api.sigmacomputing.com",
        "env-client",
        0,
    )


def test_from_env_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """from_env names the missing variable."""
    for name in ("SIGMA_BASE_URL", "SIGMA_REGION", "SIGMA_CLIENT_ID", "SIGMA_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIGMA_BASE_URL", BASE_URL)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", CLIENT_SECRET)
    with pytest.raises(ConfigurationError, match="SIGMA_CLIENT_ID"):
        Client.from_env()


def test_from_env_unknown_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad SIGMA_REGION value gets the same valid-names error as the constructor."""
    env = {"SIGMA_REGION": "moon", "SIGMA_CLIENT_ID": "c", "SIGMA_CLIENT_SECRET": CLIENT_SECRET}
    with pytest.raises(ValueError, match="unknown Sigma region 'moon'"):
        Client.from_env(environ=env)


def test_from_env_file(tmp_path: Path) -> None:
    """from_env(env_file=...) reads a .env file."""
    path = tmp_path / ".env"
    path.write_text(f'SIGMA_REGION="AWS US East"\nSIGMA_CLIENT_ID=c\nSIGMA_CLIENT_SECRET={CLIENT_SECRET}\n')
    assert Client.from_env(env_file=path, environ={}).base_url == "https://api.us-a.aws.sigmacomputing.com"


def test_from_postman_environment(tmp_path: Path, router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """A client from a Postman export authenticates at its tokenBaseURL."""
    path = tmp_path / "env.json"
    values = [
        {"key": "baseUrl", "value": BASE_URL, "enabled": True},
        {"key": "tokenBaseURL", "value": "{{baseUrl}}/v2/auth/token", "enabled": True},
        {"key": "clientID", "value": CLIENT_ID, "enabled": True},
        {"key": "secret", "value": CLIENT_SECRET, "enabled": True, "type": "secret"},
    ]
    path.write_text(json.dumps({"name": "Sigma", "values": values}))
    with Client.from_postman_environment(path) as client:
        assert get(client).status_code == 200
    assert str(client.auth.token_url) == f"{BASE_URL}/v2/auth/token"
    assert fake_sigma.grants() == ["client_credentials"]


def test_from_postman_environment_bad_file(tmp_path: Path) -> None:
    """A broken Postman file fails with ConfigurationError before any client exists."""
    path = tmp_path / "env.json"
    path.write_text("{not json")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        Client.from_postman_environment(path)


# -- options, pools, lifecycle -------------------------------------------------------------------


def test_defaults() -> None:
    """Default timeout is 60 s read / 10 s connect and default retries are 2."""
    client = SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET)
    assert client.timeout == DEFAULT_TIMEOUT == httpx.Timeout(60.0, connect=10.0)
    assert client.max_retries == 2
    assert client.get_httpx_client().timeout == DEFAULT_TIMEOUT
    client.close()


def test_reserved_httpx_args_are_refused() -> None:
    """httpx_args cannot override base_url, auth, timeout or transport behind the client's back."""
    for key in ("base_url", "auth", "timeout", "transport"):
        with pytest.raises(ConfigurationError, match=key):
            SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, httpx_args={key: None})


@pytest.mark.parametrize("value", [-1, 1.5, True, "2"])
def test_bad_max_retries_is_a_configuration_error(value: object) -> None:
    """max_retries must be an int >= 0: anything else raises ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match="max_retries"):
        SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, max_retries=value)  # type: ignore[arg-type]
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client, pytest.raises(ConfigurationError):
        client.with_options(max_retries=value)  # type: ignore[arg-type]


def test_httpx_args_and_user_agent(router: respx.MockRouter) -> None:
    """httpx_args reach the httpx clients; a sigma-sdk User-Agent is sent unless overridden."""
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, httpx_args={"headers": {"X-Team": "data"}}) as client:
        response = get(client)
    assert response.request.headers["x-team"] == "data"
    assert response.request.headers["user-agent"].startswith("sigma-sdk-python/")


def test_with_options_shares_token_and_pool(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """with_options() changes timeout/retries per call but reuses the token and the root's connection pool."""
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        get(client)
        slow = client.with_options(timeout=300, max_retries=0)
        response = get(slow)
        assert slow.timeout == httpx.Timeout(300)
        assert response.request.extensions["timeout"]["read"] == 300
        assert get(client).request.extensions["timeout"] == DEFAULT_TIMEOUT.as_dict()
        assert (slow.max_retries, client.max_retries) == (0, 2)
        assert client.timeout == DEFAULT_TIMEOUT
        assert slow.auth is client.auth
        assert slow._root is client
        assert slow._pools is client._pools
    assert fake_sigma.grants() == ["client_credentials"]


def test_derived_client_is_a_real_copy(router: respx.MockRouter) -> None:
    """A derived client is an instance of the subclass with every attribute copied, no hand-kept list."""

    class Tagged(SigmaClient):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.tag = "team-data"

    with Tagged(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        derived = client.with_options(timeout=5).impersonate("ada@example.com")
        assert isinstance(derived, Tagged)
        assert derived.tag == "team-data"
        assert derived._root is client  # a client derived from a derived client still hangs off the root
        assert (derived.timeout, derived.base_url) == (httpx.Timeout(5), client.base_url)


def test_with_options_retry_budget_is_used(
    router: respx.MockRouter, fake_sigma: FakeSigma, recorded_sleeps: RecordedSleeps
) -> None:
    """_send retries with the client's policy: 0 retries -> 1 attempt, default -> 3 attempts."""
    router.routes.clear()
    flaky = router.get("/v2/flaky").respond(503, json={"message": "busy"})
    router.route().mock(side_effect=fake_sigma.handle)
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, retry_policy=recorded_sleeps.policy()) as client:
        with pytest.raises(InternalServerError, match="busy"):
            raise_for_status(get(client.with_options(max_retries=0), "/v2/flaky"))
        assert flaky.call_count == 1
        assert get(client, "/v2/flaky").status_code == 503  # returned after the retry budget
    assert flaky.call_count == 1 + 3
    assert len(recorded_sleeps) == 2  # the derived client kept the root's sleep hooks


def test_impersonated_client_shares_the_pool(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """impersonate() returns a client of the same class that sends as the user through the root's pool."""
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        user = client.impersonate("ada@example.com")
        assert isinstance(user, Client)
        response = user.request("GET", "/v2/whoami")
        assert response.request.headers["authorization"] == "Bearer imp-2-tok"
        assert get(client).request.headers["authorization"] == "Bearer access-1-tok"
        assert user._root is client
        assert user._pools is client._pools


def test_derived_client_has_no_httpx_client_of_its_own(router: respx.MockRouter) -> None:
    """get_httpx_client() on a derived client raises ConfigurationError: the shared pool authenticates as the root."""
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        for derived in (client.impersonate("ada@example.com"), client.with_options(timeout=5)):
            with pytest.raises(ConfigurationError, match="root client"):
                derived.get_httpx_client()
            with pytest.raises(ConfigurationError, match="root client"):
                derived.get_async_httpx_client()


async def test_async_send_and_token_shared_with_sync(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """_asend works, and sync and async calls on one client share one token."""
    async with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        assert get(client).status_code == 200
        response = await client._asend({"method": "get", "url": "/v2/connections"})
        assert response.status_code == 200
        derived = client.with_options(timeout=5)
        assert (await derived._asend({"method": "get", "url": "/v2/x"})).status_code == 200
    assert fake_sigma.grants() == ["client_credentials"]


def test_context_manager_closes_pools(router: respx.MockRouter) -> None:
    """Leaving the with-block closes the pool; using the client afterwards is an error, not a silent reopen."""
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        http = client.get_httpx_client()
        get(client)
    assert http.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        client.get_httpx_client()


async def test_async_context_manager_closes_both_pools(router: respx.MockRouter) -> None:
    """async with closes the async pool and the sync one."""
    async with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        sync_http = client.get_httpx_client()
        async_http = client.get_async_httpx_client()
    assert sync_http.is_closed
    assert async_http.is_closed


def test_closing_a_derived_client_leaves_the_root_open(router: respx.MockRouter) -> None:
    """A derived client borrows the root's pool, so closing it does not close the root."""
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        with client.with_options(timeout=5) as derived:
            get(derived)
        assert get(client).status_code == 200
        assert not client.get_httpx_client().is_closed


def test_lazy_clients_are_created_once(router: respx.MockRouter) -> None:
    """get_httpx_client() / get_async_httpx_client() return the same objects every time."""
    client = SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET)
    assert client._pools._sync is None
    assert client.get_httpx_client() is client.get_httpx_client()
    assert client.get_async_httpx_client() is client.get_async_httpx_client()
    client.close()


def test_end_to_end_against_local_server(sigma_server: tuple[str, FakeSigma]) -> None:
    """Over real HTTP on 127.0.0.1 (allowed plain http), the client authenticates and calls the API."""
    base_url, fake = sigma_server
    with SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET) as client:
        responses = [get(client, f"/v2/items/{i}") for i in range(3)]
    assert [r.status_code for r in responses] == [200] * 3
    assert fake.grants() == ["client_credentials"]


def test_generated_client_resolves_every_spec_region() -> None:
    """The generated sigma_sdk.Client resolves each region of the spec by its hyphenated name."""
    generated = pytest.importorskip("sigma_sdk.client")
    regions = generated.Client.regions
    assert len(regions) >= 12
    for member in regions:
        name = member.name.lower().replace("_", "-")
        client = generated.Client(name, CLIENT_ID, CLIENT_SECRET)
        assert client.base_url == member.value
        assert client.base_url.startswith("https://")


# -- event loops -------------------------------------------------------------------------------


async def _get_items(client: SigmaClient, count: int) -> list[int]:
    calls = (client._asend({"method": "GET", "url": f"/v2/items/{i}"}) for i in range(count))
    return [response.status_code for response in await asyncio.gather(*calls)]


def test_client_survives_two_asyncio_runs(sigma_server: tuple[str, FakeSigma]) -> None:
    """One client serves a second asyncio.run() after the first loop closed (keep-alive connections and all)."""
    base_url, _ = sigma_server
    client = SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET)
    assert asyncio.run(_get_items(client, 2)) == [200, 200]
    assert asyncio.run(_get_items(client, 2)) == [200, 200]
    client.close()


def test_client_serves_several_loops_at_once(sigma_server: tuple[str, FakeSigma]) -> None:
    """Loops in four threads use one client concurrently; every call succeeds, none fails inside httpx."""
    base_url, _ = sigma_server
    client = SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET)
    results: list[object] = []
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        try:
            for _ in range(3):
                results.append(asyncio.run(_get_items(client, 5)))
        except Exception as exc:  # collected, so the assertion shows what went wrong
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [[200] * 5] * 12
    client.close()


async def test_aclose_closes_the_running_loops_pool(sigma_server: tuple[str, FakeSigma]) -> None:
    """aclose() closes the async pool of the loop it runs on; the client then refuses further calls."""
    base_url, _ = sigma_server
    client = SigmaClient(base_url, CLIENT_ID, CLIENT_SECRET)
    assert await _get_items(client, 1) == [200]
    pool = client.get_async_httpx_client()
    await client.aclose()
    assert pool.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        await _get_items(client, 1)
