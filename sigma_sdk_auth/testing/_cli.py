"""``python -m sigma_sdk.testing``: start the fake Sigma from a shell and print the settings to use.

    $ python -m sigma_sdk.testing --workbooks 3 --exports 1 --lifetime 600
    SIGMA_BASE_URL=http://127.0.0.1:50123
    SIGMA_CLIENT_ID=standin-client
    SIGMA_CLIENT_SECRET=...
    # ... what is seeded, one comment line each

The ``SIGMA_*`` lines are what ``Client.from_env()`` reads (``export`` them, or save them to a file
for ``Client.from_env(env_file=...)``); the comment lines name the seeded workbooks, pages, elements
and exports. The server binds 127.0.0.1 only and stops on Ctrl-C, on SIGTERM, or by itself after
``--lifetime`` seconds. For trying README snippets, a non-Python client, or a demo without credentials.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

from ._server import StandinServer

__all__ = ["main"]

DEFAULT_LIFETIME = 3600.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sigma_sdk.testing",
        description="Start a local fake of Sigma's REST API on 127.0.0.1 and print the SIGMA_* settings to use.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--client-id", default="standin-client", help="the client ID it accepts")
    parser.add_argument("--client-secret", help="the client secret it accepts (default: a fresh random one)")
    parser.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME, help="stop after this many seconds")
    parser.add_argument("--connections", type=int, default=120, help="active connections to seed")
    parser.add_argument("--archived", type=int, default=4, help="archived connections to seed")
    parser.add_argument("--members", type=int, default=30, help="members to seed")
    parser.add_argument("--workbooks", type=int, default=12, help="workbooks to seed")
    parser.add_argument("--pages", type=int, default=2, help="pages per workbook (0-4)")
    parser.add_argument("--elements", type=int, default=3, help="elements per page (0-4)")
    parser.add_argument("--exports", type=int, default=0, help="exports to seed, ready for download_export")
    parser.add_argument(
        "--export-polls", type=int, default=2, help="how many times a download answers 204 before the file"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the organization's data")
    return parser


def _describe(server: StandinServer, exports: Sequence[str]) -> list[str]:
    """Comment lines naming what the stand-in holds, with IDs to paste."""
    standin = server.standin
    workbooks = standin.workbooks()
    lines = [
        f"# {len(standin.connections(include_archived=False))} active connections, "
        f"{len(standin.members())} members, {len(workbooks)} workbooks",
    ]
    for workbook in workbooks[:3]:
        lines.append(f"# workbook {workbook['workbookId']} {workbook['name']!r}")
        for page in standin.pages(workbook["workbookId"]):
            elements = ", ".join(f"{e['elementId']} {e['name']!r}" for e in page["elements"])
            lines.append(f"#   page {page['pageId']} {page['name']!r}: elements {elements or '(none)'}")
    lines += [f"# export ready for download_export: query id {query_id}" for query_id in exports]
    return lines


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the stand-in until Ctrl-C, SIGTERM or ``--lifetime``; return the exit status."""
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    for name in ("connections", "archived", "members", "workbooks", "exports", "export_polls"):
        if getattr(args, name) < 0:
            _parser().error(f"--{name.replace('_', '-')} must be 0 or more")
    if args.lifetime <= 0:
        _parser().error("--lifetime must be positive")
    try:
        server = StandinServer(
            port=args.port,
            max_lifetime=args.lifetime,
            client_id=args.client_id,
            client_secret=args.client_secret,
            connections=args.connections,
            archived=args.archived,
            members=args.members,
            workbooks=args.workbooks,
            pages=args.pages,
            elements=args.elements,
            export_polls=args.export_polls,
            seed=args.seed,
        )
    except ValueError as exc:
        _parser().error(str(exc))
    if args.exports and not server.standin.workbooks():
        _parser().error("--exports needs at least one workbook (--workbooks)")
    exports = [server.standin.add_export().query_id for _ in range(args.exports)]
    # Ctrl-C and SIGTERM only raise a flag the loop below reads: the server is stopped by the with
    # block, never from inside a signal handler (which could interrupt the main thread holding a lock
    # that stopping needs), and whatever SIGINT disposition the process inherited.
    requested: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: requested.append(signum)) for sig in _STOP_SIGNALS}
    try:
        with server:
            print(f"SIGMA_BASE_URL={server.base_url}", file=out)
            print(f"SIGMA_CLIENT_ID={server.client_id}", file=out)
            print(f"SIGMA_CLIENT_SECRET={server.client_secret}", file=out)
            print("\n".join(_describe(server, exports)), file=out)
            print(
                f"# Ctrl-C stops it; it stops by itself after {args.lifetime:g} s. A proxy set in your "
                "environment must not see loopback traffic: NO_PROXY=127.0.0.1",
                file=out,
                flush=True,
            )
            while not requested and not server.wait_stopped(timeout=0.2):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("sigma_sdk.testing: stopped", file=sys.stderr)
    return 0
