"""Mistakes a user could make with the SDK: mypy and pyright (both strict) must report each one, nothing else.

Every line ending in ``# E: <code>[, <code>...]`` must get exactly those mypy error codes and at least
one pyright error (its rule names differ from mypy's codes), and every other line none from either
(``tests/typing/test_typing.py`` checks all of it). If a generated type decayed to ``Any`` the mistake
on its line would go unreported and the test would fail. Never executed.
"""

from __future__ import annotations

import sigma_sdk.api.connections
import sigma_sdk.models
from sigma_sdk import Client, Region
from sigma_sdk.api.connections import (
    create_connection,
    list_connections,
)
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.errors import NotFoundError
from sigma_sdk.jobs import export_workbook, wait_for_materialization
from sigma_sdk.models import (
    ApiError,
    Connection,
    CreateConnectionRequest,
    DefaultValue,
    SnowflakeKeyPairAuthentication,
)

KEY = "-----BEGIN PRIVATE KEY-----"


def misspelt_names() -> None:
    """Names the lazy packages do not have are errors, not ``Any``."""
    print(sigma_sdk.models.CreateConectionRequest)  # E: attr-defined
    print(sigma_sdk.api.connections.list_conections)  # E: attr-defined


def client_mistakes() -> None:
    """Building and deriving clients."""
    Client(base_url="aws-us-east", client_id=1234, client_secret="s")  # E: arg-type
    Client(base_url=Region.AWS_US_EAS, client_id="id", client_secret="s")  # E: attr-defined
    Client(base_url="aws-us-east", client_id="id")  # E: call-arg
    client = Client.from_env()
    client.with_options(max_retries="0")  # E: arg-type
    client.impersonate(42)  # E: arg-type
    Client.from_env(timout=5)  # E: call-arg
    Client.from_postman_environment("env.json", max_retries="0")  # E: arg-type


def endpoint_argument_mistakes(client: Client) -> None:
    """Arguments to endpoint functions."""
    list_connections.sync(client=client, limit="50")  # E: arg-type
    create_connection.sync(client=client)  # E: call-arg
    list_connections.sync(client=client, include_archived="yes")  # E: arg-type
    list_connections.sync(client=client, limt=50)  # E: call-arg
    who_am_i.sync(client)  # E: call-arg
    list_connections.iterate(client=client, limit=1000.5)  # E: arg-type
    list_connections.sync(client="https://api.sigmacomputing.com")  # E: arg-type


def response_mistakes(client: Client) -> None:
    """Reading what an endpoint returned."""
    page = list_connections.sync(client=client, limit=50)
    connection = page.entries[0]
    print(connection.conection_id)  # E: attr-defined
    print(connection.name + 1)  # E: operator
    count: int = connection.name  # E: assignment
    connection.name = 5  # E: assignment
    print(connection.warehouse.lower())  # E: union-attr
    print(len(page.next_page))  # E: arg-type
    for entry in list_connections.iterate(client=client):
        print(entry.entries)  # E: attr-defined
    me = who_am_i.sync(client=client)
    print(me.user_id + me.organization_id, count)
    print(me.email)  # E: attr-defined
    print(who_am_i.sync_detailed(client=client).parsed.user_id)  # E: union-attr
    print(list_connections.sync_detailed(client=client).status_code.upper())  # E: attr-defined


def error_model_mistakes(client: Client) -> None:
    """``sync()`` raises on a non-2xx answer: its result is never the ``ApiError`` model."""
    details = SnowflakeKeyPairAuthentication(user="u", private_key=KEY)
    created = create_connection.sync(client=client, body=CreateConnectionRequest(name="x", details=details))
    print(created.message)  # E: attr-defined
    error: ApiError = who_am_i.sync(client=client)  # E: assignment
    print(error.code)
    try:
        who_am_i.sync(client=client)
    except NotFoundError as not_found:
        print(not_found.retry_after)  # E: attr-defined
        print(not_found.status_code.startswith("4"))  # E: attr-defined


def model_mistakes(client: Client) -> None:
    """Building request bodies from typed models."""
    SnowflakeKeyPairAuthentication(user="u", private_key=KEY, auth_type="keypair")  # E: arg-type
    SnowflakeKeyPairAuthentication(user="u", private_key=KEY, type_="postgres")  # E: arg-type
    SnowflakeKeyPairAuthentication(user="u")  # E: call-arg
    CreateConnectionRequest(name="Snowflake")  # E: call-arg
    CreateConnectionRequest(name="Snowflake", details={"type": "snowflake"})  # E: arg-type
    details = SnowflakeKeyPairAuthentication(user="u", private_key=KEY)
    CreateConnectionRequest(name="Snowflake", detail=details)  # E: call-arg
    SnowflakeKeyPairAuthentication(user="u", private_key=KEY, timeout_secs=30)  # E: call-arg
    create_connection.sync(client=client, body=details)  # E: arg-type
    create_connection.sync(client=client, body={"name": "Snowflake"})  # E: arg-type
    Connection.from_dict('{"name": "x"}')  # E: arg-type
    DefaultValue(val="5", type_="number")  # E: arg-type


async def async_mistakes(client: Client) -> None:
    """Coroutines and async iterators (the loops' bodies are empty: pyright would flag a use of their
    unknown-typed variable again, on a line that is not the mistake)."""
    print(list_connections.asyncio(client=client).entries)  # E: attr-defined
    for _connection in list_connections.aiterate(client=client):  # E: attr-defined
        pass
    async for _entry in list_connections.iterate(client=client):  # E: attr-defined
        pass


def job_mistakes(client: Client) -> None:
    """Exports and materializations: formats, options and results are typed."""
    export_workbook(client, "wb", to="x.docx", format="docx")  # E: arg-type
    export_workbook(client, "wb", to="x.pdf", format="pdf", layout="sideways")  # E: arg-type
    export_workbook(client, "wb", to="x.pdf", format="pdf", layuot="landscape")  # E: call-arg
    export_workbook(client, "wb", to=42)  # E: arg-type
    print(export_workbook(client, "wb", to="x.csv", element_id="e").bytes)  # E: attr-defined
    wait_for_materialization(client, "wb", "m-1")  # E: call-arg
