"""QuickStart step 1: authenticate with your API client credentials.

In Postman you POST /v2/auth/token, paste the access_token into the environment, and do it again
every hour.  With the SDK there is nothing to do: the client's first request fetches a token with
the client-credentials grant, later requests reuse it, and it is refreshed before it expires.

This script makes one request (GET /v2/whoami) and prints the HTTP exchanges, the token request
included, to show it happen.  The token itself is never printed.

  python examples/01_authenticate.py
"""

from __future__ import annotations

import _cli

from sigma_sdk.api.whoami import who_am_i


def main() -> int:
    args = _cli.make_parser(__doc__).parse_args()
    trace = _cli.HttpTrace(echo=True)
    with _cli.client_from_args(args, trace=trace) as client:
        print(f"Client: {client!r}")  # the base URL and client ID; never the secret or a token
        me = who_am_i.sync(client=client)

    token_requests = [e for e in trace.exchanges if e[0] == "POST" and e[1].endswith("/auth/token") and e[2] == 200]
    if not token_requests:
        print("No token request was made (unexpected).")
        return 1
    print(f"Authenticated: Sigma issued an access token (not shown) and accepted it; you are user {me.user_id}.")
    return 0


if __name__ == "__main__":
    _cli.run(main)
