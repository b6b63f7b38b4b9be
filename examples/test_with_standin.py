"""Testing your own code that uses sigma_sdk, against a local fake of Sigma: no credentials, no network.

Run it:  pytest examples/test_with_standin.py

The two functions at the top stand for your code; the tests below show the testing aid's main
moves: a server per test, faults injected, tokens expiring, exports with 204s, and inspection of
what your code sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sigma_sdk import Client
from sigma_sdk.api.connections import list_connections
from sigma_sdk.api.workbooks import export_workbook
from sigma_sdk.models import ExportElement
from sigma_sdk.testing import StandinServer, run_standin

# -- your code ------------------------------------------------------------------------------------


def snowflake_connection_names(client: Client) -> list[str]:
    """Names of every Snowflake connection, across all pages."""
    return [c.name for c in list_connections.iterate(client=client, limit=25) if c.type_ == "snowflake"]


def export_element_csv(client: Client, workbook_id: str, element_id: str, to: Path, poll_every: float = 0.01) -> Path:
    """Export one element as CSV: start the export, poll the download while it answers 204, save the file."""
    body = ExportElement.from_dict({"elementId": element_id, "format": {"type": "csv"}})
    query_id = export_workbook.sync(workbook_id, client=client, body=body).query_id
    http = client.get_httpx_client()  # authenticated: the same token and refresh as the typed calls
    while (response := http.get(f"/v2/query/{query_id}/download")).status_code == 204:
        time.sleep(poll_every)
    response.raise_for_status()
    to.write_bytes(response.content)
    return to


# -- your tests -----------------------------------------------------------------------------------

CLIENT_ID, CLIENT_SECRET = "my-ci-client", "my-ci-secret-not-a-real-one"


@pytest.fixture
def sigma() -> Iterator[StandinServer]:
    """A fake Sigma on 127.0.0.1 for one test; it stops with the test (or after 60 s at the latest)."""
    with run_standin(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, max_lifetime=60) as server:
        yield server


@pytest.fixture
def client(sigma: StandinServer) -> Iterator[Client]:
    with Client(sigma.base_url, CLIENT_ID, CLIENT_SECRET, httpx_args={"trust_env": False}) as client:
        yield client


def test_lists_every_snowflake_connection(client: Client, sigma: StandinServer) -> None:
    """All pages are read: the names match the stand-in's seeded Snowflake connections."""
    expected = [c["name"] for c in sigma.connections(include_archived=False) if c["type"] == "snowflake"]
    assert snowflake_connection_names(client) == expected
    assert len(sigma.standin.requests_to("/v2/connections")) == 5  # 120 connections, 25 a page


def test_survives_a_flaky_sigma(client: Client, sigma: StandinServer) -> None:
    """Two 503s and a 429 on the list endpoint are retried by the SDK; your code sees none of them."""
    sigma.standin.inject("503", path="/v2/connections", times=2)
    sigma.standin.inject("429", path="/v2/connections")
    assert len(snowflake_connection_names(client.with_options(max_retries=3))) > 0
    assert [fault for *_, fault in sigma.standin.faults()] == ["503", "503", "429"]


def test_survives_token_expiry(client: Client, sigma: StandinServer) -> None:
    """When Sigma expires the token mid-run, the SDK refreshes it (rotating the refresh token) and goes on."""
    snowflake_connection_names(client)
    sigma.expire_access_tokens()
    snowflake_connection_names(client)
    assert sigma.grants() == ["client_credentials", "refresh_token"]


def test_exports_an_element_after_the_204s(client: Client, sigma: StandinServer, tmp_path: Path) -> None:
    """The export is polled through its 204s and the CSV lands on disk."""
    sigma.standin.export_polls = 3
    workbook_id = sigma.standin.workbooks()[0]["workbookId"]
    saved = export_element_csv(client, workbook_id, "element-1", tmp_path / "out.csv")
    assert saved.read_text().startswith("row,workbook,value\n")
    (job,) = sigma.standin.exports()
    assert job.polls == 4  # three 204s, then the file
