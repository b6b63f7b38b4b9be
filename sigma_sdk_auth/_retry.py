"""Retries with exponential backoff, full jitter and ``Retry-After``, for sync and async httpx.

What is retried (one rule, :func:`decide`, shared by both loops):

* **429** on any method: a rate-limited request was not acted on.  ``Retry-After`` (seconds or
  HTTP-date) is honoured exactly; if it advises more than ``max_retry_after`` seconds, retrying
  stops at once and the 429 response is returned, so the caller raises a ``RateLimitError`` whose
  ``retry_after`` carries the advice.
* **408, and 5xx except 501/505**, only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS).
  ``Retry-After`` on a 503 is honoured (and capped) the same way.  501 Not Implemented and
  505 HTTP Version Not Supported are answers, not hiccups, and are never retried.
* **Transport errors** (``httpx.TransportError``):

  - ``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``: the request never left this process, so
    the server cannot have acted on it.  Retried for **any** method, POST included.
  - ``ReadError``, ``WriteError``, ``RemoteProtocolError`` (server dropped the connection),
    ``ReadTimeout``, ``WriteTimeout`` and the rest: the server may have received and acted on the
    request, so they are retried only for idempotent methods.  A POST is never sent twice.
  - ``LocalProtocolError`` and ``UnsupportedProtocol`` are bugs in the request, never retried.

Shaped per client (:meth:`SigmaClient.with_options`) or per policy: ``RetryPolicy.no_retry_statuses``
are answered at once, never retried (Sigma's "500: no lineage here" is an answer to that caller), and
``RetryPolicy.retry_statuses`` are retried as 5xx are (idempotent methods only), on top of the rule
above.  Every other status, 429 included, keeps the rule above.

Out of budget (``max_retries`` retries after the first attempt), or not retryable: an HTTP
response is *returned* (the caller turns a non-2xx into a typed error with ``raise_for_status``);
a transport error is *raised* as ``APITimeoutError`` (``httpx.TimeoutException``) or
``APIConnectionError`` (any other ``httpx.TransportError``), chained ``from`` the httpx error.
Note that httpx timeouts apply per attempt: a GET that keeps timing out takes up to
``(max_retries + 1) * timeout`` plus backoff before ``APITimeoutError`` is raised.

Backoff before retry *n* (1-based) is uniform in ``[0, min(max_delay, initial_delay * 2**(n-1))]``
("full jitter").  Each retry is logged at INFO (on the ``sigma_sdk`` logger for API calls) with the
method, the URL path (no query string, host, headers or body), the attempt, the reason and the delay;
at DEBUG every attempt is logged as well (see :func:`_log_attempt`).

Shape: :func:`decide` is the rule; :func:`retrying` is the one loop around it, a sub-flow of the
shared engine (``_flow``) that API calls (:func:`send_with_retries`, :func:`asend_with_retries`),
token requests (``_auth``) and job requests (``jobs._flows``, which hand it their deadline) all
``yield from``.  It alone calls :func:`decide`, logs a retry or a give-up and wraps a transport
error, so a change to retrying is made there.  Streamed responses work: a response that will be
retried is closed, the final one is handed back unread.  How to sleep and how to jitter are fields of the
:class:`RetryPolicy` (tests pass a policy that records instead of sleeping), not module globals.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeAlias

import httpx

from ._errors import APIConnectionError, APITimeoutError
from ._flow import AsyncIO, Close, Flow, Send, Sleep, SyncIO, arun, run
from ._logging import logger, redact
from ._retry_after import parse_retry_after

if TYPE_CHECKING:  # its own module, built on first use (see _retry_policy)
    from ._retry_policy import RetryPolicy

__all__ = [
    "IDEMPOTENT_METHODS",
    "Deadline",
    "Decision",
    "Retried",
    "asend_with_retries",
    "decide",
    "retrying",
    "send_with_retries",
]

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

# 5xx statuses that are final answers rather than transient failures.
_NON_TRANSIENT_5XX: Final = frozenset({501, 505})
# Transport errors raised before the request left this process: safe to resend for any method.
_NOT_SENT_ERRORS: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Transport errors that are deterministic mistakes in the request itself.
_NEVER_RETRY_ERRORS: Final = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)
_Kwargs: TypeAlias = Mapping[str, Any]  # httpx.Client.build_request keyword arguments
_Auth: TypeAlias = httpx.Auth | None

# 2 ** 62 * any sane initial_delay is far beyond max_delay; stops float overflow on huge budgets.
_MAX_EXPONENT: Final = 62


class Decision:
    """The outcome of :func:`decide`: retry after ``delay`` seconds, or stop.

    ``reason`` is for logs and messages.  ``gave_up`` marks a stop on a failure that *was*
    retryable (budget exhausted, or ``Retry-After`` beyond the cap; then ``delay`` is the advice).
    A plain slotted class, not attrs: an attrs class costs about 0.5 ms at import.
    """

    __slots__ = ("delay", "gave_up", "reason", "retry")

    def __init__(self, retry: bool, delay: float, reason: str, *, gave_up: bool = False) -> None:
        self.retry = retry
        self.delay = delay
        self.reason = reason
        self.gave_up = gave_up

    def __repr__(self) -> str:
        return f"Decision(retry={self.retry}, delay={self.delay!r}, reason={self.reason!r}, gave_up={self.gave_up})"


def _backoff(policy: RetryPolicy, retries_done: int) -> float:
    cap = min(policy.max_delay, policy.initial_delay * 2.0 ** min(retries_done, _MAX_EXPONENT))
    return min(cap, max(0.0, policy.jitter(cap)))


def _status_reason(response: httpx.Response) -> str:
    phrase = response.reason_phrase or httpx.codes.get_reason_phrase(response.status_code)
    return f"HTTP {response.status_code} {phrase}".strip()


def decide(
    *,
    method: str,
    retries_done: int,
    policy: RetryPolicy,
    response: httpx.Response | None = None,
    error: httpx.TransportError | None = None,
) -> Decision:
    """Decide whether the attempt that produced ``response`` (or ``error``) should be retried.

    Exactly one of ``response`` and ``error`` is given.  ``retries_done`` is how many retries
    have already been made for this request (0 after the first attempt).
    """
    method = method.upper()
    if error is not None:
        return _decide_error(error, method, retries_done, policy)
    if response is None:
        raise ValueError("decide() needs a response or an error")
    return _decide_status(response, method, retries_done, policy)


def _decide_error(error: httpx.TransportError, method: str, retries_done: int, policy: RetryPolicy) -> Decision:
    reason = type(error).__name__
    if isinstance(error, _NEVER_RETRY_ERRORS):
        return Decision(False, 0.0, f"{reason} is not retryable")
    if method not in IDEMPOTENT_METHODS and not isinstance(error, _NOT_SENT_ERRORS):
        return Decision(False, 0.0, f"{reason} after a {method} may have reached the server")
    if retries_done >= policy.max_retries:
        return Decision(False, 0.0, f"{reason}; retry budget ({policy.max_retries}) exhausted", gave_up=True)
    return Decision(True, _backoff(policy, retries_done), reason)


def _retryable_status(status: int, method: str, policy: RetryPolicy) -> bool:
    """429 on any method; 408, ``retry_statuses`` and 5xx but 501/505 on idempotent methods only."""
    if status == 429:
        return True
    transient = status == 408 or status in policy.retry_statuses or (status >= 500 and status not in _NON_TRANSIENT_5XX)
    return transient and method in IDEMPOTENT_METHODS


def _decide_status(response: httpx.Response, method: str, retries_done: int, policy: RetryPolicy) -> Decision:
    status = response.status_code
    reason = _status_reason(response)
    if status in policy.no_retry_statuses:
        return Decision(False, 0.0, f"{reason} (in no_retry_statuses)")
    if not _retryable_status(status, method, policy):
        return Decision(False, 0.0, reason)
    if retries_done >= policy.max_retries:
        return Decision(False, 0.0, f"{reason}; retry budget ({policy.max_retries}) exhausted", gave_up=True)
    advised = parse_retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
    if advised is None:
        return Decision(True, _backoff(policy, retries_done), reason)
    if advised > policy.max_retry_after:
        return Decision(
            False,
            advised,
            f"{reason}; Retry-After {advised:g}s exceeds max_retry_after {policy.max_retry_after:g}s",
            gave_up=True,
        )
    return Decision(True, advised, f"{reason} (Retry-After {advised:g}s)")


# -- retrying: the one loop around the rule, for API calls, token requests and job requests --------

_Outcome: TypeAlias = httpx.Response | httpx.TransportError


class Deadline(Protocol):
    """A whole job's deadline (``jobs._poll._Poll``): no retry outlasts it."""

    def no_answer_in_time(self, what: str) -> Exception | None:
        """The error for an attempt at ``what`` that timed out with no time left, else None."""

    def cut(self, status: str, delay: float) -> float:
        """``delay`` cut to the time left (raising once none is left); ``status`` says why it waits."""

    def rate_limit_wait(self, response: httpx.Response) -> float:
        """How long to wait out the 429 ``response`` (its Retry-After, or the poll backoff), cut likewise."""


class Retried:
    """How :func:`retrying` names what it retries, in its log lines and in a transport failure's error.

    ``label`` names it in the "Retrying ..." and "Giving up on ..." lines (default ``METHOD /path``),
    which go to ``log``.  ``judged_as`` is the method :func:`decide` judges by (default the request's).
    ``failure`` begins a transport failure's message (default ``METHOD /path timed out`` / ``failed``);
    ``request`` is the request that error carries (default the attempt's); ``scrub`` takes secrets out
    of the httpx error's text.  A plain slotted class, like :class:`Decision`.
    """

    __slots__ = ("failure", "judged_as", "label", "log", "request", "scrub")

    def __init__(
        self,
        *,
        label: str | None = None,
        log: logging.Logger = logger,
        judged_as: str | None = None,
        failure: str | None = None,
        request: httpx.Request | None = None,
        scrub: Callable[[str], str] | None = None,
    ) -> None:
        self.label = label
        self.log = log
        self.judged_as = judged_as
        self.failure = failure
        self.request = request
        self.scrub = scrub

    def name(self, request: httpx.Request) -> str:
        return self.label or _name(request)

    def method(self, request: httpx.Request) -> str:
        return self.judged_as or request.method


_AN_API_CALL: Final = Retried()


def retrying(
    build_request: Callable[[], httpx.Request],
    policy: RetryPolicy,
    *,
    stream: bool = False,
    retried: Retried = _AN_API_CALL,
    deadline: Deadline | None = None,
    pace: Callable[[], Flow[None]] | None = None,
    check: Callable[[httpx.Response], None] | None = None,
) -> Flow[httpx.Response]:
    """Send ``build_request()`` until its answer is final under ``policy``, and return that response.

    The one retry loop, a sub-flow (``yield from``) for API calls (:func:`send_with_retries`), token
    requests (``_auth``) and job requests (``jobs._flows``), and the only code that calls
    :func:`decide`, logs a retry or a give-up, and wraps a transport error.  Before each attempt
    ``pace`` runs (if given), then the request is built afresh (a file body is re-read, a job's timeout
    is cut to the time left) and sent.  ``check`` sees every response first and may raise to refuse it.
    A status below 400 is returned at once; any other is judged by :func:`decide` and retried (the
    response closed, the delay slept) or returned, whatever its status (the caller raises for it).
    A transport error that is not retried raises ``APITimeoutError`` / ``APIConnectionError``.
    With a ``deadline`` (a job's), no wait outlasts it, an attempt that timed out with no time left
    raises the deadline's error, and a 429 is waited out whatever the budget.
    """
    retries_done = 0
    while True:
        request = build_request() if pace is None else (yield from _paced_request(build_request, pace))
        outcome = yield from _attempt(request, stream, check)
        if isinstance(outcome, httpx.Response) and outcome.status_code < 400:
            return outcome  # the common case: nothing to decide
        delay = None if deadline is None else _deadline_wait(deadline, outcome, request, retried, retries_done + 1)
        if delay is None:  # the policy's rule decides
            judged = _judged(outcome)
            decision = decide(method=retried.method(request), retries_done=retries_done, policy=policy, **judged)
            if not decision.retry:
                _log_give_up(retried, request, decision, policy)
                if isinstance(outcome, httpx.Response):
                    return outcome
                raise _transport_failure(outcome, request, retried, retries_done + 1, decision) from outcome
            delay = decision.delay
            if deadline is not None:
                delay = deadline.cut(f"retrying after {decision.reason}", delay)
            _log_retry(retried, request, retries_done, policy, decision, delay)
        yield from _pause(outcome, delay)
        retries_done += 1


def _paced_request(build_request: Callable[[], httpx.Request], pace: Callable[[], Flow[None]]) -> Flow[httpx.Request]:
    """The next attempt's request, built once ``pace`` has let it go (a job's export-rate window)."""
    yield from pace()
    return build_request()


def _deadline_wait(
    deadline: Deadline, outcome: _Outcome, request: httpx.Request, retried: Retried, attempts: int
) -> float | None:
    """What a job's ``deadline`` says of ``outcome`` before the rule is asked: the wait for a 429
    (whatever the budget), or None.  An attempt that timed out with no time left raises its error."""
    if isinstance(outcome, httpx.TimeoutException):
        late = deadline.no_answer_in_time(_name(request))
        if late is not None:
            raise late from _transport_failure(outcome, request, retried, attempts)
    if isinstance(outcome, httpx.Response) and outcome.status_code == 429:
        return deadline.rate_limit_wait(outcome)
    return None


def _pause(outcome: _Outcome, delay: float) -> Flow[None]:
    """Between two attempts: the response that will be retried is closed, then the delay is slept."""
    if isinstance(outcome, httpx.Response):
        yield Close(outcome)
    yield Sleep(delay)


def _log_retry(
    retried: Retried, request: httpx.Request, retries_done: int, policy: RetryPolicy, decision: Decision, delay: float
) -> None:
    retried.log.info(
        "Retrying %s (retry %d of %d) after %s; sleeping %.2fs",
        retried.name(request),
        retries_done + 1,
        policy.max_retries,
        decision.reason,
        delay,
    )


def _log_give_up(retried: Retried, request: httpx.Request, decision: Decision, policy: RetryPolicy) -> None:
    if decision.gave_up and policy.max_retries:  # with retrying off, nothing was given up
        retried.log.info("Giving up on %s: %s", retried.name(request), decision.reason)


def _attempt(request: httpx.Request, stream: bool, check: Callable[[httpx.Response], None] | None) -> Flow[_Outcome]:
    """Send ``request`` once: its response (seen by ``check``), or the transport error it met."""
    debug = logger.isEnabledFor(logging.DEBUG)
    started = time.monotonic() if debug else 0.0  # read only for the DEBUG line (every API call)
    outcome: _Outcome
    try:
        outcome = yield Send(request, stream=stream)
    except httpx.TransportError as exc:
        outcome = exc
    if debug:
        _log_attempt(request, outcome, started)
    if check is not None and isinstance(outcome, httpx.Response):
        check(outcome)
    return outcome


def _name(request: httpx.Request) -> str:
    """``METHOD /path``: how logs and errors name a request (no query string, host or userinfo)."""
    return f"{request.method} {request.url.path}"


def _judged(outcome: _Outcome) -> dict[str, Any]:
    """:func:`decide`'s keyword for ``outcome``: ``response=`` or ``error=``."""
    return {"response": outcome} if isinstance(outcome, httpx.Response) else {"error": outcome}


def _log_attempt(request: httpx.Request, outcome: _Outcome, started: float) -> None:
    """One DEBUG line per attempt (``SIGMA_LOG=debug``): what was sent, what came back, how long it took.

    Per attempt rather than per call, so a retried call shows each failure.  The path only (no
    query string, host or userinfo); the request id is Sigma's ``x-request-id`` header, or ``-``.
    Elapsed time runs until the response headers arrived (a streamed body is read later).
    """
    elapsed_ms = (time.monotonic() - started) * 1000.0
    if isinstance(outcome, httpx.Response):
        request_id = outcome.headers.get("x-request-id") or "-"
        logger.debug(
            "%s -> %s in %.0f ms (request id %s)", _name(request), _status_reason(outcome), elapsed_ms, request_id
        )
    else:
        logger.debug("%s -> %s after %.0f ms", _name(request), type(outcome).__name__, elapsed_ms)


def _transport_failure(
    error: httpx.TransportError,
    request: httpx.Request,
    retried: Retried,
    attempts: int,
    decision: Decision | None = None,
) -> APIConnectionError:
    """The SDK exception for a transport failure; its message never contains headers or bodies.

    ``decision`` is the one that stopped retrying: unless it gave up on a retryable failure, the
    message says why the failure was not retried.
    """
    text = str(error) if retried.scrub is None else retried.scrub(str(error))
    detail = redact(text).strip().rstrip(".")
    what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    timed_out = isinstance(error, httpx.TimeoutException)
    failed = retried.failure or f"{_name(request)} {'timed out' if timed_out else 'failed'}"
    plural = "attempt" if attempts == 1 else "attempts"
    note = "" if decision is None or decision.gave_up else f" (not retried: {decision.reason})"
    kind = APITimeoutError if timed_out else APIConnectionError
    return kind(f"{failed} after {attempts} {plural}: {what}{note}.", request=retried.request or _request_of(error))


def _request_of(error: httpx.TransportError) -> httpx.Request | None:
    try:
        return error.request
    except RuntimeError:  # httpx raises if the error was created without a request
        return None


# -- the drivers of one API call: an httpx client's I/O for the shared drivers in ``_flow`` ---------


def send_with_retries(
    client: httpx.Client, request_kwargs: _Kwargs, policy: RetryPolicy, *, stream: bool = False, auth: _Auth = None
) -> httpx.Response:
    """Send ``client.build_request(**request_kwargs)``, retrying per ``policy``; see the module docstring.

    Returns the final response, whatever its status: read, or with ``stream=True`` unread for the
    caller to stream and close (responses that are retried are closed here).  ``auth``, when
    given, replaces the client's auth for this request.  Raises ``APITimeoutError`` /
    ``APIConnectionError`` for a transport failure that is not retried or outlasts the budget.
    """

    def send(request: httpx.Request, stream: bool) -> httpx.Response:
        return client.send(request, stream=stream, auth=auth or httpx.USE_CLIENT_DEFAULT)

    build = functools.partial(client.build_request, **request_kwargs)
    return run(retrying(build, policy, stream=stream), SyncIO(send, policy.sleep))


async def asend_with_retries(
    client: httpx.AsyncClient, request_kwargs: _Kwargs, policy: RetryPolicy, *, stream: bool = False, auth: _Auth = None
) -> httpx.Response:
    """Async twin of :func:`send_with_retries`, awaiting ``policy.async_sleep`` between attempts."""

    async def send(request: httpx.Request, stream: bool) -> httpx.Response:
        return await client.send(request, stream=stream, auth=auth or httpx.USE_CLIENT_DEFAULT)

    build = functools.partial(client.build_request, **request_kwargs)
    return await arun(retrying(build, policy, stream=stream), AsyncIO(send, policy.async_sleep))
