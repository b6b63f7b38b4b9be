"""The whole Postman QuickStart in one script: credentials, authenticate, who am I, list
connections, create a Snowflake key-pair connection, and build a POST from a List response.

  python examples/quickstart.py --demo     no credentials needed: runs against a local stand-in
                                           of Sigma's API on 127.0.0.1, which stops when it ends
  python examples/quickstart.py            against your Sigma (credentials below)

Against your own Sigma, steps 4 and 5 create two connections, so they run only when you pass
--account, --user and --private-key-file (passphrase: $SNOWFLAKE_PRIVATE_KEY_PASSPHRASE);
otherwise they are skipped.
"""

from __future__ import annotations

import argparse
import base64
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any

import _cli

from sigma_sdk import Client
from sigma_sdk.api.connections import create_connection, get_connection, list_connections
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.models import CreateConnectionRequest, SnowflakeKeyPairAuthentication
from sigma_sdk.types import UNSET


@dataclass(frozen=True)
class Snowflake:
    """What step 4 needs to create a key-pair connection (the key and passphrase are never printed)."""

    account: str
    user: str
    warehouse: str | None
    role: str | None
    private_key: str
    private_key_passphrase: str | None


def step(number: int, title: str) -> None:
    print(f"\n[{number}/5] {title}", flush=True)


def say(text: str) -> None:
    print(f"      {text}", flush=True)


def run_flow(client: Client, trace: _cli.HttpTrace, snowflake: Snowflake | None, limit: int) -> None:
    """The QuickStart's five steps against ``client``."""
    step(1, "Authenticate: nothing to code; the first request fetches a bearer token")
    who_am_i.sync(client=client)
    fetched = [e for e in trace.exchanges if e[1].endswith("/auth/token") and e[2] == 200]
    say(f"token obtained ({len(fetched)} token request, client-credentials grant); it is not shown")
    say("the client reuses it and refreshes it before it expires (Postman: log in again every hour)")

    step(2, "Who am I: GET /v2/whoami")
    me = who_am_i.sync(client=client)
    say(f"user {me.user_id} in organization {me.organization_id} (no second token request)")

    step(3, f"List connections: list_connections.iterate() follows nextPage, {limit} per request")
    connections = list(list_connections.iterate(client=client, limit=limit))
    for connection in connections[:5]:
        say(f"{connection.connection_id}  {connection.type_:<10}  {connection.name}")
    counts = ", ".join(f"{n} {kind}" for kind, n in Counter(c.type_ for c in connections).most_common())
    say(f"... {len(connections)} connections in all: {counts}")

    if snowflake is None:
        step(4, "Create a Snowflake key-pair connection: skipped (pass --account, --user, --private-key-file)")
        step(5, "Build a POST from a List response: skipped (it creates a connection too)")
        return

    step(4, "Create a Snowflake key-pair connection from typed models: POST /v2/connections")
    created = create_connection.sync(
        client=client,
        body=CreateConnectionRequest(
            name="Snowflake (key pair)",
            details=SnowflakeKeyPairAuthentication(  # type="snowflake" is filled in
                account=snowflake.account,
                host=f"{snowflake.account}.snowflakecomputing.com",
                warehouse=snowflake.warehouse or UNSET,
                user=snowflake.user,
                role=snowflake.role or UNSET,
                auth_type="key-pair",
                private_key=snowflake.private_key,
                private_key_passphrase=snowflake.private_key_passphrase or UNSET,
            ),
        ),
    )
    say(f"created {created.name!r}: connectionId {created.connection_id}")

    step(5, "Build a POST from a List response: to_dict(), edit, from_dict()")
    source = next((c for c in connections if c.type_ == "snowflake" and not c.is_sample), None)
    if source is None:
        say("no Snowflake connection in the list to copy: skipped")
        return
    listed = source.to_dict()  # the entry as Sigma sent it
    details: dict[str, Any] = {"type": "snowflake", "authType": "key-pair", "privateKey": snowflake.private_key}
    details.update({key: listed[key] for key in ("account", "warehouse", "user", "role") if key in listed})
    if snowflake.private_key_passphrase:
        details["privateKeyPassphrase"] = snowflake.private_key_passphrase
    body = CreateConnectionRequest.from_dict({"name": f"Copy of {source.name}", "details": details})
    say(f"copied account/warehouse/user/role of {source.name!r}; details parsed as {type(body.details).__name__}")
    copy = create_connection.sync(client=client, body=body)
    check = get_connection.sync(copy.connection_id, client=client)
    say(f"created {check.name!r}: connectionId {check.connection_id} (read back with GET)")


def placeholder_private_key() -> str:
    """PEM-shaped random bytes, not a key: the stand-in checks only the shape."""
    body = base64.b64encode(secrets.token_bytes(96)).decode("ascii")
    return (
        "-----BEGIN PRIVATE KEY-----\n"
        + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        + "\n-----END PRIVATE KEY-----\n"
    )


def run_demo(limit: int) -> int:
    # The local fake of Sigma that also serves your own tests (see README, "Testing your code").
    from sigma_sdk.testing import StandinServer

    client_id, client_secret = "demo-client", secrets.token_urlsafe(24)
    with StandinServer(client_id=client_id, client_secret=client_secret, max_lifetime=120) as server:
        print(f"Demo: a stand-in of Sigma's API is serving on {server.base_url} (loopback only, stops with the demo).")
        print("Each step prints the HTTP exchanges it caused (method, path, status; never headers or bodies).")
        print("\n[0/5] Credentials: Client.from_env() reads SIGMA_BASE_URL, SIGMA_CLIENT_ID, SIGMA_CLIENT_SECRET")
        environ = {
            "SIGMA_BASE_URL": server.base_url,
            "SIGMA_CLIENT_ID": client_id,
            "SIGMA_CLIENT_SECRET": client_secret,
        }
        trace = _cli.HttpTrace(echo=True, indent="      > ")
        # trust_env=False: a proxy configured in the environment must not see loopback traffic.
        with Client.from_env(environ=environ, httpx_args={"trust_env": False, **trace.httpx_args()}) as client:
            say(f"{client!r} (the secret is never shown)")
            demo_snowflake = Snowflake(
                account="acme-xy12345",
                user="SIGMA_SERVICE",
                warehouse="COMPUTE_WH",
                role="SIGMA_ROLE",
                private_key=placeholder_private_key(),
                private_key_passphrase=None,
            )
            run_flow(client, trace, demo_snowflake, limit)
    print("\nDone: the QuickStart ran end to end against the stand-in, which has now stopped.")
    print("Against your Sigma: set SIGMA_REGION (or SIGMA_BASE_URL), SIGMA_CLIENT_ID and SIGMA_CLIENT_SECRET,")
    print("then run: python examples/quickstart.py")
    return 0


def main() -> int:
    parser = _cli.make_parser(__doc__)
    parser.add_argument("--demo", action="store_true", help="run against a local stand-in of Sigma (no credentials)")
    parser.add_argument("--limit", type=int, default=50, help="connections per list request (default 50)")
    snowflake = parser.add_argument_group("steps 4 and 5 (your Sigma only)")
    snowflake.add_argument("--account", help="Snowflake account identifier, e.g. acme-xy12345")
    snowflake.add_argument("--user", help="the Snowflake user that holds the public key")
    snowflake.add_argument("--warehouse", help="the warehouse Sigma runs queries on")
    snowflake.add_argument("--role", help="the Snowflake role Sigma uses")
    snowflake.add_argument("--private-key-file", metavar="PATH", help="the PEM private key (.p8)")
    args = parser.parse_args()
    if not 1 <= args.limit <= 1000:
        parser.error("--limit must be from 1 to 1000")
    if args.demo:
        if args.env_file or args.postman_environment:
            parser.error("--demo uses the stand-in's credentials; drop --env-file/--postman-environment")
        return run_demo(args.limit)
    return run_against_sigma(parser, args)


def run_against_sigma(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    given = [args.account, args.user, args.private_key_file]
    if any(given) and not all(given):
        parser.error("steps 4 and 5 need all of --account, --user and --private-key-file")
    snowflake = None
    if all(given):
        private_key = _cli.read_private_key(args.private_key_file)
        snowflake = Snowflake(
            account=args.account,
            user=args.user,
            warehouse=args.warehouse,
            role=args.role,
            private_key=private_key,
            private_key_passphrase=_cli.read_passphrase(private_key),
        )
    trace = _cli.HttpTrace(echo=args.show_http, indent="      > ")
    with _cli.client_from_args(args, trace=trace) as client:
        print(f"[0/5] Credentials: {client!r} (the secret is never shown)")
        run_flow(client, trace, snowflake, args.limit)
    print("\nDone.")
    return 0


if __name__ == "__main__":
    _cli.run(main)
