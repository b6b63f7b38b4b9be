"""Command-line plumbing shared by the examples: where credentials come from, HTTP tracing, exits.

Not part of the SDK (copy what you need).  The Sigma calls themselves are in each example.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from sigma_sdk import Client
from sigma_sdk.errors import ConfigurationError, SigmaError

CREDENTIALS_HELP = """\
credentials (never printed):
  By default from the environment: SIGMA_BASE_URL (an API URL) or SIGMA_REGION (a region name
  such as aws-us-east), SIGMA_CLIENT_ID and SIGMA_CLIENT_SECRET.  --env-file fills in what the
  environment does not set.  --postman-environment reads the QuickStart's exported Postman
  environment (baseUrl, clientID, secret) instead.
"""

PASSPHRASE_ENV = "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"


def make_parser(doc: str | None) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` whose help is the example's docstring, with the credential options."""
    parser = argparse.ArgumentParser(
        description=doc, epilog=CREDENTIALS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_argument_group("credentials").add_mutually_exclusive_group()
    source.add_argument("--env-file", metavar="PATH", help="a .env file with the SIGMA_* variables")
    source.add_argument(
        "--postman-environment", metavar="PATH", help="an exported Postman environment (baseUrl, clientID, secret)"
    )
    parser.add_argument(
        "--show-http",
        action="store_true",
        help="print each HTTP exchange: method, path and status (never headers or bodies)",
    )
    return parser


class HttpTrace:
    """An httpx response hook that notes (and optionally prints) each exchange, token requests included.

    Only the method, the path and the status: headers and bodies hold credentials and tokens.
    """

    def __init__(self, *, echo: bool, indent: str = "  ") -> None:
        self.echo = echo
        self.indent = indent
        self.exchanges: list[tuple[str, str, int]] = []

    def __call__(self, response: httpx.Response) -> None:
        request = response.request
        exchange = (request.method, request.url.raw_path.decode("ascii"), response.status_code)
        self.exchanges.append(exchange)
        if self.echo:
            print(f"{self.indent}{exchange[0]} {exchange[1]} -> HTTP {exchange[2]}", flush=True)

    def httpx_args(self) -> dict[str, Any]:
        return {"event_hooks": {"response": [self]}}


def client_from_args(args: argparse.Namespace, *, trace: HttpTrace | None = None) -> Client:
    """The client for these arguments: a Postman environment file, else the environment (+ .env file)."""
    if trace is None and args.show_http:
        trace = HttpTrace(echo=True)
    options: dict[str, Any] = {"httpx_args": trace.httpx_args()} if trace is not None else {}
    if args.postman_environment:
        return Client.from_postman_environment(args.postman_environment, **options)
    return Client.from_env(env_file=args.env_file, **options)


def add_key_and_dry_run(parser: argparse.ArgumentParser, group: argparse._ArgumentGroup | None = None) -> None:
    """The options both connection-creating examples take: ``--private-key-file`` (in ``group``) and ``--dry-run``."""
    (group or parser).add_argument(
        "--private-key-file", required=True, metavar="PATH", help="the PEM private key (.p8)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the request body (secrets redacted); send nothing"
    )


def read_private_key(path: str) -> str:
    """The PEM text of a private key file (its content is never printed)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the private key file {path}: {exc.strerror or type(exc).__name__}"
        ) from None


def read_passphrase(private_key: str) -> str | None:
    """The key's passphrase from $SNOWFLAKE_PRIVATE_KEY_PASSPHRASE (not a flag: shells keep history)."""
    passphrase = os.environ.get(PASSPHRASE_ENV) or None
    if passphrase is None and "BEGIN ENCRYPTED PRIVATE KEY" in private_key:
        raise ConfigurationError(f"the private key is encrypted: set {PASSPHRASE_ENV} to its passphrase")
    return passphrase


def redacted(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of a request body with its secrets replaced, for --dry-run output."""
    secret_keys = {"privateKey", "privateKeyPassphrase", "password"}
    return {
        key: "<redacted>" if key in secret_keys else redacted(value) if isinstance(value, dict) else value
        for key, value in payload.items()
    }


def run(main: Callable[[], int]) -> None:
    """Run ``main`` and exit with its status: 2 for a configuration error, 1 for a Sigma error."""
    try:
        status = main()
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        print("(--help says where credentials come from; examples/quickstart.py --demo needs none)", file=sys.stderr)
        status = 2
    except SigmaError as exc:
        print(f"Sigma error: {exc}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        status = 130
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly, as the docs of signal suggest
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    sys.exit(status)
