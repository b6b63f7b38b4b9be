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
("full jitter").  Each retry is logged at INFO on the ``sigma_sdk`` logger with the method, the
URL path (no query string, host, headers or body), the attempt, the reason and the delay; at DEBUG
every attempt is logged as well (see :func:`_log_attempt`).

Shape: like the auth flow in ``_auth.py``, one generator (:func:`_retry_flow`) makes every decision
and two thin drivers (:func:`send_with_retries`, :func:`asend_with_retries`) do the I/O, the
closing of discarded responses and the sleeping.  Streamed responses work: a response that will be
retried is closed, the final one is handed back unread.  How to sleep and how to jitter are fields of the
:class:`RetryPolicy` (tests pass a policy that records instead of sleeping), not module globals.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from typing import Any, Final, TypeAlias

import attrs
import httpx

from ._errors import APIConnectionError, APITimeoutError
from ._logging import logger, redact
from ._retry_after import parse_retry_after

__all__ = [
    "IDEMPOTENT_METHODS",
    "Decision",
    "RetryPolicy",
    "asend_with_retries",
    "decide",
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


def _non_negative(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"RetryPolicy.{attribute.name} must be >= 0, got {value!r}")


def _statuses(value: Iterable[int]) -> frozenset[int]:
    """A set of HTTP status codes, checked: each an int from 400 to 599 (2xx/3xx are never retried anyway)."""
    if isinstance(value, (str, bytes, int)):
        raise TypeError(f"give HTTP statuses as a collection of ints, e.g. {{500}}, not {value!r}")
    statuses = frozenset(value)
    wrong = sorted(repr(s) for s in statuses if isinstance(s, bool) or not isinstance(s, int) or not 400 <= s <= 599)
    if wrong:
        raise ValueError(f"retry statuses must be HTTP error statuses (ints 400-599), got {', '.join(wrong)}")
    return statuses


def _full_jitter(cap: float) -> float:
    return random.uniform(0.0, cap)


async def _asyncio_sleep(delay: float) -> None:
    # asyncio is imported here, not at module level: sync-only programs never pay for it (~60 ms).
    import asyncio

    await asyncio.sleep(delay)


@attrs.frozen
class RetryPolicy:
    """How many times, and how patiently, to retry one request.

    ``max_retries`` counts retries after the first attempt (0 disables retrying).
    ``initial_delay`` and ``max_delay`` bound the jittered exponential backoff; ``max_retry_after``
    is the longest server-advised ``Retry-After`` (seconds) that will be waited out.

    ``no_retry_statuses`` (keyword-only) are HTTP statuses returned at once, never retried, e.g.
    ``{500}`` where Sigma answers 500 for "not present"; ``retry_statuses`` are statuses retried
    like a 5xx (idempotent methods only) that the rule would not retry, e.g. ``{409}``.  A status in
    both is refused; 429 stays retried unless named in ``no_retry_statuses``.

    ``sleep`` (sync callers), ``async_sleep`` (async callers) and ``jitter`` (maps a backoff cap to
    the actual delay, ``uniform(0, cap)`` by default; results are clamped to ``[0, cap]``) are how
    the waiting is done.  ``clock`` (seconds, monotonic) is not used by retries: the job helpers
    (``sigma_sdk.jobs``) measure their deadlines on it, and sleep between polls with ``sleep`` /
    ``async_sleep``.  Keyword-only, and left out of equality and repr: two policies with the same
    numbers are the same policy.  Tests pass recording functions (and a fake clock) here instead of
    sleeping.
    """

    max_retries: int = attrs.field(default=2, validator=[attrs.validators.instance_of(int), _non_negative])
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    no_retry_statuses: frozenset[int] = attrs.field(default=frozenset(), converter=_statuses, kw_only=True)
    retry_statuses: frozenset[int] = attrs.field(default=frozenset(), converter=_statuses, kw_only=True)
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, kw_only=True, eq=False, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = attrs.field(
        default=_asyncio_sleep, kw_only=True, eq=False, repr=False
    )
    jitter: Callable[[float], float] = attrs.field(default=_full_jitter, kw_only=True, eq=False, repr=False)
    clock: Callable[[], float] = attrs.field(default=time.monotonic, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        both = self.no_retry_statuses & self.retry_statuses
        if both:
            raise ValueError(f"statuses {sorted(both)} are in both no_retry_statuses and retry_statuses")


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
    idempotent = method in IDEMPOTENT_METHODS
    if error is not None:
        reason = type(error).__name__
        if isinstance(error, _NEVER_RETRY_ERRORS):
            return Decision(False, 0.0, f"{reason} is not retryable")
        if not idempotent and not isinstance(error, _NOT_SENT_ERRORS):
            return Decision(False, 0.0, f"{reason} after a {method} may have reached the server")
        if retries_done >= policy.max_retries:
            return Decision(False, 0.0, f"{reason}; retry budget ({policy.max_retries}) exhausted", gave_up=True)
        return Decision(True, _backoff(policy, retries_done), reason)

    if response is None:
        raise ValueError("decide() needs a response or an error")
    status = response.status_code
    reason = _status_reason(response)
    if status in policy.no_retry_statuses:
        return Decision(False, 0.0, f"{reason} (in no_retry_statuses)")
    if status == 429:
        retryable = True
    elif status == 408 or status in policy.retry_statuses or (status >= 500 and status not in _NON_TRANSIENT_5XX):
        retryable = idempotent
    else:
        retryable = False
    if not retryable:
        return Decision(False, 0.0, reason)
    if retries_done >= policy.max_retries:
        return Decision(False, 0.0, f"{reason}; retry budget ({policy.max_retries}) exhausted", gave_up=True)
    if status in (429, 503):
        advised = parse_retry_after(response.headers.get("retry-after"))
        if advised is not None:
            if advised > policy.max_retry_after:
                return Decision(
                    False,
                    advised,
                    f"{reason}; Retry-After {advised:g}s exceeds max_retry_after {policy.max_retry_after:g}s",
                    gave_up=True,
                )
            return Decision(True, advised, f"{reason} (Retry-After {advised:g}s)")
    return Decision(True, _backoff(policy, retries_done), reason)


def _log_retry(method: str, path: str, retries_done: int, policy: RetryPolicy, decision: Decision) -> None:
    logger.info(
        "Retrying %s %s (retry %d of %d) after %s; sleeping %.2fs",
        method,
        path,
        retries_done + 1,
        policy.max_retries,
        decision.reason,
        decision.delay,
    )


def _log_give_up(method: str, path: str, decision: Decision) -> None:
    logger.info("Giving up on %s %s: %s", method, path, decision.reason)


def _log_attempt(method: str, path: str, outcome: _Outcome, started: float) -> None:
    """One DEBUG line per attempt (``SIGMA_LOG=debug``): what was sent, what came back, how long it took.

    Per attempt rather than per call, so a retried call shows each failure.  The path only (no
    query string, host or userinfo); the request id is Sigma's ``x-request-id`` header, or ``-``.
    Elapsed time runs until the response headers arrived (a streamed body is read later).
    """
    elapsed_ms = (time.monotonic() - started) * 1000.0
    if isinstance(outcome, httpx.Response):
        request_id = outcome.headers.get("x-request-id") or "-"
        logger.debug(
            "%s %s -> %s in %.0f ms (request id %s)", method, path, _status_reason(outcome), elapsed_ms, request_id
        )
    else:
        logger.debug("%s %s -> %s after %.0f ms", method, path, type(outcome).__name__, elapsed_ms)


def _transport_failure(
    error: httpx.TransportError, method: str, path: str, attempts: int, decision: Decision
) -> APIConnectionError:
    """The SDK exception for a transport failure; its message never contains headers or bodies."""
    detail = redact(str(error)).strip().rstrip(".")
    what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    try:
        request: httpx.Request | None = error.request
    except RuntimeError:  # httpx raises if the error was created without a request
        request = None
    plural = "attempt" if attempts == 1 else "attempts"
    note = "" if decision.gave_up else f" (not retried: {decision.reason})"
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"{method} {path} timed out after {attempts} {plural}: {what}{note}.", request=request)
    return APIConnectionError(f"{method} {path} failed after {attempts} {plural}: {what}{note}.", request=request)


# -- the flow: every decision, no I/O --------------------------------------------------------------

_Outcome: TypeAlias = httpx.Response | httpx.TransportError


class _Attempt:
    """A step of the flow: close ``discard``, sleep ``delay`` (None on the first attempt), send ``request``."""

    __slots__ = ("delay", "discard", "request")

    def __init__(
        self, request: httpx.Request, delay: float | None = None, discard: httpx.Response | None = None
    ) -> None:
        self.request = request
        self.delay = delay
        self.discard = discard


_RetryFlow: TypeAlias = Generator[_Attempt | httpx.Response, httpx.Response, None]


def _retry_flow(build: Callable[[], httpx.Request], policy: RetryPolicy) -> _RetryFlow:
    """Decide over the attempts of one request; yield each :class:`_Attempt`, then the final response.

    ``build`` makes the request afresh for each attempt (a file body is re-read).  The driver sends
    each attempt's response in, or throws in the ``httpx.TransportError`` it raised.  The last thing
    yielded is the response to hand back (any status: the caller raises for non-2xx); a transport
    failure that will not be retried raises ``APIConnectionError`` / ``APITimeoutError`` instead.
    """
    request = build()
    method, path = request.method, request.url.path
    debug = logger.isEnabledFor(logging.DEBUG)
    step = _Attempt(request)
    retries_done = 0
    while True:
        started = time.monotonic()
        outcome: _Outcome
        try:
            outcome = yield step
        except httpx.TransportError as exc:
            outcome = exc
        if debug:
            _log_attempt(method, path, outcome, started)
        discard: httpx.Response | None = None
        if isinstance(outcome, httpx.Response):
            if outcome.status_code < 400:  # the common case: nothing to decide
                yield outcome
                return
            decision = decide(method=method, retries_done=retries_done, policy=policy, response=outcome)
            if not decision.retry:
                if decision.gave_up and policy.max_retries:  # with retrying off, nothing was given up
                    _log_give_up(method, path, decision)
                yield outcome
                return
            discard = outcome
        else:
            decision = decide(method=method, retries_done=retries_done, policy=policy, error=outcome)
            if not decision.retry:
                raise _transport_failure(outcome, method, path, retries_done + 1, decision) from outcome
        _log_retry(method, path, retries_done, policy, decision)
        step = _Attempt(build(), decision.delay, discard)
        retries_done += 1


# -- the drivers: the only code that differs between sync and async --------------------------------


def send_with_retries(
    client: httpx.Client, request_kwargs: _Kwargs, policy: RetryPolicy, *, stream: bool = False, auth: _Auth = None
) -> httpx.Response:
    """Send ``client.build_request(**request_kwargs)``, retrying per ``policy``; see the module docstring.

    Returns the final response, whatever its status: read, or with ``stream=True`` unread for the
    caller to stream and close (responses that are retried are closed here).  ``auth``, when
    given, replaces the client's auth for this request.  Raises ``APITimeoutError`` /
    ``APIConnectionError`` for a transport failure that is not retried or outlasts the budget.
    """
    flow = _retry_flow(functools.partial(client.build_request, **request_kwargs), policy)
    step = next(flow)
    while isinstance(step, _Attempt):
        if step.discard is not None:
            step.discard.close()
        if step.delay is not None:
            policy.sleep(step.delay)
        try:
            step = flow.send(client.send(step.request, stream=stream, auth=auth or httpx.USE_CLIENT_DEFAULT))
        except httpx.TransportError as exc:
            step = flow.throw(exc)
    return step


async def asend_with_retries(
    client: httpx.AsyncClient, request_kwargs: _Kwargs, policy: RetryPolicy, *, stream: bool = False, auth: _Auth = None
) -> httpx.Response:
    """Async twin of :func:`send_with_retries`, awaiting ``policy.async_sleep`` between attempts."""
    flow = _retry_flow(functools.partial(client.build_request, **request_kwargs), policy)
    step = next(flow)
    while isinstance(step, _Attempt):
        if step.discard is not None:
            await step.discard.aclose()
        if step.delay is not None:
            await policy.async_sleep(step.delay)
        try:
            step = flow.send(await client.send(step.request, stream=stream, auth=auth or httpx.USE_CLIENT_DEFAULT))
        except httpx.TransportError as exc:
            step = flow.throw(exc)
    return step
