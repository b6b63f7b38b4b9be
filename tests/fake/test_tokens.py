"""The local fake of Sigma (``sigma_sdk.testing``) that users' tests, the examples and the demo use.

Raw HTTP (httpx without the SDK) pins the wire behaviour; the generated models and Sigma's spec
check that every body the stand-in sends has Sigma's shape.
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Final

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.api.connections import get_connection
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.errors import NotFoundError
from sigma_sdk.models import AccessRefreshToken, Connection, ListConnectionsResponse, WhoAmIResponse
from sigma_sdk.testing import StandinServer, run_standin

from .._samples import iter_operation_schemas, lenient_spec, validate
from .._spec import load_spec

CLIENT_ID = "standin-test-client"
CLIENT_SECRET = "standin-test-secret-Zq8"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
ENCRYPTED_KEY = KEY.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")


@pytest.fixture
def server() -> Iterator[StandinServer]:
    with StandinServer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, max_lifetime=30) as running:
        yield running


@pytest.fixture(scope="module")
def _http_client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5, trust_env=False) as client:  # one client: creating one costs ~0.1 s
        yield client


@pytest.fixture
def http(_http_client: httpx.Client, server: StandinServer) -> httpx.Client:
    _http_client.base_url = httpx.URL(server.base_url)
    return _http_client


def _token(http: httpx.Client, **form: str) -> httpx.Response:
    return http.post("/v2/auth/token", data=form)


def _login(http: httpx.Client) -> dict[str, Any]:
    response = _token(http, grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _bearer(http: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {_login(http)['access_token']}"}


def _assert_sigma_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"message", "code", "requestId"}
    assert body["code"] == code
    assert body["message"]
    assert body["requestId"] == response.headers["x-request-id"]


def _snowflake_body(**details: Any) -> dict[str, Any]:
    base = {"type": "snowflake", "account": "acme-xy12345", "user": "SIGMA_SERVICE", "authType": "key-pair"}
    return {"name": "Snowflake (key pair)", "details": {**base, "privateKey": KEY, **details}}


# -- tokens -----------------------------------------------------------------------------------


def test_client_credentials_grant_issues_bearer_tokens_for_an_hour(http: httpx.Client) -> None:
    """client_credentials with the configured ID/secret gives an access and a refresh token, expires_in 3600."""
    body = _login(http)
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 3600)
    assert AccessRefreshToken.from_dict(body).access_token == body["access_token"]


def test_client_credentials_may_come_as_http_basic(http: httpx.Client) -> None:
    """The client ID and secret are accepted as HTTP Basic as well as in the form body."""
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = http.post(
        "/v2/auth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("client_id", "client_secret"), [(CLIENT_ID, "wrong"), ("someone-else", CLIENT_SECRET), (CLIENT_ID, "")]
)
def test_wrong_client_credentials_are_401_with_sigma_error_body(
    http: httpx.Client, client_id: str, client_secret: str
) -> None:
    """A wrong client ID or secret answers 401 {message, code: "unauthorized", requestId}."""
    response = _token(http, grant_type="client_credentials", client_id=client_id, client_secret=client_secret)
    _assert_sigma_error(response, 401, "unauthorized")


def test_refresh_token_grant_rotates_the_refresh_token(http: httpx.Client) -> None:
    """A refresh grant returns new tokens; the used refresh token is spent and then answers 401."""
    first = _login(http)
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    refreshed = _token(http, grant_type="refresh_token", refresh_token=first["refresh_token"], **creds)
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    again = _token(http, grant_type="refresh_token", refresh_token=first["refresh_token"], **creds)
    _assert_sigma_error(again, 401, "unauthorized")


@pytest.mark.parametrize("form", [{}, {"grant_type": "password"}, {"grant_type": "urn:ietf:params:oauth:grant-type:x"}])
def test_missing_or_unsupported_grant_is_400(http: httpx.Client, form: dict[str, str]) -> None:
    """A token request without a supported grant_type answers 400 with Sigma's error body."""
    _assert_sigma_error(_token(http, **form, client_id=CLIENT_ID, client_secret=CLIENT_SECRET), 400, "bad_request")


# -- bearer check -----------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc", "Bearer"])
@pytest.mark.parametrize("path", ["/v2/whoami", "/v2/connections", "/v2/connections/x", "/v2/no-such-path"])
def test_requests_without_a_valid_bearer_are_401(http: httpx.Client, authorization: str | None, path: str) -> None:
    """Every path but the token endpoint needs a valid bearer token (checked before routing)."""
    headers = {"Authorization": authorization} if authorization else {}
    _assert_sigma_error(http.get(path, headers=headers), 401, "unauthorized")


def test_expired_access_token_is_401_and_the_sdk_recovers(server: StandinServer) -> None:
    """An expired access token answers 401; the SDK then refreshes (rotating) and retries once."""
    with Client(server.base_url, CLIENT_ID, CLIENT_SECRET, httpx_args={"trust_env": False}) as client:
        first = who_am_i.sync(client=client)
        server.expire_access_tokens()
        assert who_am_i.sync(client=client) == first
    assert server.grants() == ["client_credentials", "refresh_token"]
    assert [status for method, path, status in server.requests if path == "/v2/whoami"] == [200, 401, 200]


# -- whoami and connections -------------------------------------------------------------------


def test_whoami_names_the_user_and_organization(http: httpx.Client, server: StandinServer) -> None:
    """GET /v2/whoami answers {userId, organizationId} (parsed by WhoAmIResponse)."""
    me = WhoAmIResponse.from_dict(http.get("/v2/whoami", headers=_bearer(http)).json())
    assert (me.user_id, me.organization_id) == (server.user_id, server.organization_id)


def test_list_connections_pages_with_an_opaque_cursor(http: httpx.Client) -> None:
    """limit=50 over 120 connections gives pages of 50, 50, 20; nextPage is opaque, then null."""
    headers = _bearer(http)
    sizes, ids, params = [], [], {"limit": "50"}
    while True:
        response = http.get("/v2/connections", params=params, headers=headers)
        assert response.status_code == 200
        page = ListConnectionsResponse.from_dict(response.json())
        assert page.total == 120
        sizes.append(len(page.entries))
        ids += [c.connection_id for c in page.entries]
        if page.next_page is None:
            break
        assert "50" not in page.next_page  # opaque, not a page number or an offset
        params = {"limit": "50", "page": page.next_page}
    assert sizes == [50, 50, 20]
    assert len(set(ids)) == 120


def test_list_connections_defaults_filters_and_archived(http: httpx.Client) -> None:
    """No limit gives 50; search filters by name; includeArchived=true adds the 4 archived ones."""
    headers = _bearer(http)
    default = http.get("/v2/connections", headers=headers).json()
    assert len(default["entries"]) == 50
    assert not any(c["isArchived"] for c in default["entries"])
    archived = http.get("/v2/connections", params={"includeArchived": "true", "limit": "1000"}, headers=headers).json()
    assert (archived["total"], archived["nextPage"]) == (124, None)
    found = http.get("/v2/connections", params={"search": "sample"}, headers=headers).json()
    assert [c["name"] for c in found["entries"]] == ["Sigma Sample Database"]
    assert found["entries"][0]["isSample"] is True


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "1001"}, {"limit": "2.5"}, {"limit": "ten"}, {"page": "not-a-cursor"}],
)
def test_list_connections_rejects_bad_limits_and_cursors(http: httpx.Client, params: dict[str, str]) -> None:
    """An out-of-range limit or a forged cursor answers 400 with Sigma's error body."""
    _assert_sigma_error(http.get("/v2/connections", params=params, headers=_bearer(http)), 400, "bad_request")


def test_a_cursor_only_works_for_its_own_query(http: httpx.Client) -> None:
    """A nextPage from one search is refused for another (400), like any foreign cursor."""
    headers = _bearer(http)
    cursor = http.get("/v2/connections", params={"limit": "5"}, headers=headers).json()["nextPage"]
    response = http.get("/v2/connections", params={"limit": "5", "search": "Finance", "page": cursor}, headers=headers)
    _assert_sigma_error(response, 400, "bad_request")


def test_create_snowflake_key_pair_connection(http: httpx.Client, server: StandinServer) -> None:
    """A valid key-pair body answers 201 with a Connection (no secrets echoed) that GET and List then show."""
    headers = _bearer(http)
    body = _snowflake_body(warehouse="COMPUTE_WH", role="SIGMA_ROLE", privateKeyPassphrase="pass-phrase-1")
    response = http.post("/v2/connections", json=body, headers=headers)
    assert response.status_code == 201
    assert "MIIEvQIBADANBgkq" not in response.text
    assert "pass-phrase-1" not in response.text
    created = Connection.from_dict(response.json())
    assert (created.type_, created.account, created.user, created.warehouse) == (
        "snowflake",
        "acme-xy12345",
        "SIGMA_SERVICE",
        "COMPUTE_WH",
    )
    fetched = http.get(f"/v2/connections/{created.connection_id}", headers=headers)
    assert Connection.from_dict(fetched.json()) == created
    listed = http.get("/v2/connections", params={"search": "key pair"}, headers=headers).json()["entries"]
    assert [c["connectionId"] for c in listed] == [created.connection_id]
    assert len(server.connections()) == 125


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ([], "body is not an object"),
        ({"details": _snowflake_body()["details"]}, "no name"),
        ({"name": "x"}, "no details"),
        (_snowflake_body(type="postgres"), "not Snowflake"),
        ({"name": "x", "details": {"type": "snowflake", "account": "acme", "user": "U"}}, "no credentials"),
        ({"name": "x", "details": {"type": "snowflake", "user": "U", "privateKey": KEY}}, "no account or host"),
        (_snowflake_body(privateKey="not a key"), "privateKey is not PEM"),
        (_snowflake_body(privateKey=ENCRYPTED_KEY), "encrypted key without passphrase"),
        (_snowflake_body(password="hunter2"), "key-pair with a password"),
        (_snowflake_body(authType="kerberos"), "unknown authType"),
        (_snowflake_body(user=7), "user is not a string"),
    ],
)
def test_create_connection_rejects_malformed_bodies(http: httpx.Client, body: Any, why: str) -> None:
    """A createConnection body that breaks the Snowflake shape answers 400 with Sigma's error body."""
    response = http.post("/v2/connections", json=body, headers=_bearer(http))
    _assert_sigma_error(response, 400, "bad_request")
    assert "MIIEvQIBADANBgkq" not in response.text, why  # never echoes key material


def test_unknown_connection_is_404_with_sigma_error_body(http: httpx.Client, server: StandinServer) -> None:
    """GET /v2/connections/{unknown} answers 404 {code: "not_found"}; the SDK raises NotFoundError."""
    _assert_sigma_error(http.get("/v2/connections/no-such-id", headers=_bearer(http)), 404, "not_found")
    client = Client(server.base_url, CLIENT_ID, CLIENT_SECRET, httpx_args={"trust_env": False})
    with client, pytest.raises(NotFoundError) as caught:
        get_connection.sync("no-such-id", client=client)
    assert (caught.value.code, caught.value.status_code) == ("not_found", 404)
    assert caught.value.request_id


def test_unknown_routes_are_404_and_wrong_methods_405(http: httpx.Client) -> None:
    """Unknown paths answer 404 and known paths with another method 405, both with Sigma's error body."""
    headers = _bearer(http)
    _assert_sigma_error(http.get("/v2/no-such-collection", headers=headers), 404, "not_found")
    _assert_sigma_error(http.delete("/v2/whoami", headers=headers), 405, "method_not_allowed")
    _assert_sigma_error(http.post("/v2/connections/abc", json={}, headers=headers), 405, "method_not_allowed")


def test_responses_match_the_spec_schemas(http: httpx.Client) -> None:
    """Token, whoami, list, create and get answers validate against Sigma's spec (Draft 2020-12)."""
    spec = lenient_spec(load_spec())
    schemas = {
        (op, where): schema
        for op, where, content_type, schema in iter_operation_schemas(spec)
        if content_type == "application/json"
    }
    error_schema = spec["components"]["responses"]["ApiError"]["content"]["application/json"]["schema"]
    token = _login(http)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    created = http.post("/v2/connections", json=_snowflake_body(), headers=headers).json()
    answers = [
        ("postToken", "response:200", token),
        ("whoAmI", "response:200", http.get("/v2/whoami", headers=headers).json()),
        ("listConnections", "response:200", http.get("/v2/connections", headers=headers).json()),
        (
            "listConnections",
            "response:200",
            http.get("/v2/connections?includeArchived=true&limit=1000", headers=headers).json(),
        ),
        ("createConnection", "response:201", created),
        (
            "getConnection",
            "response:200",
            http.get(f"/v2/connections/{created['connectionId']}", headers=headers).json(),
        ),
    ]
    for op, where, payload in answers:
        validate(spec, schemas[(op, where)], payload)
    validate(spec, error_schema, http.get("/v2/connections/nope", headers=headers).json())
    validate(spec, schemas[("createConnection", "request")], _snowflake_body())  # what the tests send is valid too


# -- lifecycle --------------------------------------------------------------------------------


def test_run_standin_yields_a_loopback_url_and_stops_on_exit() -> None:
    """run_standin() serves on 127.0.0.1 at a free port and refuses connections once the block ends."""
    with run_standin(client_secret=CLIENT_SECRET, max_lifetime=30) as server:
        base_url = server.base_url
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base_url}/v2/whoami", timeout=5, trust_env=False).status_code == 401
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/v2/whoami", timeout=5, trust_env=False)


def test_stops_by_itself_after_its_time_limit() -> None:
    """A server nobody stops shuts itself down after max_lifetime seconds."""
    server = StandinServer(client_secret=CLIENT_SECRET, max_lifetime=0.3).start()
    base_url = server.base_url
    assert server.wait_stopped(timeout=5)
    assert server.stopped_by_time_limit
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/v2/whoami", timeout=5, trust_env=False)
    server.stop()  # idempotent


_WHOAMI: Final = b"GET /v2/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _connect(server: StandinServer) -> socket.socket:
    """A raw HTTP/1.1 connection to ``server``: keep-alive, so it stays open between requests."""
    return socket.create_connection(("127.0.0.1", httpx.URL(server.base_url).port or 80), timeout=2)


def _read_answer(connection: socket.socket) -> bytes:
    """Read one whole answer (head and Content-Length body) off ``connection``; return its head."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    assert length is not None
    while len(body) < int(length[1]):
        body += connection.recv(4096)
    return head


def _threads_left(before: set[threading.Thread], within: float = 2.0) -> set[threading.Thread]:
    """Threads started since ``before`` that are still alive after up to ``within`` seconds."""
    deadline = time.monotonic() + within
    while (left := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


@pytest.mark.parametrize("stopped_by", ["stop", "time_limit"])
def test_stopping_closes_open_keep_alive_connections(stopped_by: str) -> None:
    """stop() and the time limit close keep-alive connections left open, and leave no handler thread behind."""
    before = set(threading.enumerate())
    server = StandinServer(client_secret=CLIENT_SECRET, max_lifetime=30 if stopped_by == "stop" else 0.5).start()
    with _connect(server) as connection:
        connection.sendall(_WHOAMI)
        assert _read_answer(connection).startswith(b"HTTP/1.1 401")
        if stopped_by == "stop":
            server.stop()
        else:
            assert server.wait_stopped(timeout=5)
        assert connection.recv(1) == b""  # end of file: the server closed this connection
    assert _threads_left(before) == set()


def test_stop_cuts_off_a_stalled_request_at_once() -> None:
    """A request in a stall when stop() runs gets no answer at once, and its handler thread ends."""
    before = set(threading.enumerate())
    server = StandinServer(client_secret=CLIENT_SECRET, max_lifetime=30, stall_seconds=30).start()
    server.standin.inject("stall")
    with _connect(server) as connection:
        connection.sendall(_WHOAMI)
        deadline = time.monotonic() + 2
        while not server.standin.faults() and time.monotonic() < deadline:  # until the stall has begun
            time.sleep(0.01)
        server.stop()
        try:
            answer = connection.recv(4096)
        except ConnectionResetError:  # closed with the request unread: a reset instead of end of file
            answer = b""
        assert answer == b""
    # The handler has finished when stop() returns; its thread may take a moment more to exit.
    assert _threads_left(before) == set()
    assert server.requests == [("GET", "/v2/whoami", 0)]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])  # noqa: S104 - refused
def test_binds_loopback_only(host: str) -> None:
    """Any non-loopback address is refused before a socket is opened."""
    with pytest.raises(ValueError, match="loopback"):
        StandinServer(host=host)


def test_repr_never_shows_the_secret() -> None:
    """repr() shows the URL and client ID, never the client secret."""
    with StandinServer(client_secret=CLIENT_SECRET, max_lifetime=30) as server:
        assert server.base_url in repr(server)
        assert CLIENT_SECRET not in repr(server)
