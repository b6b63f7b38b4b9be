"""Raw requests (client.request/stream/arequest/astream): endpoints the spec lacks, with the SDK's safety."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from sigma_sdk_auth import InternalServerError, InvalidArgumentError, NotFoundError, SigmaClient
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeSigma, Mode, RecordedSleeps


@pytest.fixture
def mock(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    """respx with Sigma's token endpoint served by the fake; each test adds the API routes it needs."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.post("/v2/auth/token").mock(side_effect=fake_sigma.handle)
        yield router


@pytest.fixture
def client(recorded_sleeps: RecordedSleeps) -> Iterator[SigmaClient]:
    with SigmaClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, retry_policy=recorded_sleeps.policy()) as client:
        yield client


async def call(mode: Mode, client: SigmaClient, method: str, path: str, **options: Any) -> httpx.Response:
    if mode == "sync":
        return client.request(method, path, **options)
    return await client.arequest(method, path, **options)


async def download(mode: Mode, client: SigmaClient, path: str) -> tuple[httpx.Response, bytes, bool]:
    """Stream ``path``; return the response, its body, and whether the body was still unread when yielded."""
    if mode == "sync":
        with client.stream("GET", path) as response:
            unread = not response.is_stream_consumed
            return response, b"".join(response.iter_bytes()), unread
    async with client.astream("GET", path) as response:
        unread = not response.is_stream_consumed
        return response, b"".join([chunk async for chunk in response.aiter_bytes()]), unread


class ClosingStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that records whether it was closed."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


# -- request / arequest --------------------------------------------------------------------------


async def test_request_retries_503_like_a_generated_get(
    mode: Mode, mock: respx.MockRouter, client: SigmaClient, recorded_sleeps: RecordedSleeps
) -> None:
    """A GET to a path the spec lacks is retried on 503 and returns the read 200 with the bearer token."""
    route = mock.get("/v2/not-in-the-spec").mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200, json={"lineage": []})]
    )
    response = await call(mode, client, "GET", "/v2/not-in-the-spec")
    assert response.json() == {"lineage": []}
    assert route.call_count == 3
    assert len(recorded_sleeps) == 2
    assert {c.request.headers["authorization"] for c in route.calls} == {"Bearer access-1-tok"}


async def test_request_404_raises_not_found_with_request_id(
    mode: Mode, mock: respx.MockRouter, client: SigmaClient
) -> None:
    """A 404 raises NotFoundError carrying Sigma's message and request id."""
    mock.get("/v2/not-in-the-spec").respond(404, json={"message": "no such thing", "requestId": "req-404"})
    with pytest.raises(NotFoundError) as caught:
        await call(mode, client, "GET", "/v2/not-in-the-spec")
    assert caught.value.request_id == "req-404"
    assert "no such thing" in str(caught.value)


async def test_request_post_is_not_retried_on_5xx(
    mode: Mode, mock: respx.MockRouter, client: SigmaClient, recorded_sleeps: RecordedSleeps
) -> None:
    """A raw POST follows the method rule: a 503 is raised at once, never resent."""
    route = mock.post("/v2/things").respond(503, json={"message": "busy"})
    with pytest.raises(InternalServerError):
        await call(mode, client, "POST", "/v2/things", json={"name": "x"})
    assert route.call_count == 1
    assert recorded_sleeps == []


async def test_request_options_reach_the_wire(mode: Mode, mock: respx.MockRouter, client: SigmaClient) -> None:
    """params, headers, json, content and timeout are sent as given."""
    route = mock.route(path="/v2/x").respond(200, json={})
    await call(mode, client, "PUT", "/v2/x", params={"limit": 5}, headers={"X-Test": "1"}, json={"a": 1}, timeout=7)
    await call(mode, client, "POST", "v2/x", content=b"raw")
    first, second = (c.request for c in route.calls)
    assert (first.method, first.url.params["limit"], first.headers["x-test"]) == ("PUT", "5", "1")
    assert first.content == b'{"a":1}'
    assert first.extensions["timeout"]["read"] == 7
    assert (second.method, second.content) == ("POST", b"raw")
    assert second.extensions["timeout"] == client.timeout.as_dict()  # the client's timeout by default


async def test_same_origin_absolute_url_is_accepted(mode: Mode, mock: respx.MockRouter, client: SigmaClient) -> None:
    """An absolute URL on the base URL's origin (default port spelled out or not) is sent."""
    route = mock.get("/v2/x").respond(200, json={})
    await call(mode, client, "GET", f"{BASE_URL}/v2/x")
    await call(mode, client, "GET", "HTTPS://API.SIGMA.TEST:443/v2/x")
    assert route.call_count == 2


@pytest.mark.parametrize(
    "path",
    [
        "https://other.host/v2/members",
        "//other.host/v2/members",
        "http://api.sigma.test/v2/members",
        "https://api.sigma.test:8443/v2/members",
        "https:other.host/v2/members",
        "https://alice:pw-secret@api.sigma.test/v2/members",
    ],
)
async def test_other_origins_are_refused(
    mode: Mode, mock: respx.MockRouter, client: SigmaClient, fake_sigma: FakeSigma, path: str
) -> None:
    """Another host, scheme or port, or userinfo, raises InvalidArgumentError before any request (token too)."""
    with pytest.raises(InvalidArgumentError) as caught:
        await call(mode, client, "GET", path)
    assert "pw-secret" not in str(caught.value)
    assert mock.calls.call_count == 0
    assert fake_sigma.token_requests == []


@pytest.mark.parametrize(
    "path",
    [
        "/v2/members/../connections",
        "/v2/./members",
        "/v2/members/%2e%2e",
        "/v2/%2E/x",
        "https://api.sigma.test/v2/members/../connections",  # httpx.URL would remove the '..' unseen
    ],
)
async def test_dot_segments_are_refused(mode: Mode, mock: respx.MockRouter, client: SigmaClient, path: str) -> None:
    """'.' and '..' segments, percent-encoded or not, raise InvalidArgumentError (they would reach another route)."""
    with pytest.raises(InvalidArgumentError, match=r"'\.' or '\.\.'"):
        await call(mode, client, "GET", path)
    assert mock.calls.call_count == 0


async def test_an_id_escaped_into_one_segment_is_sent(mode: Mode, mock: respx.MockRouter, client: SigmaClient) -> None:
    """A segment that only decodes to a path holding '..' ("a%2F..%2Fb", as path_segment escapes "a/../b") is sent."""
    sent: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.raw_path)
        return httpx.Response(200, json={})

    mock.route().mock(side_effect=answer)
    await call(mode, client, "GET", "/v2/workbooks/a%2F..%2Fb/lineage")
    assert sent == [b"/v2/workbooks/a%2F..%2Fb/lineage"]


def test_json_and_content_together_are_refused(client: SigmaClient) -> None:
    """Giving both a JSON body and raw content is an error naming both, not a silent choice."""
    with pytest.raises(InvalidArgumentError, match="json or content"):
        client.request("POST", "/v2/x", json={}, content=b"x")


def test_content_that_a_retry_could_not_resend_is_refused(client: SigmaClient) -> None:
    """An iterator as content raises InvalidArgumentError: a retry would send it spent, i.e. empty."""
    with pytest.raises(InvalidArgumentError, match="bytes or str"):
        client.request("PUT", "/v2/x", content=iter([b"payload"]))  # type: ignore[arg-type]


def test_unknown_option_is_refused(client: SigmaClient) -> None:
    """A misspelt option raises InvalidArgumentError naming it instead of being dropped."""
    with pytest.raises(InvalidArgumentError, match="parmas"):
        client.request("GET", "/v2/x", parmas={"a": 1})  # type: ignore[call-arg]


# -- stream / astream ----------------------------------------------------------------------------


async def test_stream_retries_503_then_streams(
    mode: Mode, mock: respx.MockRouter, client: SigmaClient, recorded_sleeps: RecordedSleeps
) -> None:
    """stream() retries a 503 (closing it), then yields the 200 unread and closes it on exit."""
    failed = ClosingStream(b'{"message": "busy"}')
    body = bytes(range(256)) * 64
    route = mock.get("/v2/query/q1/download").mock(
        side_effect=[httpx.Response(503, stream=failed), httpx.Response(200, content=body)]
    )
    response, data, unread = await download(mode, client, "/v2/query/q1/download")
    assert (data, unread, route.call_count, len(recorded_sleeps)) == (body, True, 2, 1)
    assert failed.closed
    assert response.is_closed
    assert route.calls[-1].request.headers["authorization"] == "Bearer access-1-tok"


async def test_stream_error_raises_typed_error_and_closes(
    mode: Mode, mock: respx.MockRouter, client: SigmaClient
) -> None:
    """A non-2xx stream raises the typed error with the body's message and request id; the body is closed."""
    body = ClosingStream(b'{"message": "export expired", "requestId": "req-7"}')
    mock.get("/v2/query/q1/download").mock(return_value=httpx.Response(404, stream=body))
    with pytest.raises(NotFoundError) as caught:
        await download(mode, client, "/v2/query/q1/download")
    assert (caught.value.message, caught.value.request_id) == ("export expired", "req-7")
    assert body.closed


async def test_stream_refuses_other_hosts(mode: Mode, mock: respx.MockRouter, client: SigmaClient) -> None:
    """stream() applies the same origin rule as request()."""
    with pytest.raises(InvalidArgumentError):
        await download(mode, client, "https://other.host/file.csv")
    assert mock.calls.call_count == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer someone-elses-token"},
        {"authorization": "Basic dXNlcjpwdw=="},
        httpx.Headers({"Proxy-Authorization": "Basic cHJveHk6cHc="}),
        [("X-Test", "1"), ("Cookie", "session=abc")],
    ],
)
async def test_credential_headers_are_refused(
    mode: Mode, mock: respx.MockRouter, client: SigmaClient, fake_sigma: FakeSigma, headers: Any
) -> None:
    """A caller's Authorization, Proxy-Authorization or Cookie raises InvalidArgumentError naming it, unsent."""
    with pytest.raises(InvalidArgumentError, match=r"headers may not set (authorization|proxy-authorization|cookie)"):
        await call(mode, client, "GET", "/v2/members", headers=headers)
    assert mock.calls.call_count == 0
    assert fake_sigma.token_requests == []


async def test_stream_refuses_credential_headers(mode: Mode, mock: respx.MockRouter, client: SigmaClient) -> None:
    """stream()/astream() refuse an Authorization header as request() does."""
    headers = {"Authorization": "Bearer t"}
    if mode == "sync":
        with pytest.raises(InvalidArgumentError, match="authorization"), client.stream("GET", "/v2/x", headers=headers):
            pass
    else:
        with pytest.raises(InvalidArgumentError, match="authorization"):
            async with client.astream("GET", "/v2/x", headers=headers):
                pass
    assert mock.calls.call_count == 0
