"""Fixtures and helpers for the fake's tests: the stand-in in-process, and served over HTTP on 127.0.0.1.

In-process (``standin``, ``http``, ``client``) is fast and what most tests use; ``server`` and
``wire`` (raw httpx over a real socket, no bearer) pin what goes over the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.testing import SigmaStandin, StandinServer

CLIENT_ID = "standin-test-client"
CLIENT_SECRET = "standin-test-secret-Zq8"
SECRET = "testing-aid-secret-Qm4"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
ENCRYPTED_KEY = KEY.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")


@pytest.fixture
def standin() -> SigmaStandin:
    return SigmaStandin(client_secret=SECRET)


@pytest.fixture
def client(standin: SigmaStandin) -> Iterator[Client]:
    transport = standin.transport()
    with Client("http://127.0.0.1", standin.client_id, SECRET, transport=transport, async_transport=transport) as c:
        yield c


@pytest.fixture
def http(standin: SigmaStandin) -> httpx.Client:
    """Raw httpx in-process, already holding a bearer token."""
    raw = httpx.Client(base_url="http://127.0.0.1", transport=standin.transport())
    token = standin.issue()["access_token"]
    raw.headers["Authorization"] = f"Bearer {token}"
    return raw


@pytest.fixture
def server() -> Iterator[StandinServer]:
    with StandinServer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, max_lifetime=30) as running:
        yield running


@pytest.fixture(scope="module")
def _wire_client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5, trust_env=False) as client:  # one client: creating one costs ~0.1 s
        yield client


@pytest.fixture
def wire(_wire_client: httpx.Client, server: StandinServer) -> httpx.Client:
    """Raw httpx over HTTP to ``server``, without a bearer token (see :func:`bearer`)."""
    _wire_client.base_url = httpx.URL(server.base_url)
    return _wire_client


def token(http: httpx.Client, **form: str) -> httpx.Response:
    return http.post("/v2/auth/token", data=form)


def login(http: httpx.Client) -> dict[str, Any]:
    response = token(http, grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def bearer(http: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(http)['access_token']}"}


def assert_sigma_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"message", "code", "requestId"}
    assert body["code"] == code
    assert body["message"]
    assert body["requestId"] == response.headers["x-request-id"]


def snowflake_body(**details: Any) -> dict[str, Any]:
    base = {"type": "snowflake", "account": "acme-xy12345", "user": "SIGMA_SERVICE", "authType": "key-pair"}
    return {"name": "Snowflake (key pair)", "details": {**base, "privateKey": KEY, **details}}


def export(http: httpx.Client, workbook_id: str, **body: Any) -> httpx.Response:
    return http.post(f"/v2/workbooks/{workbook_id}/export", json={"format": {"type": "csv"}, **body})
