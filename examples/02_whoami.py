"""QuickStart step 2: who am I?  GET /v2/whoami with the bearer token the client manages.

Prints the user ID and organization ID of the API credential's owner (--json: the whole answer,
via the model's to_dict()).

  python examples/02_whoami.py [--json]
"""

from __future__ import annotations

import json

import _cli

from sigma_sdk.api.whoami import who_am_i


def main() -> int:
    parser = _cli.make_parser(__doc__)
    parser.add_argument("--json", action="store_true", help="print the response as JSON")
    args = parser.parse_args()
    with _cli.client_from_args(args) as client:
        me = who_am_i.sync(client=client)  # a typed WhoAmIResponse; any non-2xx raises
    if args.json:
        print(json.dumps(me.to_dict(), indent=2))
    else:
        print(f"user ID:         {me.user_id}")
        print(f"organization ID: {me.organization_id}")
    return 0


if __name__ == "__main__":
    _cli.run(main)
