"""QuickStart step 5: build a POST body from a List response, with to_dict() and from_dict().

In Postman you copy fields from the List connections response into the Create body.  Every model
has to_dict() (the JSON Sigma sent, as a dict) and from_dict() (a dict back into a typed model), so
the same move is a few lines: take a listed Snowflake connection, copy its account, warehouse, user
and role into a new key-pair connection body, and parse that body into CreateConnectionRequest (it
fails here, not at Sigma, if the shape is wrong).  A List response never holds credentials, so the
key comes from --private-key-file (passphrase: $SNOWFLAKE_PRIVATE_KEY_PASSPHRASE).

  python examples/05_post_from_list_response.py --private-key-file rsa_key.p8 [--source NAME] [--dry-run]
"""

from __future__ import annotations

import json
from typing import Any

import _cli

from sigma_sdk.api.connections import create_connection, list_connections
from sigma_sdk.models import Connection, CreateConnectionRequest

COPIED_FIELDS = ("account", "warehouse", "user", "role")


def pick_source(connections: list[Connection], wanted: str | None) -> Connection | None:
    """The connection named or identified by ``wanted``, else the first non-sample Snowflake one."""
    for connection in connections:
        if wanted is not None and wanted in (connection.name, connection.connection_id):
            return connection
        if wanted is None and connection.type_ == "snowflake" and not connection.is_sample:
            return connection
    return None


def main() -> int:
    parser = _cli.make_parser(__doc__)
    parser.add_argument(
        "--source", metavar="NAME_OR_ID", help="the listed connection to copy (default: a Snowflake one)"
    )
    parser.add_argument("--name", help='the new connection\'s name (default: "Copy of <source name>")')
    _cli.add_key_and_dry_run(parser)
    args = parser.parse_args()
    private_key = _cli.read_private_key(args.private_key_file)
    passphrase = _cli.read_passphrase(private_key)

    with _cli.client_from_args(args) as client:
        source = pick_source(list(list_connections.iterate(client=client)), args.source)
        if source is None:
            print(f"No connection to copy: {args.source!r} not found" if args.source else "No Snowflake connection")
            return 1
        listed = source.to_dict()  # exactly the JSON of this entry in the List response
        print(f"Source: {source.name!r} ({source.connection_id}); the List entry has {len(listed)} fields")
        if listed["type"] != "snowflake":
            print(f"The source is a {listed['type']} connection; this example copies Snowflake ones")
            return 1

        details: dict[str, Any] = {"type": "snowflake"}
        details.update({key: listed[key] for key in COPIED_FIELDS if key in listed})
        details.update({"authType": "key-pair", "privateKey": private_key})
        if passphrase:
            details["privateKeyPassphrase"] = passphrase
        payload = {"name": args.name or f"Copy of {source.name}", "details": details}
        body = CreateConnectionRequest.from_dict(payload)  # typed: details become SnowflakeKeyPairAuthentication
        copied = ", ".join(key for key in COPIED_FIELDS if key in listed)
        print(f"Copied {copied}; details parsed as {type(body.details).__name__}")
        if args.dry_run:
            print(json.dumps(_cli.redacted(body.to_dict()), indent=2))
            return 0

        created = create_connection.sync(client=client, body=body)
        print(f"Created {created.name!r}: connectionId {created.connection_id}")
    return 0


if __name__ == "__main__":
    _cli.run(main)
