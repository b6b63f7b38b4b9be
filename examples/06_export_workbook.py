"""Get data out of Sigma: export a workbook, page or element to a file; run a materialization and wait.

export_workbook() starts the export, polls the download while Sigma answers 204 (backing off,
honouring Retry-After and the 100-exports-a-minute limit), and streams the file to disk: memory
stays flat whatever its size, and the file appears only once it is complete (a timeout, a dropped
connection or Ctrl-C leaves nothing behind).  --materialize runs a scheduled materialization and
waits until it is ready.

  python examples/06_export_workbook.py --demo        no credentials: against a local stand-in of Sigma
  python examples/06_export_workbook.py WORKBOOK_ID --element ELEMENT_ID [--format csv] [--out FILE]
  python examples/06_export_workbook.py WORKBOOK_ID --page PAGE_ID --format pdf --layout landscape
  python examples/06_export_workbook.py WORKBOOK_ID --format xlsx --param Region=East --param Year=2024
  python examples/06_export_workbook.py WORKBOOK_ID --materialize SHEET_ID
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
from pathlib import Path
from typing import Any

import _cli

from sigma_sdk import Client
from sigma_sdk.api.workbooks import list_workbooks, materialize_workbook_element
from sigma_sdk.jobs import ExportResult, export_workbook, wait_for_materialization
from sigma_sdk.models import MaterializeElementRequest

FORMATS = ("csv", "json", "jsonl", "xlsx", "pdf", "png")


def describe(result: ExportResult) -> str:
    return (
        f"{result.bytes_written:,} bytes of {result.content_type} in {result.elapsed:.1f}s -> {result.path} "
        f"(Sigma's name: {result.filename}; query {result.query_id})"
    )


def materialize(client: Client, workbook_id: str, sheet_id: str, timeout: float, poll_interval: float | None) -> None:
    started = materialize_workbook_element.sync(
        workbook_id, client=client, body=MaterializeElementRequest(sheet_id=sheet_id)
    )
    print(f"Materialization {started.materialization_id} started; waiting until it is ready")
    final = wait_for_materialization(
        client,
        workbook_id=workbook_id,
        materialization_id=started.materialization_id,
        timeout=timeout,
        poll_interval=poll_interval,
    )
    print(f"Materialization {final.materialization_id}: {final.status} (ready at {final.ready_at})")


def parameters(pairs: list[str]) -> dict[str, str]:
    """``["Region=East", ...]`` as Sigma's control parameters."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"--param takes CONTROL_ID=VALUE, got {pair!r}")
        result[key] = value
    return result


def run_demo() -> int:
    from sigma_sdk.testing import StandinServer  # the local fake of Sigma (README, "Testing your code")

    client_id, client_secret = "demo-client", secrets.token_urlsafe(24)
    fast = 0.2  # the stand-in's jobs are ready after three polls; real ones take seconds to minutes
    with (
        StandinServer(client_id=client_id, client_secret=client_secret, max_lifetime=120, export_polls=3) as server,
        tempfile.TemporaryDirectory(prefix="sigma-export-demo-") as out_dir,
    ):
        print(f"Demo: a stand-in of Sigma's API is serving on {server.base_url} (loopback only, stops with the demo).")
        trace = _cli.HttpTrace(echo=True, indent="  > ")
        # trust_env=False: a proxy configured in the environment must not see loopback traffic.
        options: dict[str, Any] = {"httpx_args": {"trust_env": False, **trace.httpx_args()}}
        with Client(server.base_url, client_id, client_secret, **options) as client:
            workbook = next(list_workbooks.iterate(client=client))
            print(f"\nExport an element of {workbook.name!r} as CSV (the download answers 204 three times first)")
            csv_file = Path(out_dir) / "sales.csv"
            csv = export_workbook(client, workbook.workbook_id, element_id="el-1", to=csv_file, poll_interval=fast)
            print(describe(csv))
            print("First lines: " + " | ".join(csv_file.read_text().splitlines()[:3]))

            print("\nExport the whole workbook as a landscape PDF")
            pdf_file = Path(out_dir) / "workbook.pdf"
            pdf = export_workbook(
                client, workbook.workbook_id, format="pdf", layout="landscape", to=pdf_file, poll_interval=fast
            )
            print(describe(pdf))

            print("\nRun a materialization and wait for it (pending -> building -> ready)")
            materialize(client, workbook.workbook_id, "demo-sheet", timeout=60, poll_interval=fast)

            print("\nA raw request, as for an endpoint the spec lacks: client.request('GET', path)")
            answer = client.request("GET", f"/v2/workbooks/{workbook.workbook_id}").json()
            print(f"GET /v2/workbooks/{{workbookId}} -> {answer['name']!r} (same token, retries, typed errors)")
    print("\nDone: the files were written to a temporary directory, now removed with the stopped stand-in.")
    return 0


def main() -> int:
    parser = _cli.make_parser(__doc__)
    parser.add_argument("--demo", action="store_true", help="run against a local stand-in of Sigma (no credentials)")
    parser.add_argument("workbook_id", nargs="?", metavar="WORKBOOK_ID", help="the workbook to export")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--element", metavar="ELEMENT_ID", help="export this element (csv, json, jsonl, xlsx, pdf, png)")
    what.add_argument("--page", metavar="PAGE_ID", help="export this page (pdf, png, xlsx)")
    what.add_argument("--materialize", metavar="SHEET_ID", help="run this materialization schedule and wait instead")
    parser.add_argument("--format", choices=FORMATS, default=None, help="default: csv for an element, else pdf")
    parser.add_argument("--layout", choices=("portrait", "landscape"), help="pdf page orientation")
    parser.add_argument("--param", action="append", default=[], metavar="CONTROL_ID=VALUE", help="a control value")
    parser.add_argument("--out", metavar="FILE", help="where to write (default: WORKBOOK_ID.FORMAT here)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait in all (default 900)")
    parser.add_argument("--poll-interval", type=float, help="first wait between polls in seconds (default 1)")
    args = parser.parse_args()
    if args.demo:
        if args.env_file or args.postman_environment or args.workbook_id:
            parser.error("--demo uses the stand-in: drop WORKBOOK_ID and the credential options")
        return run_demo()
    if not args.workbook_id:
        parser.error("give a WORKBOOK_ID (or --demo)")
    try:
        controls = parameters(args.param)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))

    with _cli.client_from_args(args) as client:
        if args.materialize:
            materialize(client, args.workbook_id, args.materialize, args.timeout, args.poll_interval)
            return 0
        export_format = args.format or ("csv" if args.element else "pdf")
        out = Path(args.out or f"{args.workbook_id}.{export_format}")
        options: dict[str, Any] = {"layout": args.layout} if args.layout else {}
        result = export_workbook(
            client,
            args.workbook_id,
            to=out,
            format=export_format,
            element_id=args.element,
            page_id=args.page,
            parameters=controls,
            timeout=args.timeout,
            poll_interval=args.poll_interval,
            progress=True,
            **options,
        )
        print(describe(result))
    return 0


if __name__ == "__main__":
    _cli.run(main)
