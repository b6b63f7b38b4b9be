"""Every script in ``examples/`` runs, as a newcomer would run it, against a local stand-in of Sigma.

Each example is a subprocess (``sys.executable examples/X.py ...``) whose credentials come from
``SIGMA_BASE_URL``/``SIGMA_CLIENT_ID``/``SIGMA_CLIENT_SECRET`` (or a ``.env`` file, or a Postman
environment) pointing at a :class:`StandinServer` this test starts on 127.0.0.1 and that stops by
itself.  Every run is also checked for leaks: the client secret, every token the stand-in issued
and the private key's content must appear in no output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sigma_sdk.testing import ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX, StandinServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# examples/test_*.py are example test files (run by tests/fake/test_server.py), not scripts.
SCRIPTS = sorted(path.name for path in EXAMPLES.glob("*.py") if not path.name.startswith(("_", "test_")))
EXPECTED_SCRIPTS = [
    "01_authenticate.py",
    "02_whoami.py",
    "03_list_connections.py",
    "04_create_snowflake_connection.py",
    "05_post_from_list_response.py",
    "06_export_workbook.py",
    "quickstart.py",
]

CLIENT_ID = "examples-client"
CLIENT_SECRET = "examples-secret-Hq7-do-not-print"
KEY_MATERIAL = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7examplesKEY"
PRIVATE_KEY = f"-----BEGIN PRIVATE KEY-----\n{KEY_MATERIAL}\n-----END PRIVATE KEY-----\n"
PASSPHRASE = "examples-passphrase-do-not-print"
CONNECTION_ID = re.compile(r"connectionId ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
TIMEOUT = 60  # seconds per example run; they take about half a second

# Loaded through PYTHONPATH into the demo's interpreter: any connection (or name lookup) that is not
# loopback fails, so a demo that reached the internet could not pass.
OFFLINE_GUARD = """
import ipaddress, socket

def _loopback(host):
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False

def _guard(original):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise OSError(f"offline guard: refused a connection to {address[0]}")
        return original(self, address)
    return connect

socket.socket.connect = _guard(socket.socket.connect)
socket.socket.connect_ex = _guard(socket.socket.connect_ex)
_getaddrinfo = socket.getaddrinfo

def getaddrinfo(host, *args, **kwargs):
    if not _loopback(host.decode() if isinstance(host, bytes) else host):
        raise socket.gaierror(f"offline guard: refused to resolve {host}")
    return _getaddrinfo(host, *args, **kwargs)

socket.getaddrinfo = getaddrinfo
"""


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def clean_env(**variables: str) -> dict[str, str]:
    """This environment without Sigma/Snowflake settings or proxies, the working tree first on the path."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIGMA_", "SNOWFLAKE_")) and not key.lower().endswith("_proxy")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env.update(variables)
    return env


def offline_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment whose interpreters load OFFLINE_GUARD: only loopback connections work."""
    guard_dir = tmp_path / "offline"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(OFFLINE_GUARD)
    env = clean_env()
    env["PYTHONPATH"] = os.pathsep.join([str(guard_dir), env["PYTHONPATH"]])
    return env


def run_example(script: str, *args: str, env: dict[str, str]) -> Run:
    result = subprocess.run(  # noqa: S603 - our interpreter, our scripts, fixed arguments
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


@pytest.fixture
def standin() -> Iterator[StandinServer]:
    with StandinServer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, max_lifetime=120) as server:
        yield server


@pytest.fixture
def sigma_env(standin: StandinServer) -> dict[str, str]:
    return clean_env(SIGMA_BASE_URL=standin.base_url, SIGMA_CLIENT_ID=CLIENT_ID, SIGMA_CLIENT_SECRET=CLIENT_SECRET)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "rsa_key.p8"
    path.write_text(PRIVATE_KEY, encoding="utf-8")
    return path


@pytest.fixture
def run(standin: StandinServer, sigma_env: dict[str, str]) -> Callable[..., Run]:
    """Run an example against the stand-in and check that it printed no secret."""

    def run_checked(script: str, *args: str, env: dict[str, str] | None = None) -> Run:
        result = run_example(script, *args, env=sigma_env if env is None else env)
        for secret in (CLIENT_SECRET, KEY_MATERIAL, PASSPHRASE, *standin.issued_tokens()):
            assert secret not in result.output, f"{script} printed a secret"
        return result

    return run_checked


def _ok(result: Run) -> Run:
    assert result.returncode == 0, result.output
    return result


# -- every example, --help --------------------------------------------------------------------


def test_every_example_is_covered_here() -> None:
    """The examples are exactly the ones these tests run (a new example needs a test)."""
    assert SCRIPTS == EXPECTED_SCRIPTS


@pytest.mark.parametrize("script", EXPECTED_SCRIPTS)
def test_help_exits_0_and_explains_credentials(script: str) -> None:
    """Every example's --help works without credentials and says where they come from."""
    result = run_example(script, "--help", env=clean_env())
    assert result.returncode == 0, result.output
    assert result.stdout.startswith("usage:")
    for option in ("SIGMA_CLIENT_SECRET", "--env-file", "--postman-environment"):
        assert option in result.stdout


# -- the QuickStart steps ---------------------------------------------------------------------


def test_01_authenticate_shows_the_token_request_not_the_token(run: Callable[..., Run], standin: StandinServer) -> None:
    """01 makes one token request and one whoami call, printing both exchanges but no token."""
    result = _ok(run("01_authenticate.py"))
    assert "POST /v2/auth/token -> HTTP 200" in result.stdout
    assert "GET /v2/whoami -> HTTP 200" in result.stdout
    assert f"you are user {standin.user_id}" in result.stdout
    assert f"client_id='{CLIENT_ID}'" in result.stdout
    assert standin.grants() == ["client_credentials"]
    assert ACCESS_TOKEN_PREFIX not in result.output


def test_02_whoami_prints_user_and_organization(run: Callable[..., Run], standin: StandinServer) -> None:
    """02 prints the user and organization IDs, or the whole answer as JSON with --json."""
    text = _ok(run("02_whoami.py")).stdout
    assert standin.user_id in text
    assert standin.organization_id in text
    as_json = json.loads(_ok(run("02_whoami.py", "--json")).stdout)
    assert as_json == {"userId": standin.user_id, "organizationId": standin.organization_id}


def test_02_whoami_reads_credentials_from_an_env_file(
    run: Callable[..., Run], standin: StandinServer, tmp_path: Path
) -> None:
    """--env-file supplies SIGMA_* variables the environment does not set."""
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"SIGMA_BASE_URL={standin.base_url}\nSIGMA_CLIENT_ID={CLIENT_ID}\nSIGMA_CLIENT_SECRET='{CLIENT_SECRET}'\n"
    )
    result = _ok(run("02_whoami.py", "--env-file", str(env_file), env=clean_env()))
    assert standin.user_id in result.stdout


def test_02_whoami_reads_a_postman_environment(run: Callable[..., Run], standin: StandinServer, tmp_path: Path) -> None:
    """--postman-environment reads the QuickStart's exported environment (baseUrl, tokenBaseURL, clientID, secret)."""
    values = {
        "baseUrl": standin.base_url,
        "tokenBaseURL": "{{baseUrl}}/v2/auth/token",
        "clientID": CLIENT_ID,
        "secret": CLIENT_SECRET,
        "access_token": "",
    }
    document = {"name": "Sigma", "values": [{"key": k, "value": v, "enabled": True} for k, v in values.items()]}
    path = tmp_path / "Sigma.postman_environment.json"
    path.write_text(json.dumps(document))
    result = _ok(run("02_whoami.py", "--postman-environment", str(path), env=clean_env()))
    assert standin.user_id in result.stdout


def test_03_lists_every_connection_across_pages(run: Callable[..., Run], standin: StandinServer) -> None:
    """03 --limit 50 prints all 120 connections, fetched in 3 list requests."""
    result = _ok(run("03_list_connections.py", "--limit", "50"))
    assert "120 connections in all (50 per request)" in result.stdout
    for connection in standin.connections(include_archived=False):
        assert connection["connectionId"] in result.stdout
    list_calls = [path for method, path, _ in standin.requests if path.startswith("/v2/connections?")]
    assert len(list_calls) == 3


def test_03_first_page_search_and_archived(run: Callable[..., Run]) -> None:
    """03 --first-page shows one page and its cursor; --search filters; --include-archived adds archived ones."""
    first = _ok(run("03_list_connections.py", "--first-page", "--limit", "7")).stdout
    assert re.search(r"7 connections on the first page; nextPage: \S+", first)
    assert "null" not in first
    found = _ok(run("03_list_connections.py", "--search", "Sample")).stdout
    assert "Sigma Sample Database" in found
    assert "1 connections in all" in found
    archived = _ok(run("03_list_connections.py", "--include-archived")).stdout
    assert "124 connections in all" in archived
    assert archived.count("(archived)") == 4


def test_04_creates_a_snowflake_key_pair_connection(
    run: Callable[..., Run], standin: StandinServer, key_file: Path, sigma_env: dict[str, str]
) -> None:
    """04 POSTs a typed key-pair body (key from the file, passphrase from the environment) and reads it back."""
    env = {**sigma_env, "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": PASSPHRASE}
    args = ("--account", "acme-xy12345", "--user", "SIGMA_SERVICE", "--warehouse", "COMPUTE_WH", "--role", "SIGMA_ROLE")
    result = _ok(run("04_create_snowflake_connection.py", *args, "--private-key-file", str(key_file), env=env))
    match = CONNECTION_ID.search(result.stdout)
    assert match, result.stdout
    created = {c["connectionId"]: c for c in standin.connections()}[match[1]]
    assert (created["name"], created["account"], created["user"], created["role"]) == (
        "Snowflake (key pair)",
        "acme-xy12345",
        "SIGMA_SERVICE",
        "SIGMA_ROLE",
    )
    assert ("GET", f"/v2/connections/{match[1]}", 200) in standin.requests


def test_04_dry_run_prints_the_body_with_secrets_redacted(
    run: Callable[..., Run], standin: StandinServer, key_file: Path, sigma_env: dict[str, str]
) -> None:
    """04 --dry-run prints the request body, key and passphrase redacted, and sends nothing."""
    env = {**sigma_env, "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": PASSPHRASE}
    args = ("--account", "acme", "--user", "U", "--private-key-file", str(key_file), "--dry-run")
    body = json.loads(_ok(run("04_create_snowflake_connection.py", *args, env=env)).stdout)
    assert body["details"]["type"] == "snowflake"
    assert body["details"]["host"] == "acme.snowflakecomputing.com"
    assert body["details"]["privateKey"] == body["details"]["privateKeyPassphrase"] == "<redacted>"
    assert standin.requests == []


def test_05_builds_a_post_from_a_list_response(run: Callable[..., Run], standin: StandinServer, key_file: Path) -> None:
    """05 copies a listed Snowflake connection's fields into a typed create body and creates the copy."""
    result = _ok(run("05_post_from_list_response.py", "--private-key-file", str(key_file)))
    assert "details parsed as SnowflakeKeyPairAuthentication" in result.stdout
    match = CONNECTION_ID.search(result.stdout)
    assert match, result.stdout
    connections = {c["connectionId"]: c for c in standin.connections()}
    copy = connections[match[1]]
    source = next(c for c in connections.values() if f"Copy of {c['name']}" == copy["name"])
    for field in ("account", "warehouse", "user", "role"):
        assert copy[field] == source[field]


def test_05_dry_run_and_unknown_source(run: Callable[..., Run], standin: StandinServer, key_file: Path) -> None:
    """05 --dry-run sends no POST; an unknown --source exits 1 with a message."""
    dry = _ok(run("05_post_from_list_response.py", "--private-key-file", str(key_file), "--dry-run"))
    assert '"privateKey": "<redacted>"' in dry.stdout
    assert not [r for r in standin.requests if r[0] == "POST" and r[1] == "/v2/connections"]
    missing = run("05_post_from_list_response.py", "--private-key-file", str(key_file), "--source", "nope")
    assert missing.returncode == 1
    assert "'nope' not found" in missing.stdout


# -- exports and materializations ----------------------------------------------------------------


def test_06_exports_an_element_to_a_file(run: Callable[..., Run], standin: StandinServer, tmp_path: Path) -> None:
    """06 exports an element as CSV through the 204 polls and writes exactly the stand-in's file."""
    workbook = standin.standin.workbooks()[0]
    out = tmp_path / "sales.csv"
    args = (workbook["workbookId"], "--element", "el-1", "--out", str(out), "--poll-interval", "0.05")
    result = _ok(run("06_export_workbook.py", *args))
    (job,) = standin.standin.exports()
    assert out.read_bytes() == job.content
    assert job.polls == 3  # two 204s, then the file
    assert f"{len(job.content):,} bytes of text/csv" in result.stdout
    assert f"Sigma's name: {job.filename}" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["sales.csv"]  # no temporary file left


def test_06_runs_a_materialization_and_waits(run: Callable[..., Run], standin: StandinServer) -> None:
    """06 --materialize starts a materialization and polls it until ready."""
    workbook = standin.standin.workbooks()[0]
    result = _ok(
        run("06_export_workbook.py", workbook["workbookId"], "--materialize", "sheet-1", "--poll-interval", "0.05")
    )
    (job,) = standin.standin.materializations()
    assert f"Materialization {job.materialization_id}: ready" in result.stdout


def test_06_unknown_workbook_exits_1_with_the_404(run: Callable[..., Run]) -> None:
    """06 on a workbook Sigma does not know exits 1 with Sigma's 404, and no traceback."""
    result = run("06_export_workbook.py", "no-such-workbook", "--element", "el-1", "--out", "never.csv")
    assert result.returncode == 1
    assert "HTTP 404" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (ROOT / "never.csv").exists()


def test_06_demo_exports_and_materializes_offline(tmp_path: Path) -> None:
    """06 --demo needs no credentials or network: a CSV and a PDF export, a materialization, a raw request."""
    result = run_example("06_export_workbook.py", "--demo", env=offline_env(tmp_path))
    assert result.returncode == 0, result.output
    assert result.stdout.count("/download -> HTTP 204") == 6
    assert re.search(r"[\d,]+ bytes of text/csv.*sales\.csv", result.stdout)
    assert re.search(r"\d+ bytes of application/pdf.*workbook\.pdf", result.stdout)
    assert re.search(r"Materialization [0-9a-f-]{36}: ready", result.stdout)
    assert "First lines: row,workbook,value" in result.stdout
    assert ACCESS_TOKEN_PREFIX not in result.output
    assert result.stderr == ""


# -- the whole flow ---------------------------------------------------------------------------


def test_quickstart_runs_every_step_against_the_environment(
    run: Callable[..., Run], standin: StandinServer, key_file: Path
) -> None:
    """quickstart.py with credentials from the environment runs steps 1-5 and creates two connections."""
    args = ("--account", "acme-xy12345", "--user", "SIGMA_SERVICE", "--private-key-file", str(key_file))
    result = _ok(run("quickstart.py", *args, "--show-http"))
    for number in range(6):
        assert f"[{number}/5]" in result.stdout
    assert "120 connections in all" in result.stdout
    assert len(CONNECTION_ID.findall(result.stdout)) == 2
    assert len(standin.connections()) == 126
    assert standin.grants() == ["client_credentials"]  # one token for the whole flow


def test_quickstart_skips_creating_without_snowflake_options(run: Callable[..., Run], standin: StandinServer) -> None:
    """Without --account/--user/--private-key-file, quickstart.py runs steps 1-3 and creates nothing."""
    result = _ok(run("quickstart.py"))
    assert "[4/5] Create a Snowflake key-pair connection: skipped" in result.stdout
    assert not [r for r in standin.requests if r[0] == "POST" and r[1] == "/v2/connections"]


def test_quickstart_demo_runs_the_whole_flow_offline(tmp_path: Path) -> None:
    """quickstart.py --demo needs no credentials and no network beyond loopback, and prints every step."""
    env = offline_env(tmp_path)
    # The guard must be active, or this test proves nothing.
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 443), timeout=1)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert "offline guard" in probe.stderr

    result = run_example("quickstart.py", "--demo", env=env)
    assert result.returncode == 0, result.output
    assert re.search(r"serving on http://127\.0\.0\.1:\d+", result.stdout)
    for number, title in enumerate(("Credentials", "Authenticate", "Who am I", "List connections", "Create", "Build")):
        assert f"[{number}/5] {title}" in result.stdout
    assert "POST /v2/auth/token -> HTTP 200" in result.stdout
    assert "120 connections in all" in result.stdout
    assert "details parsed as SnowflakeKeyPairAuthentication" in result.stdout
    assert len(CONNECTION_ID.findall(result.stdout)) == 2
    assert "Done: the QuickStart ran end to end" in result.stdout
    for secret_marker in (ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX, "PRIVATE KEY"):
        assert secret_marker not in result.output
    assert result.stderr == ""


# -- failures a newcomer will meet ------------------------------------------------------------


def test_missing_credentials_exit_2_naming_the_variables() -> None:
    """Without credentials an example exits 2 and names the missing variables."""
    result = run_example("02_whoami.py", env=clean_env())
    assert result.returncode == 2
    assert "SIGMA_CLIENT_ID" in result.stderr
    assert "SIGMA_CLIENT_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_secret_exits_1_with_sigmas_message(run: Callable[..., Run], sigma_env: dict[str, str]) -> None:
    """A refused secret exits 1 with the 401 and Sigma's message, never the secret that was tried."""
    wrong = "wrong-secret-do-not-print"
    result = run("02_whoami.py", env={**sigma_env, "SIGMA_CLIENT_SECRET": wrong})
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr
    assert "Invalid client credentials" in result.stderr
    assert wrong not in result.output
    assert "Traceback" not in result.stderr
