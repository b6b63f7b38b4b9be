"""QuickStart step 3: list connections, every page.

list_connections.iterate() follows Sigma's nextPage cursor for you, requesting --limit entries at a
time (Sigma's maximum is 1,000; without paging Sigma would return only the first 50).  --first-page
shows a single page instead, as list_connections.sync() returns it.

  python examples/03_list_connections.py [--limit 50] [--search NAME] [--include-archived]
"""

from __future__ import annotations

import argparse

import _cli

from sigma_sdk.api.connections import list_connections
from sigma_sdk.types import UNSET


def page_size(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("must be from 1 to 1000")
    return value


def main() -> int:
    parser = _cli.make_parser(__doc__)
    parser.add_argument("--limit", type=page_size, default=1000, help="entries per request, 1-1000 (default 1000)")
    parser.add_argument("--search", help="only connections whose name contains this text")
    parser.add_argument("--include-archived", action="store_true", help="include archived connections")
    parser.add_argument("--first-page", action="store_true", help="fetch one page only and show its cursor")
    args = parser.parse_args()
    search = args.search if args.search else UNSET
    archived = True if args.include_archived else UNSET

    with _cli.client_from_args(args) as client:
        if args.first_page:
            page = list_connections.sync(client=client, limit=args.limit, search=search, include_archived=archived)
            connections = page.entries
            summary = (
                f"{len(connections)} connections on the first page; nextPage: {page.next_page or 'null (last page)'}"
            )
        else:
            connections = list(
                list_connections.iterate(client=client, limit=args.limit, search=search, include_archived=archived)
            )
            summary = f"{len(connections)} connections in all ({args.limit} per request)"

    for connection in connections:
        archived_mark = " (archived)" if connection.is_archived else ""
        print(f"{connection.connection_id}  {connection.type_:<10}  {connection.name}{archived_mark}")
    print(summary)
    return 0


if __name__ == "__main__":
    _cli.run(main)
