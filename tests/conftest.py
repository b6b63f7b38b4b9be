"""Shared fixtures: a fake Sigma (token endpoint + API), a fake clock, and a local HTTP server.

``FakeSigma`` is the public testing aid (``sigma_sdk.testing``) with the unit tests' counters: its
``handle`` turns an ``httpx.Request`` into an ``httpx.Response``, so the same fake serves respx
routes and, through ``StandinServer``, the real threaded server on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

import httpx
import pytest
import respx
from _codegen.spec_source import HOW_TO_PROVIDE

from sigma_sdk_auth import RetryPolicy
from sigma_sdk_auth.testing import TOKEN_EXCHANGE as TOKEN_EXCHANGE  # tests import it from here
from sigma_sdk_auth.testing import ApiError, SigmaStandin, StandinServer
from tests._support.stray_files import stray_files, untracked_files

CLIENT_ID = "client-id-1234"
CLIENT_SECRET = "s3cr3t-0f-the-cl1ent-Xq9-long-enough"
BASE_URL = "https://api.sigma.test"

# Most runtime behaviour has a sync and an async path; a test taking ``mode`` runs once for each.
Mode = Literal["sync", "async"]


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> Mode:
    """``"sync"`` then ``"async"``: the path a parametrized test drives."""
    mode: Mode = request.param
    return mode


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSigma(SigmaStandin):
    """The public testing aid (``sigma_sdk.testing.SigmaStandin``) with the unit tests' counters and knobs.

    Tokens are numbered per issue (``access-1-tok``, ``refresh-1-tok``, ``imp-2-tok``) and never expire
    by time, only by :meth:`expire_all_access_tokens`.  Refresh tokens rotate: a used one stops
    working.  Every authorized path other than the token endpoint answers 200 ``{"path": ...}``.
    Counters: ``token_requests`` (each form plus its Authorization header), ``api_requests``
    (path, bearer), ``issued``, ``exchanges`` and ``grants()``.  Knobs: ``expires_in``,
    ``token_delay`` (keeps a token request in flight so concurrent callers pile up),
    ``refuse_refresh`` and ``always_401`` (API paths that answer 401 whatever the token).
    """

    def __init__(self, *, expires_in: float = 3600, token_delay: float = 0.0) -> None:
        # An empty organization (the catch-all route serves no data) and a clock that never moves.
        super().__init__(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            expires_in=expires_in,
            connections=0,
            archived=0,
            members=1,
            workbooks=0,
            clock=lambda: 0.0,
        )
        self.token_delay = token_delay
        self.refuse_refresh = False
        self.always_401: set[str] = set()
        self.token_requests: list[dict[str, str]] = []
        self.api_requests: list[tuple[str, str | None]] = []  # (path, bearer)
        self._ids = itertools.count(1)
        self._n = 0

    @property
    def issued(self) -> list[str]:
        """Every access and refresh token handed out."""
        return self.issued_tokens()

    def expire_all_access_tokens(self) -> None:
        self.expire_access_tokens()

    def new_token(self, kind: str) -> str:
        if kind != "refresh":  # a refresh token shares the number of the access token issued with it
            self._n = next(self._ids)
        prefix = {"access": "access", "refresh": "refresh", "impersonated": "imp"}[kind]
        return f"{prefix}-{self._n}-tok"

    def token_endpoint(self, request: httpx.Request) -> httpx.Response:
        if self.token_delay:
            time.sleep(self.token_delay)
        return self._token(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        """Record the token request, then answer as the stand-in does (tests monkeypatch this)."""
        form = dict(parse_qsl(request.content.decode()))
        with self.lock:
            self.token_requests.append({**form, "authorization": request.headers.get("authorization", "")})
            if self.refuse_refresh and form.get("grant_type") == "refresh_token":
                self.revoke_refresh_tokens()
        return super().token_endpoint(request)

    def authorize(self, request: httpx.Request) -> None:
        authorization = request.headers.get("authorization", "")
        bearer = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
        with self.lock:
            self.api_requests.append((request.url.path, bearer))
        if request.url.path in self.always_401:
            raise ApiError(401, "unauthorized", "Unauthorized")
        super().authorize(request)

    def route(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"path": request.url.path})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Every skip for a missing spec reports from one place, so ``-ra`` prints it as ONE line."""
    report: pytest.TestReport = yield
    if report.skipped and isinstance(report.longrepr, tuple) and HOW_TO_PROVIDE in str(report.longrepr[2]):
        report.longrepr = ("tests/_support/spec.py", 0, report.longrepr[2])
    return report


def skipped_groups(reports: list[pytest.TestReport]) -> list[str]:
    """One line per skip reason: how many tests, in which files, and why (the reason says how to fix it)."""
    groups: dict[str, Counter[str]] = {}
    for report in reports:
        if not report.skipped or not isinstance(report.longrepr, tuple):
            continue
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        groups.setdefault(reason, Counter())[report.nodeid.split("::", 1)[0].removeprefix("tests/")] += 1
    lines = []
    for reason, files in sorted(groups.items(), key=lambda group: -sum(group[1].values())):
        where = ", ".join(f"{name} ({count})" for name, count in sorted(files.items()))
        lines.append(f"{sum(files.values())} skipped in {where}: {reason}")
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After the run, say what each group of skipped tests was and why, not just how many."""
    lines = skipped_groups(terminalreporter.stats.get("skipped", []))
    if lines:
        terminalreporter.section("what was skipped, and why")
        for line in lines:
            terminalreporter.write_line(line)
    stray = terminalreporter.config.stash.get(_STRAY, [])
    if stray:
        terminalreporter.section("files this run left in the checkout (tests write in tmp_path)", red=True)
        for name in stray:
            terminalreporter.write_line(name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_sigma() -> FakeSigma:
    return FakeSigma()


@pytest.fixture
def sigma_server(fake_sigma: FakeSigma) -> Iterator[tuple[str, FakeSigma]]:
    """A real HTTP server on 127.0.0.1 serving ``fake_sigma``; yields (base_url, fake)."""
    with StandinServer(fake_sigma, max_lifetime=120) as server:
        yield server.base_url, fake_sigma


@pytest.fixture
def router(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    """respx routes every request to the in-memory fake Sigma."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=fake_sigma.handle)
        yield router


class RecordedSleeps(list[float]):
    """The delays retries and job polls asked for, recorded instead of slept; :meth:`policy` builds
    policies that use it.

    Each recorded sleep advances ``clock``, the policy's fake clock (job deadlines are measured on
    it); a test may advance it itself to make other work take (fake) time.
    ``jitter``, when set, replaces the policy's jitter (e.g. ``lambda cap: cap`` for exact delays).
    """

    def __init__(self) -> None:
        super().__init__()
        self.jitter: Callable[[float], float] | None = None
        self.clock = FakeClock()

    def policy(self, **fields: Any) -> RetryPolicy:
        hooks: dict[str, Any] = {"sleep": self.sleep, "async_sleep": self._async_sleep, "clock": self.clock}
        if self.jitter is not None:
            hooks["jitter"] = self.jitter
        return RetryPolicy(**fields, **hooks)

    def sleep(self, delay: float) -> None:
        self.append(delay)
        self.clock.advance(delay)

    async def _async_sleep(self, delay: float) -> None:
        self.sleep(delay)


@pytest.fixture
def recorded_sleeps() -> RecordedSleeps:
    """A sleep recorder for tests that must not really wait between retries."""
    return RecordedSleeps()


REPO = Path(__file__).resolve().parents[1]
_UNTRACKED_AT_START = pytest.StashKey[frozenset[str] | None]()
_STRAY = pytest.StashKey[list[str]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_UNTRACKED_AT_START] = untracked_files(REPO)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that left files in the checkout (outside .gitignore) fails; the summary names them."""
    stray = stray_files(session.config.stash.get(_UNTRACKED_AT_START, None), untracked_files(REPO))
    session.config.stash[_STRAY] = stray
    if stray:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
