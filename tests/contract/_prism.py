"""Start and stop a Prism mock server (``@stoplight/prism-cli``, pinned in ``tests/contract/package.json``).

Prism is installed by the project, never assumed global: ``python scripts/install_node_deps.py``
puts it in ``tests/contract/node_modules`` (``tests/_support/node_tooling.py``).

What Prism 5.16.0 does in ``mock`` mode (read from its source and checked against Sigma's spec):

* Request validation is always on: ``prism mock`` hard-codes ``validateRequest``, ``validateResponse``
  and ``checkSecurity`` to true; there is no flag to turn them off. An invalid request (bad body,
  missing required parameter) gets the spec's 422, 400 or ``default`` response with status 422 (or a
  ``application/problem+json`` 422 when the spec has none of those), and always an ``sl-violations``
  header listing what was wrong. A request without an ``Authorization: Bearer ...`` header gets 401,
  because the spec's global security is OAuth2.
* ``--errors`` does NOT change how invalid requests are answered. It applies to Prism's *own*
  response: when the mocked response violates the spec (response validation), Prism answers
  500 ``application/problem+json`` (type ``.../errors#VIOLATIONS``) instead of sending the invalid
  payload. For a contract suite that is what we want: a response the spec can't describe is an error,
  not data for the SDK to parse. Hence ``errors=True`` by default.
* ``-d`` / ``--dynamic`` generates response bodies from the schemas with json-schema-faker (random
  on every request unless ``--seed`` is given); without it Prism returns examples, or a static
  example built from each schema (``"string"``, ``0``, ...).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tests._support.node_tooling import INSTALL_HINT, NODE_TOOLING_DIR, node_bin, node_tool_problem, pinned_version

__all__ = [
    "CONTRACT_DIR",
    "INSTALL_HINT",
    "PRISM_BIN",
    "PRISM_VERSION",
    "PrismStartError",
    "prism_available",
    "run_prism",
]

CONTRACT_DIR = NODE_TOOLING_DIR
PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_BIN = node_bin("prism")
PRISM_VERSION = pinned_version(PRISM_PACKAGE)

_OUTPUT_TAIL = 4000


class PrismStartError(RuntimeError):
    """Prism exited, or did not listen in time; the message carries its captured output."""


def prism_available() -> str | None:
    """Return why Prism can't run here (with how to fix it), or None when it can."""
    return node_tool_problem(PRISM_PACKAGE, "prism", "the Prism contract tests")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _tail(stream: IO[str]) -> str:
    stream.flush()
    stream.seek(0)
    text = stream.read()
    return text if len(text) <= _OUTPUT_TAIL else "..." + text[-_OUTPUT_TAIL:]


def _stop(proc: subprocess.Popen[str]) -> None:
    """Terminate Prism's whole process group: SIGTERM, then SIGKILL after 5 s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _command(spec_path: Path, port: int, *, dynamic: bool, errors: bool, seed: str | None) -> list[str]:
    cmd = [str(PRISM_BIN), "mock", str(spec_path), "--host", "127.0.0.1", "--port", str(port)]
    if dynamic:
        cmd.append("--dynamic")
    if errors:
        cmd.append("--errors")
    if seed is not None:
        cmd += ["--seed", seed]
    return cmd


class _PortTaken(Exception):
    """Another process bound the port between _free_port() and Prism's listen()."""


def _wait_until_listening(
    proc: subprocess.Popen[str], cmd: list[str], port: int, out: IO[str], err: IO[str], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not _port_open(port):
        code = proc.poll()
        if code is not None:
            stderr = _tail(err)
            if "EADDRINUSE" in stderr:
                raise _PortTaken(stderr)
            raise PrismStartError(
                f"Prism exited with code {code} before listening on 127.0.0.1:{port}.\n"
                f"command: {' '.join(cmd)}\n--- stdout ---\n{_tail(out)}\n--- stderr ---\n{stderr}"
            )
        if time.monotonic() > deadline:
            raise PrismStartError(
                f"Prism did not listen on 127.0.0.1:{port} within {timeout:.0f} s.\n"
                f"command: {' '.join(cmd)}\n--- stdout ---\n{_tail(out)}\n--- stderr ---\n{_tail(err)}"
            )
        time.sleep(0.05)


@contextlib.contextmanager
def run_prism(
    spec_path: Path,
    *,
    dynamic: bool = False,
    errors: bool = True,
    seed: str | None = None,
    startup_timeout: float = 60.0,
    log_path: Path | None = None,
) -> Iterator[str]:
    """Run ``prism mock spec_path`` on a free loopback port; yield its base URL; always stop it.

    Prism's stdout and stderr go to temporary files, not pipes: it logs every request, and an
    undrained pipe would block it. The combined log is copied to ``log_path`` at exit when given.
    Raises PrismStartError, carrying Prism's captured output, if Prism is not installed, exits, or
    does not listen within ``startup_timeout`` seconds.
    """
    reason = prism_available()
    if reason is not None:
        raise PrismStartError(reason)
    spec_path = Path(spec_path).resolve()
    if not spec_path.is_file():
        raise PrismStartError(f"OpenAPI spec not found: {spec_path}")
    # SCARF_ANALYTICS: prism-cli depends on a download-analytics package; keep it quiet.
    env = {**os.environ, "SCARF_ANALYTICS": "false", "NO_COLOR": "1", "FORCE_COLOR": "0"}
    for _attempt in range(3):
        port = _free_port()
        cmd = _command(spec_path, port, dynamic=dynamic, errors=errors, seed=seed)
        with (
            tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out,
            tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err,
        ):
            proc = subprocess.Popen(  # noqa: S603 (argv list built above, no shell)
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                text=True,
                cwd=CONTRACT_DIR,
                env=env,
                start_new_session=True,  # its own process group, so _stop() reaches every child
            )
            try:
                try:
                    _wait_until_listening(proc, cmd, port, out, err, startup_timeout)
                except _PortTaken:
                    continue
                yield f"http://127.0.0.1:{port}"
                return
            finally:
                _stop(proc)
                if log_path is not None:
                    log_path.write_text(_read_all(out) + _read_all(err), encoding="utf-8")
    raise PrismStartError(f"Prism could not bind a free loopback port in 3 attempts (spec {spec_path})")


def _read_all(stream: IO[str]) -> str:
    stream.flush()
    stream.seek(0)
    return stream.read()
