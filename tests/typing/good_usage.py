"""The README's usage of the SDK, written as a user would: ``mypy --strict`` and pyright (strict) find no errors.

``tests/typing/test_typing.py`` type-checks this file; nothing here talks to a server (the calls sit
in functions that only ``main()`` runs, and only when the file is executed directly). ``assert_type``
pins the type a user sees at each step, so an ``Any`` leaking out of the SDK fails the check.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import assert_type

from sigma_sdk import Client, Region
from sigma_sdk.api.connections import create_connection, list_connections
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.errors import JobTimeoutError, NotFoundError, RateLimitError, SigmaAPIError
from sigma_sdk.jobs import (
    ExportResult,
    MaterializationStatus,
    aexport_workbook,
    download_export,
    export_workbook,
    wait_for_materialization,
)
from sigma_sdk.models import (
    Connection,
    CreateConnectionRequest,
    ListConnectionsResponse,
    Member,
    SnowflakeKeyPairAuthentication,
    WhoAmIResponse,
)
from sigma_sdk.types import UNSET, Response, Unset


def make_clients() -> list[Client]:
    """Every way the README builds a client."""
    by_name = Client(base_url="aws-us-east", client_id="id", client_secret="secret")
    by_region = Client(base_url=Region.AWS_US_EAST, client_id="id", client_secret="secret")
    by_url = Client(base_url="https://api.sigmacomputing.com", client_id="id", client_secret="secret")
    tuned = Client(Region.AZURE_EUROPE, "id", "secret", timeout=30.0, max_retries=5)
    from_env = Client.from_env()
    from_env_file = Client.from_env(env_file=".env")
    from_postman = Client.from_postman_environment("Sigma.postman_environment.json")
    assert_type(from_env, Client)
    region_url: str = Region.AWS_US_EAST  # a StrEnum: usable wherever a URL string is
    base_url: str = by_region.base_url
    print(base_url, region_url, by_region.client_id)
    return [by_name, by_region, by_url, tuned, from_env, from_env_file, from_postman]


def who_am_i_and_list(client: Client) -> list[Connection]:
    """Who am I, one page, then every page."""
    me = who_am_i.sync(client=client)
    assert_type(me, WhoAmIResponse)
    user_id: str = me.user_id
    organization_id: str = me.organization_id
    print(user_id, organization_id)

    page = list_connections.sync(client=client, limit=50)
    assert_type(page, ListConnectionsResponse)
    entries: list[Connection] = page.entries
    next_page: str | Unset | None = page.next_page  # a last page may leave nextPage out
    if isinstance(next_page, str):
        following = list_connections.sync(client=client, limit=50, page=next_page, include_archived=True)
        entries = entries + following.entries

    everything = list(list_connections.iterate(client=client, search="Snowflake"))
    for connection in everything:
        assert_type(connection, Connection)
        connection_id: str = connection.connection_id
        name: str = connection.name
        is_sample: bool = connection.is_sample
        print(connection_id, name.upper(), is_sample, connection.last_active_at.isoformat())
        # Optional fields are `T | Unset`: a user must narrow them before use.
        if not isinstance(connection.warehouse, Unset):
            print(connection.warehouse.lower())
    return everything


async def list_async(client: Client) -> list[str]:
    """The async client: ``asyncio()`` and ``aiterate()``."""
    names: list[str] = []
    async with client:
        first = await list_connections.asyncio(client=client, limit=10)
        assert_type(first, ListConnectionsResponse)
        async for connection in list_connections.aiterate(client=client, limit=500):
            assert_type(connection, Connection)
            names.append(connection.name)
    return names


def create_snowflake_key_pair(client: Client, key_file: Path) -> str:
    """README step 4: a Snowflake key-pair connection from typed models."""
    details = SnowflakeKeyPairAuthentication(
        account="acme-xy12345",
        host="acme-xy12345.snowflakecomputing.com",
        warehouse="COMPUTE_WH",
        user="SIGMA_SERVICE",
        role="SIGMA_ROLE",
        auth_type="key-pair",
        private_key=key_file.read_text(),
        private_key_passphrase=os.environ.get("SNOWFLAKE_PASSPHRASE", ""),
    )
    assert details.type_ == "snowflake"  # filled in for the user
    request = CreateConnectionRequest(name="Snowflake (key pair)", details=details, timeout_secs=120)
    created = create_connection.sync(client=client, body=request)
    assert_type(created, Connection)
    return created.connection_id


def copy_from_list_response(client: Client, original: Connection) -> Connection:
    """README step 5: ``to_dict()`` a listed model, edit it, ``from_dict()`` it back."""
    payload = original.to_dict()
    payload["name"] = "Copy of " + original.name
    copy = Connection.from_dict(payload)
    assert_type(copy, Connection)
    request_dict = CreateConnectionRequest(
        name=copy.name,
        details=SnowflakeKeyPairAuthentication(user="SIGMA_SERVICE", private_key="-----BEGIN PRIVATE KEY-----"),
    ).to_dict()
    again = CreateConnectionRequest.from_dict(request_dict)
    assert_type(again, CreateConnectionRequest)
    return create_connection.sync(client=client, body=again)


def errors_are_exceptions(client: Client) -> str | None:
    """``sync()`` returns only the success type; a non-2xx answer raises a typed exception."""
    try:
        me = who_am_i.sync(client=client)
    except NotFoundError as error:
        status: int = error.status_code
        request_id: str | None = error.request_id
        code: str | int | None = error.code
        message: str = error.message
        print(status, request_id, code, message)
        return None
    except RateLimitError as error:
        retry_after: float | None = error.retry_after
        print(f"retry in {retry_after or 1.0:.1f} s (request {error.request_id})")
        return None
    except SigmaAPIError as error:
        print(error.status_code, error.response)
        raise
    return me.user_id


def derived_clients(client: Client) -> int:
    """``with_options`` and ``impersonate`` return clients of the same type; ``sync_detailed`` never raises."""
    no_retries = client.with_options(max_retries=0)
    slow = client.with_options(timeout=300)
    as_user = client.impersonate("a@b.c")
    assert_type(no_retries, Client)
    assert_type(as_user, Client)
    list_connections.sync(client=slow, limit=1)

    detailed = who_am_i.sync_detailed(client=no_retries)
    assert_type(detailed, Response[WhoAmIResponse])
    status: int = detailed.status_code
    raw: bytes = detailed.content
    parsed: WhoAmIResponse | None = detailed.parsed
    if parsed is not None:
        print(parsed.user_id, len(raw))
    as_user_page = list_connections.sync_detailed(client=as_user, limit=5)
    if as_user_page.parsed is not None:
        print(len(as_user_page.parsed.entries))
    return status


def http_settings() -> list[Client]:
    """README "Your own HTTP settings": httpx_args, timeout, retries and a transport."""
    import httpx

    proxied = Client.from_env(
        timeout=httpx.Timeout(120.0, connect=5.0),
        max_retries=4,
        httpx_args={"proxy": "http://proxy.internal:3128", "limits": httpx.Limits(max_connections=20)},
    )
    bound = Client.from_env(transport=httpx.HTTPTransport(retries=0, local_address="10.0.0.5"))
    return [proxied, bound]


def member_flags(client: Client) -> list[bool | Unset]:
    """README "Unset vs None": optional fields are X | Unset, nullable ones X | None."""
    from sigma_sdk.api.members import list_members

    flags: list[bool | Unset] = []
    for member in list_members.iterate(client=client):
        assert_type(member, Member)
        assert_type(member.profile_img_url, None | str)
        flags.append(member.is_archived)
    return flags


def narrowing_unset(member: Member) -> str:
    """README "Unset vs None": `is not UNSET` narrows `X | Unset` to `X`, as `isinstance` does."""
    assert_type(member.is_archived, bool | Unset)
    if member.is_archived is not UNSET:
        assert_type(member.is_archived, bool)
        return "archived" if member.is_archived else "active"
    return "unknown"


def with_the_standin() -> list[str]:
    """README "Testing your code": the fake Sigma, injected faults and inspection."""
    from sigma_sdk.testing import RequestRecord, run_standin

    with run_standin(client_id="ci", client_secret="ci-secret") as sigma:
        with Client(sigma.base_url, "ci", "ci-secret") as client:
            sigma.standin.inject("503", path="/v2/connections", times=2)
            who_am_i.sync(client=client)
        records = sigma.standin.requests_to("/v2/connections")
        assert_type(records, list[RequestRecord])
        return sigma.grants()


def exports_and_materializations(client: Client, progress: list[int]) -> ExportResult:
    """The README's section on sigma_sdk.jobs."""
    csv = export_workbook(client, "wb", element_id="e", to="sales.csv", progress=True)
    assert_type(csv.bytes_written, int)
    assert_type(csv.path, Path | None)
    assert_type(csv.filename, str | None)
    export_workbook(client, "wb", page_id="p", format="pdf", layout="landscape", to=Path("page.pdf"))
    with open("wb.xlsx", "wb") as file:
        export_workbook(client, "wb", format="xlsx", parameters={"Region": "East"}, to=file, row_limit=10)
    try:
        download_export(client, "q", to="q.csv", timeout=None, progress=lambda done, total: progress.append(done))
    except JobTimeoutError as exc:
        print(exc.job_id, exc.status, exc.elapsed)
    final = wait_for_materialization(client, workbook_id="wb", materialization_id="m", poll_interval=5)
    assert_type(final, MaterializationStatus)
    print(final.status, final.ready_at, final.raw.get("error"))
    return csv


async def export_async(client: Client) -> ExportResult:
    return await aexport_workbook(client, "wb", element_id="e", format="png", pixel_width=800, to="chart.png")


def main() -> None:
    with Client.from_env() as client:
        connections = who_am_i_and_list(client)
        print(errors_are_exceptions(client), derived_clients(client))
        if connections:
            copy_from_list_response(client, connections[0])
        print(create_snowflake_key_pair(client, Path("rsa_key.p8")))
    print(asyncio.run(list_async(Client.from_env())))
    print(make_clients())
    with Client.from_env() as client:
        print(exports_and_materializations(client, []), asyncio.run(export_async(client)))


if __name__ == "__main__":
    main()
