#!/usr/bin/env python3
"""Side-by-side costs of the SDK against plain httpx, measured in one run on this machine.

    python scripts/bench.py            # all four parts
    python scripts/bench.py --quick    # fewer repetitions
    python scripts/bench.py --only-export [--export-mib 1024]   # part (d) alone
    python scripts/bench.py --only-parsing [--quick]            # parts (a) and (b): import and parsing

(a) import: wall time and peak RSS of a fresh interpreter running ``from sigma_sdk import Client``
    plus one model, against one running ``import httpx`` (runs interleaved, medians reported);
(b) per call: ``list_connections.sync`` on an authenticated client against ``httpx.Client.get().json()``,
    both over the same in-memory ``httpx.MockTransport``, for a 50-entry and a 1,000-entry page, and
    ``list_connections.iterate`` over 100,000 entries (100 pages) against a raw httpx loop over the
    same pages; the SDK once per parsing path, each interleaved with raw httpx on its own: ``default``
    (json.loads + the generated ``from_dict``) and, with the ``fast`` extra installed, ``fast``
    (msgspec, sigma_sdk_auth/_fast.py);
(c) regeneration: wall time of ``scripts/regenerate.py --check``;
(d) export: a 1 GiB file through ``sigma_sdk.jobs.export_workbook`` (export start, one 204, the
    download streamed to disk, fsync, rename) against ``httpx.Client.stream`` of the same download
    into a file (with and without fsync), over a loopback HTTP server in its own process; wall time
    and peak RSS growth (VmHWM reset before each run), runs interleaved.

Only ratios measured side by side mean anything; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import py_compile
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BASE_URL = "https://api.sigmacomputing.com"
SDK_IMPORT = "from sigma_sdk import Client; from sigma_sdk.models import CreateConnectionRequest"
HTTPX_IMPORT = "import httpx"
# The floor under (a): the models are attrs classes, so no SDK on httpx and attrs can import faster.
ATTRS_FLOOR_IMPORT = "import httpx, attrs"
# Peak RSS from VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking parent.
_MEASURE = (
    "import sys, time; t = time.perf_counter(); exec(sys.argv[1]); elapsed = time.perf_counter() - t; "
    "peak = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')); "
    "print(elapsed, peak)"
)


def _process(statement: str) -> tuple[float, float, float]:
    """Wall time of the whole interpreter, in-process import time, peak RSS (KiB) for one fresh run."""
    started = time.perf_counter()
    out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [sys.executable, "-c", _MEASURE, statement], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    return time.perf_counter() - started, float(out[0]), float(out[1])


def _precompile() -> int:
    """Write bytecode for every module both statements load, as ``pip install`` does for users.

    Without it (``PYTHONDONTWRITEBYTECODE`` is set on some machines, and uv installs no bytecode)
    every run would measure compiling source, not importing.
    """
    listing = (
        f"import sys; {SDK_IMPORT}; {HTTPX_IMPORT}; "
        "print('\\n'.join(getattr(m, '__file__', None) or '' for m in list(sys.modules.values())))"
    )
    out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [sys.executable, "-c", listing], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    files = sorted({line for line in out.splitlines() if line.endswith(".py")})
    for path in files:
        py_compile.compile(path, doraise=True)
    return len(files)


def bench_import(runs: int) -> dict[str, float]:
    """Part (a): interleaved fresh-interpreter runs of the statements, bytecode already compiled.

    Ratios are medians of per-pair ratios (each SDK run against the httpx run right after it), so a
    slow spell on a shared machine weighs on both sides of a pair instead of on one median.  The
    ``floor`` row is ``import httpx, attrs`` against the same httpx runs.
    """
    _precompile()
    rows: dict[str, list[tuple[float, float, float]]] = {"sdk": [], "httpx": [], "floor": []}
    for _ in range(runs):
        rows["sdk"].append(_process(SDK_IMPORT))
        rows["httpx"].append(_process(HTTPX_IMPORT))
        rows["floor"].append(_process(ATTRS_FLOOR_IMPORT))

    result: dict[str, float] = {}
    for column, key in enumerate(("wall", "import", "rss_mib")):
        scale = 1 / 1024 if key == "rss_mib" else 1.0  # RSS is read in KiB
        for side, measured in rows.items():
            result[f"{side}_{key}"] = statistics.median(row[column] for row in measured) * scale
        for side in ("sdk", "floor"):
            pairs = zip(rows[side], rows["httpx"], strict=True)
            result[f"{side}_ratio_{key}"] = statistics.median(s[column] / p[column] for s, p in pairs)
    return result


def _connection(index: int) -> dict[str, object]:
    stamp = "2024-01-02T03:04:05+00:00"
    return {
        "connectionId": f"c-{index}", "organizationId": "org", "name": f"Connection {index}",
        "type": "snowflake", "isSample": False, "isAuditLog": False, "lastActiveAt": stamp,
        "useOauth": False, "createdBy": "u", "updatedBy": "u", "createdAt": stamp, "updatedAt": stamp,
    }  # fmt: skip


def _transport(page: bytes) -> httpx.MockTransport:
    token = json.dumps({"access_token": "a", "refresh_token": "r", "token_type": "bearer", "expires_in": 3600})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth/token":
            return httpx.Response(200, content=token.encode(), headers={"Content-Type": "application/json"})
        return httpx.Response(200, content=page, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(handler)


def _parsers() -> dict[str, bool]:
    """The SDK's parsing paths to measure: always the generated one, the msgspec one when it is installed."""
    try:
        import msgspec  # noqa: F401 - the `fast` extra
    except ImportError:
        return {"default": False}
    return {"default": False, "fast": True}


def _interleaved(sides: dict[str, Callable[[], object]], seconds: float, batch: int) -> dict[str, float]:
    """Alternate batches of every side, so load on the machine hits all alike.

    Returns each side's median seconds per call and, as ``<side>_ratio``, the median of its per-round
    ratios to the ``httpx`` side run in the same round.
    """
    for function in sides.values():
        function()  # warm up: imports, token, pools, the fast path's mirrors
    deadline = time.perf_counter() + seconds
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    while time.perf_counter() < deadline or len(times["httpx"]) < 7:
        # Each round starts one side later, so every side follows every other equally often: a side
        # pays for the garbage the side before it left (iterate's ratio moved by 0.1 with the order).
        rounds = len(times["httpx"])
        for name in names[rounds % len(names) :] + names[: rounds % len(names)]:
            function = sides[name]
            started = time.perf_counter()
            for _ in range(batch):
                function()
            times[name].append((time.perf_counter() - started) / batch)
    result = {name: statistics.median(measured) for name, measured in times.items()}
    for name, measured in times.items():
        if name != "httpx":
            ratios = [own / raw for own, raw in zip(measured, times["httpx"], strict=True)]
            result[f"{name}_ratio"] = statistics.median(ratios)
    return result


def _each_path_against_raw(
    call: Callable[[], object], raw: Callable[[], object], seconds: float, batch: int
) -> dict[str, float]:
    """Each SDK parsing path interleaved with raw httpx on its own, one comparison after the other.

    Not all three in one loop: a user runs one path, and in one loop each side paid for the garbage
    the side before it left (the fast path's ratio moved by up to 0.1 with the default path beside it).
    ``httpx`` is the median of the raw side's medians.
    """
    from sigma_sdk_auth import _fast

    result: dict[str, float] = {}
    raw_medians = []
    for name, path in _parsers().items():

        def run(path: bool = path) -> object:
            _fast.force(path)
            return call()

        measured = _interleaved({name: run, "httpx": raw}, seconds, batch)
        result[name], result[f"{name}_ratio"] = measured[name], measured[f"{name}_ratio"]
        raw_medians.append(measured["httpx"])
    result["httpx"] = statistics.median(raw_medians)
    return result


def bench_calls(entries: int, seconds: float) -> dict[str, float]:
    """Part (b): one page of ``entries`` connections through the SDK (each parsing path) and raw httpx."""
    from sigma_sdk import Client
    from sigma_sdk.api.connections import list_connections

    page = json.dumps({"entries": [_connection(i) for i in range(entries)], "nextPage": None}).encode()
    raw = httpx.Client(base_url=BASE_URL, transport=_transport(page))
    sdk = Client(base_url=BASE_URL, client_id="id", client_secret="secret", transport=_transport(page))
    try:
        return _each_path_against_raw(
            lambda: list_connections.sync(client=sdk, limit=1000),
            lambda: raw.get("/v2/connections", params={"limit": 1000}).json(),
            seconds,
            batch=10,
        )
    finally:
        raw.close()
        sdk.close()


def _pages_transport(pages: int, per_page: int) -> httpx.MockTransport:
    """``pages`` pages of ``per_page`` connections, each naming the next by its number, the last ``null``."""
    entries = json.dumps([_connection(i) for i in range(per_page)]).encode()
    bodies = [
        b'{"entries": '
        + entries
        + b', "nextPage": '
        + (json.dumps(str(n + 1)) if n + 1 < pages else "null").encode()
        + b"}"
        for n in range(pages)
    ]
    token = json.dumps({"access_token": "a", "refresh_token": "r", "token_type": "bearer", "expires_in": 3600})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth/token":
            return httpx.Response(200, content=token.encode(), headers={"Content-Type": "application/json"})
        body = bodies[int(request.url.params.get("page") or 0)]
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(handler)


def bench_iterate(pages: int, per_page: int, seconds: float) -> dict[str, float]:
    """Part (b'): every entry of ``pages`` pages, via ``list_connections.iterate`` and via a raw httpx loop."""
    from sigma_sdk import Client
    from sigma_sdk.api.connections import list_connections

    raw = httpx.Client(base_url=BASE_URL, transport=_pages_transport(pages, per_page))
    sdk = Client(base_url=BASE_URL, client_id="id", client_secret="secret", transport=_pages_transport(pages, per_page))

    def raw_iterate() -> int:
        count, cursor = 0, None
        while True:
            params: dict[str, str | int] = (
                {"limit": per_page} if cursor is None else {"limit": per_page, "page": cursor}
            )
            body = raw.get("/v2/connections", params=params).json()
            for _ in body["entries"]:
                count += 1
            cursor = body["nextPage"]
            if cursor is None:
                return count

    def sdk_iterate() -> int:
        count = 0
        for _ in list_connections.iterate(client=sdk, limit=per_page):  # the raw loop's consumer, as is
            count += 1
        return count

    try:
        return _each_path_against_raw(sdk_iterate, raw_iterate, seconds, batch=1)
    finally:
        raw.close()
        sdk.close()


def bench_regenerate(runs: int) -> float:
    """Part (c): median wall time of ``regenerate.py --check``."""
    spec = os.environ.get(
        "SIGMA_OPENAPI_SPEC", str(ROOT.parent / "shared/openapi/sigma-computing-public-rest-api.json")
    )
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [sys.executable, str(ROOT / "scripts/regenerate.py"), "--check", "--spec", spec],
            check=True, capture_output=True,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# Part (d)'s server, in its own interpreter so that serving does not compete for this one's GIL: a
# token, export starts, and downloads that answer 204 once per export, then SIZE bytes.
_EXPORT_SERVER = r"""
import http.server, itertools, json, sys
SIZE, BLOCK = int(sys.argv[1]), bytes(range(256)) * 4096
exports, polled = itertools.count(), set()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, length, content_type="application/json"):
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token = {"access_token": "a", "token_type": "bearer", "expires_in": 3600}
        body = json.dumps(token if self.path == "/v2/auth/token" else {"queryId": f"q{next(exports)}"}).encode()
        self.answer(200, len(body))
        self.wfile.write(body)

    def do_GET(self):
        query = self.path.split("/")[3]
        if query.startswith("q") and query not in polled:
            polled.add(query)
            return self.answer(204, 0)
        self.answer(200, SIZE, "text/csv")
        view, left = memoryview(BLOCK), SIZE
        while left:
            self.wfile.write(view[: min(left, len(BLOCK))])
            left -= min(left, len(BLOCK))

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    return int(match[1]) if match else 0


def _measure(function: Callable[[], int], expected: int) -> tuple[float, float]:
    """Seconds and peak RSS growth (MiB) of one run; VmHWM is reset first (Linux /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    written = function()
    elapsed = time.perf_counter() - started
    if written != expected:
        raise RuntimeError(f"wrote {written} bytes, expected {expected}")
    return elapsed, max(0, _status_kib("VmHWM") - before) / 1024


def bench_export(size: int, runs: int) -> dict[str, tuple[float, float]]:
    """Part (d): medians of (seconds, peak RSS growth in MiB) for the SDK and raw httpx, interleaved."""
    from sigma_sdk import Client
    from sigma_sdk.jobs import export_workbook

    server = subprocess.Popen(  # noqa: S603 - our interpreter, fixed code
        [sys.executable, "-c", _EXPORT_SERVER, str(size)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base_url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        sdk = Client(base_url, "id", "secret", httpx_args={"trust_env": False})
        raw = httpx.Client(base_url=base_url, trust_env=False)
        with tempfile.TemporaryDirectory(prefix="sigma-bench-") as tmp, sdk, raw:
            target = Path(tmp) / "export.csv"

            def with_sdk() -> int:
                return export_workbook(sdk, "wb", element_id="el", to=target, poll_interval=0.001).bytes_written

            def with_httpx(fsync: bool) -> int:
                with raw.stream("GET", "/v2/query/raw/download") as response, target.open("wb") as file:
                    for chunk in response.iter_bytes():
                        file.write(chunk)
                    if fsync:
                        file.flush()
                        os.fsync(file.fileno())
                return target.stat().st_size

            sides: dict[str, Callable[[], int]] = {
                "export_workbook": with_sdk,
                "httpx stream + fsync": lambda: with_httpx(True),
                "httpx stream": lambda: with_httpx(False),
            }
            sdk.request("POST", "/v2/warm-up", json={})  # token, connection and imports before measuring
            raw.post("/v2/warm-up")
            measured: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
            for _ in range(runs):
                for name, function in sides.items():
                    measured[name].append(_measure(function, size))
                    target.unlink()
        return {
            name: (statistics.median(t for t, _ in rows), statistics.median(m for _, m in rows))
            for name, rows in measured.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


def print_export(size_mib: int, runs: int) -> None:
    results = bench_export(size_mib * 1024 * 1024, runs)
    print(f"(d) export of {size_mib} MiB over loopback to disk, medians of {runs} interleaved runs")
    sdk_seconds = results["export_workbook"][0]
    for name, (seconds, peak) in results.items():
        rate = size_mib / seconds
        print(
            f"    {name:22} {seconds:7.2f} s  {rate:7.0f} MiB/s  peak RSS +{peak:6.1f} MiB"
            f"   time ratio export_workbook/this {sdk_seconds / seconds:.2f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (for a smoke run)")
    parser.add_argument("--skip-regenerate", action="store_true", help="leave out part (c)")
    parser.add_argument("--only-export", action="store_true", help="run part (d) only")
    parser.add_argument("--only-parsing", action="store_true", help="run parts (a) and (b) only")
    parser.add_argument("--export-mib", type=int, default=1024, help="size of part (d)'s export (default 1024)")
    args = parser.parse_args(argv)
    runs, seconds = (5, 0.5) if args.quick else (31, 3.0)
    export_runs = 1 if args.quick else 3
    if args.only_export:
        print_export(args.export_mib, export_runs)
        return 0

    imports = bench_import(runs)
    print(f"(a) import, medians of {runs} fresh interpreters each, interleaved; ratio: median of per-pair ratios")
    print(f"    {'':34}{'sigma_sdk':>12}{'httpx':>12}{'ratio':>8}   floor: httpx+attrs")
    for label, key, unit in (
        ("process wall time", "wall", "s"),
        ("import statement only", "import", "s"),
        ("peak RSS", "rss_mib", "MiB"),
    ):
        sdk_value, httpx_value = imports[f"sdk_{key}"], imports[f"httpx_{key}"]
        ratio, floor = imports[f"sdk_ratio_{key}"], imports[f"floor_ratio_{key}"]
        print(f"    {label:34}{sdk_value:>10.3f}{unit:>2}{httpx_value:>10.3f}{unit:>2}{ratio:>7.2f}x{floor:>10.2f}x")

    paths = list(_parsers())
    print(
        "(b) per call, medians of interleaved batches (MockTransport, authenticated client, token fetched); "
        "each path against raw httpx on its own; ratio: median of per-round ratios"
    )
    print(f"    {'':44}" + "".join(f"{'sdk ' + path:>21}  " for path in paths) + f"{'httpx get+json':>16}")
    rows = [
        (f"list_connections.sync, {entries:>4}-entry page", bench_calls(entries, seconds)) for entries in (50, 1000)
    ]
    pages = 10 if args.quick else 100
    rows.append((f"iterate {pages * 1000:,} entries ({pages} pages)", bench_iterate(pages, 1000, seconds * 2)))
    for label, calls in rows:
        cells = "".join(f"{calls[path] * 1e3:10.2f} ms {calls[path + '_ratio']:6.2f}x  " for path in paths)
        print(f"    {label:44}{cells}{calls['httpx'] * 1e3:10.2f} ms")
    if "fast" not in paths:
        print("    (msgspec is not installed: `pip install sigma-computing-sdk[fast]` adds the fast column)")
    if args.only_parsing:
        return 0
    if not args.skip_regenerate:
        regen_runs = 1 if args.quick else 3
        print(f"(c) regenerate.py --check, median of {regen_runs}: {bench_regenerate(regen_runs):.1f} s")
    print_export(args.export_mib, export_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
