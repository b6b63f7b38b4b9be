"""QuickStart step 4: create a Snowflake connection with key-pair authentication, from typed models.

The Postman QuickStart has you edit a JSON body by hand; here CreateConnectionRequest and
SnowflakeKeyPairAuthentication are checked by your IDE and mypy, and "type": "snowflake" is filled
in for you.  The private key is read from --private-key-file and its passphrase, if it has one,
from $SNOWFLAKE_PRIVATE_KEY_PASSPHRASE; neither is ever printed.  Sigma answers 201 with the new
connection; the script then reads it back with GET /v2/connections/{connectionId}.

  python examples/04_create_snowflake_connection.py --account acme-xy12345 --user SIGMA_SERVICE \\
      --warehouse COMPUTE_WH --role SIGMA_ROLE --private-key-file rsa_key.p8
"""

from __future__ import annotations

import json

import _cli

from sigma_sdk.api.connections import create_connection, get_connection
from sigma_sdk.models import CreateConnectionRequest, SnowflakeKeyPairAuthentication
from sigma_sdk.types import UNSET


def main() -> int:
    parser = _cli.make_parser(__doc__)
    snowflake = parser.add_argument_group("the Snowflake connection")
    snowflake.add_argument("--name", default="Snowflake (key pair)", help="the connection's name in Sigma")
    snowflake.add_argument("--account", required=True, help="Snowflake account identifier, e.g. acme-xy12345")
    snowflake.add_argument("--host", help="Snowflake host (default: <account>.snowflakecomputing.com)")
    snowflake.add_argument("--warehouse", help="the warehouse Sigma runs queries on")
    snowflake.add_argument("--user", required=True, help="the Snowflake user that holds the public key")
    snowflake.add_argument("--role", help="the Snowflake role Sigma uses")
    _cli.add_key_and_dry_run(parser, snowflake)
    args = parser.parse_args()

    private_key = _cli.read_private_key(args.private_key_file)
    body = CreateConnectionRequest(
        name=args.name,
        details=SnowflakeKeyPairAuthentication(
            account=args.account,
            host=args.host or f"{args.account}.snowflakecomputing.com",
            warehouse=args.warehouse or UNSET,
            user=args.user,
            role=args.role or UNSET,
            auth_type="key-pair",
            private_key=private_key,
            private_key_passphrase=_cli.read_passphrase(private_key) or UNSET,
        ),
    )
    if args.dry_run:
        print(json.dumps(_cli.redacted(body.to_dict()), indent=2))
        return 0

    with _cli.client_from_args(args) as client:
        created = create_connection.sync(client=client, body=body)  # a typed Connection
        print(f"Created {created.type_} connection {created.name!r}: connectionId {created.connection_id}")
        fetched = get_connection.sync(created.connection_id, client=client)
        print(
            f"Sigma has it: account {fetched.account or '?'}, user {fetched.user or '?'}, created {fetched.created_at}"
        )
    return 0


if __name__ == "__main__":
    _cli.run(main)
