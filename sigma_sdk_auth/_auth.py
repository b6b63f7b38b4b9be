"""``SigmaAuth``: an ``httpx.Auth`` that turns a client ID and secret into always-valid bearer tokens.

Shape (the same as httpx's own auth classes): one generator, :meth:`SigmaAuth._flow`, holds all the
logic and is driven by both :meth:`~SigmaAuth.sync_auth_flow` and :meth:`~SigmaAuth.async_auth_flow`.
The flow yields four kinds of step, and the drivers differ only in how they perform them:

* ``_Send(request)``: an API request goes to httpx and its response comes back into the flow.  A
  token request goes through the ``token_client`` SigmaClient hands the auth (its own pools, with
  redirects off), so a transport error comes back into the flow as a value instead of escaping
  to the caller; without one (a bare ``SigmaAuth`` on your httpx client) it goes to httpx too.
* ``_Sleep(delay)``: the pause between two token attempts (the policy's ``sleep`` / ``async_sleep``).
* ``_Wait(fetch)``: wait until a token fetch another caller leads has finished.

One token state per auth, whoever asks.  The token, and the fetch in flight if any, sit behind one
``threading.Lock`` that is held only to read or swap them, never across I/O, so threads, asyncio
tasks and several event loops share them.  Whoever finds the token missing, expiring or rejected
either starts the fetch (it becomes the *leader*) or joins the fetch already in flight.  The leader
sends the token request, with its retries, from its own thread or loop; each fetch carries a
``concurrent.futures.Future`` that the leader resolves when it is done, which a thread waits on and
an asyncio task awaits (``asyncio.wrap_future``, on its own loop, without blocking it).  Every
waiter then takes the fetch's outcome: the new token, or the *same failure* (a wrong secret costs
one token request however many callers were waiting on it; a call after the fetch finished starts
a new one).  A leader that is abandoned (task cancelled, or its request escaped as an exception)
resolves the fetch with no outcome and a waiter takes over.  A leader that cannot resolve it (its
event loop was closed or stopped mid-fetch, its thread ended) or that outlasts the longest its
timeouts and retries allow is taken over too: waiters wait in slices and check on the leader, so
none waits for ever.  Should such a leader come back, it costs one extra token request, and its
late token is kept only if nothing fresher arrived.  Callers that find a fresh token never touch
the lock.

Token requests get the retry policy of an idempotent call (:func:`~sigma_sdk_auth._retry.decide`
with the client's :class:`RetryPolicy`): 429 honouring ``Retry-After``, 5xx other than 501/505,
dropped connections and other transport errors; a refused grant (400/401/403) is an answer, not
a hiccup.  The leader retries while the fetch is in flight, so waiters share the final outcome.

Credentials never follow a redirect: token requests go through ``token_client`` with redirects off,
whatever the client's ``follow_redirects``, and a 3xx from the token endpoint raises
:class:`InsecureTransportError`.  (A bare ``SigmaAuth`` on your own httpx client follows that
client's setting; keep ``follow_redirects`` off there, or pass ``token_client``.)
Errors built from Sigma's answers have the secret and every token this auth holds scrubbed out
(see ``SCRUB_EXTENSION`` in ``_scrubbing``); log lines show URL paths only.
"""

from __future__ import annotations

import base64
import contextlib
import math
import sys
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, TypeVar

import httpx

if TYPE_CHECKING:  # these load only when a fetch runs (sync programs skip ~60 ms of asyncio import)
    import asyncio
    import concurrent.futures

from ._error_responses import error_from_response
from ._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    SigmaAPIError,
    SigmaError,
)
from ._logging import get_logger, redact
from ._retry import Decision, RetryPolicy, decide
from ._scrubbing import SCRUB_EXTENSION
from ._secrets import scrub_secrets
from ._transport_security import redirect_refused as _redirect_refused
from ._transport_security import require_secure_url

__all__ = ["TOKEN_PATH", "AuthMethod", "SigmaAuth", "token_url_for"]

_log = get_logger("sigma_sdk.auth")

TOKEN_PATH: Final = "/v2/auth/token"

_GRANT_CLIENT_CREDENTIALS: Final = "client_credentials"
_GRANT_REFRESH_TOKEN: Final = "refresh_token"
_GRANT_TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
_TOKEN_TYPE_JWT: Final = "urn:ietf:params:oauth:token-type:jwt"
_TOKEN_TYPE_ACCESS_TOKEN: Final = "urn:ietf:params:oauth:token-type:access_token"

# Sigma documents a one-hour lifetime; used only if a token response omits expires_in.
_DEFAULT_EXPIRES_IN: Final = 3600.0
# Statuses with which the token endpoint *refuses* a grant (as opposed to failing): after a refused
# refresh we fall back to client_credentials; a refused client_credentials grant is a bad secret.
_REFUSED: Final = frozenset({400, 401, 403})
# The subject token only has to survive the exchange request itself.
_SUBJECT_TOKEN_LIFETIME: Final = 300
# decide() judges a token request as an idempotent call: repeating a grant is harmless (client
# credentials and exchanges mint a new token; a refresh token already spent is refused, and the
# flow falls back to client credentials).
_TOKEN_REQUEST_RETRIES_AS: Final = "PUT"

# A waiter wakes this often to check that the fetch it waits on still has a live leader.
_WAIT_SLICE: Final = 0.1
# How long a leader must look gone (loop stopped or closed, thread ended) before a waiter takes over.
_TAKEOVER_GRACE: Final = 0.15
# The timeout phases one token attempt may spend, each at most once.
_TIMEOUT_PHASES: Final = ("pool", "connect", "write", "read")

AuthMethod: TypeAlias = Literal["form", "basic"]

_T = TypeVar("_T")


def token_url_for(base_url: httpx.URL | str) -> httpx.URL:
    """Sigma's token endpoint for an API base URL: ``<base_url>/v2/auth/token``."""
    url = httpx.URL(base_url)
    return url.copy_with(path=url.path.rstrip("/") + TOKEN_PATH, query=None, fragment=None)


# The records below are plain slotted classes rather than attrs classes: each attrs class costs about
# 0.5 ms at import (it compiles its methods), and these need no generated repr or equality.
class _Token:
    """One access token and what is known about it.

    No ``__eq__`` on purpose: tokens are compared by identity, so "the token this request used" is
    never confused with a newer token that happens to look the same.  No ``__repr__`` either: the
    default one shows no token.
    """

    __slots__ = ("access_token", "expires_in", "issued_at", "refresh_token", "rejected", "token_type")

    def __init__(
        self, *, access_token: str, refresh_token: str | None, token_type: str, expires_in: float, issued_at: float
    ) -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.token_type = token_type
        self.expires_in = expires_in
        self.issued_at = issued_at  # the auth's clock (monotonic by default) when the token request was sent
        # Set when the API answered 401 to a request that carried this token.
        self.rejected = False

    def refresh_at(self, margin: float | None) -> float:
        if margin is None:
            margin = min(60.0, self.expires_in / 2)
        return self.issued_at + self.expires_in - margin


class _Impersonation:
    """Whom an impersonating auth acts as, and the admin auth whose token it exchanges."""

    __slots__ = ("admin", "email", "tenant")

    def __init__(self, *, admin: SigmaAuth, email: str | None, tenant: str | None) -> None:
        self.admin = admin
        self.email = email
        self.tenant = tenant

    def describe(self) -> str:
        parts = [f"user {self.email!r}" if self.email else "", f"tenant {self.tenant!r}" if self.tenant else ""]
        return " in ".join(part for part in parts if part)


class _Fetch:
    """One token fetch in flight (its retries included) and its outcome, shared by all who waited on it.

    ``token`` or ``error`` is set before ``done`` resolves; neither set means the leader was
    abandoned and a waiter should try again.  ``thread`` and ``loop`` are the leader's: a
    *synchronous* caller on that thread would wait for an event loop it is itself blocking, and a
    leader whose loop was closed or stopped (or whose thread ended) will never finish.  ``deadline``
    (monotonic) is the longest the leader's grants may take under its timeouts and retry policy.
    """

    __slots__ = ("deadline", "done", "error", "gone_since", "loop", "settled", "thread", "token")

    def __init__(self, deadline: float) -> None:
        import concurrent.futures  # only a fetch needs it

        self.done: concurrent.futures.Future[None] = concurrent.futures.Future()
        # RUNNING from the start: an async waiter that is cancelled (asyncio.wrap_future passes the
        # cancellation on) then cannot cancel the fetch under the other waiters.
        self.done.set_running_or_notify_cancel()
        self.thread = threading.current_thread()
        self.loop = _running_loop()
        self.deadline = deadline
        self.gone_since: float | None = None  # when a waiter first saw the leader gone
        self.settled = False  # guarded by the auth's state lock
        self.token: _Token | None = None
        self.error: Exception | None = None

    def blocked_by_this_thread(self) -> bool:
        """True if a synchronous wait on this thread would block the running loop that leads the fetch."""
        if self.thread is not threading.current_thread():
            return False
        # The leader's loop stopped or closed on this thread: waiting blocks nothing, and takes over.
        return self.loop is None or self.loop.is_running()

    def stalled(self) -> str | None:
        """Why waiting longer for this fetch is pointless (its leader is gone or overdue), else None.

        A stopped loop may yet run again, so "gone" must hold for a grace period; a waiter that takes
        over too eagerly costs one extra token request, never a wrong answer.
        """
        now = time.monotonic()
        if now >= self.deadline:
            return "it outlasted its timeouts and retries"
        loop = self.loop
        gone = (loop.is_closed() or not loop.is_running()) if loop is not None else not self.thread.is_alive()
        if not gone:
            self.gone_since = None
            return None
        if self.gone_since is None:
            self.gone_since = now
        if now - self.gone_since < _TAKEOVER_GRACE:
            return None
        return "its leader's event loop stopped" if loop is not None else "its leader's thread ended"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    if "asyncio" not in sys.modules:  # no event loop without asyncio, and no import cost for sync programs
        return None
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _loggable(url: httpx.URL) -> str:
    """The URL's path: no host, userinfo or query string reaches a log line."""
    return url.path or "/"


def _display(url: httpx.URL) -> str:
    """Scheme, host, port and path, for error messages: never userinfo or a query string."""
    return f"{url.scheme}://{url.netloc.decode('ascii')}{url.path}"


# The steps a flow yields to its driver.
class _Send:
    """Send ``request``; resume the flow with its response (or, for token requests, its transport error)."""

    __slots__ = ("request", "token_request")

    def __init__(self, request: httpx.Request, token_request: bool) -> None:
        self.request = request
        self.token_request = token_request


class _Sleep:
    """Pause ``delay`` seconds between two token attempts."""

    __slots__ = ("delay",)

    def __init__(self, delay: float) -> None:
        self.delay = delay


class _Wait:
    """Wait until ``fetch`` (led by another caller) has finished."""

    __slots__ = ("fetch",)

    def __init__(self, fetch: _Fetch) -> None:
        self.fetch = fetch


_Step: TypeAlias = _Send | _Sleep | _Wait
_Reply: TypeAlias = httpx.Response | httpx.TransportError | None
_Flow: TypeAlias = Generator[_Step, _Reply, _T]


def _send(request: httpx.Request, *, token_request: bool) -> _Flow[httpx.Response | httpx.TransportError]:
    reply = yield _Send(request, token_request)
    if reply is None:  # pragma: no cover - a driver bug, not a runtime condition
        raise RuntimeError("auth flow driver resumed a send step without a response")
    return reply


def _send_api(request: httpx.Request) -> _Flow[httpx.Response]:
    reply = yield from _send(request, token_request=False)
    if not isinstance(reply, httpx.Response):  # pragma: no cover - drivers only send errors back for token requests
        raise reply
    return reply


def _must_read(step: _Send, response: httpx.Response) -> bool:
    # Token responses are parsed, so they are read.  A 401 is read before the flow waits for a token
    # fetch, so its connection goes back to the pool instead of being held by a waiting caller.  Other
    # API responses are left alone: a streamed download stays streamed.
    return step.token_request or response.status_code == 401


def _timeout_extension(origin: httpx.Request) -> dict[str, object]:
    # Requests built inside an auth flow don't get the client's timeout applied; without this the token
    # request would have no timeout at all.
    timeout = origin.extensions.get("timeout")
    return {"timeout": timeout} if timeout is not None else {}


def _number(value: object, default: float) -> float:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return default
    return default


class SigmaAuth(httpx.Auth):
    """Sigma OAuth for httpx: client credentials, refresh, 401 replay, impersonation.

    >>> auth = SigmaAuth("my-client-id", "my-secret", base_url="https://aws-api.sigmacomputing.com")
    >>> client = httpx.Client(base_url="https://aws-api.sigmacomputing.com", auth=auth)

    One instance may be shared by any number of ``httpx.Client`` and ``httpx.AsyncClient`` objects,
    threads, tasks and event loops; they all reuse one token, and one expiry costs one token request.

    ``refresh_margin``: refresh this many seconds before expiry (default ``min(60, expires_in / 2)``).
    ``refresh_token``: a refresh token to start from (e.g. one a user granted, as Airbyte's Sigma
    connector takes).  The first token comes from it with the ``refresh_token`` grant; it rotates
    like a fetched one, and the client-credentials grant is used only once Sigma refuses it.
    ``retry_policy``: how token requests are retried (default ``RetryPolicy()``: 2 retries).
    ``token_client`` / ``async_token_client``: return the httpx client to send token requests with
    (``SigmaClient`` passes its own pools); they are sent without redirects, and a transport error
    is retried like a 5xx.  Without them, token requests go through the client the auth is attached
    to, and a transport error on one reaches the caller un-retried.
    ``clock``: a monotonic clock, injectable for tests.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: httpx.URL | str | None = None,
        token_url: httpx.URL | str | None = None,
        auth_method: AuthMethod = "form",
        refresh_margin: float | None = None,
        refresh_token: str | None = None,
        retry_policy: RetryPolicy | None = None,
        token_client: Callable[[], httpx.Client] | None = None,
        async_token_client: Callable[[], httpx.AsyncClient] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(client_id, str) or not client_id.strip():
            raise ConfigurationError("client_id must be a non-empty string")
        if not isinstance(client_secret, str) or not client_secret:
            raise ConfigurationError("client_secret must be a non-empty string")
        if auth_method not in ("form", "basic"):
            raise ConfigurationError(f"auth_method must be 'form' or 'basic', not {auth_method!r}")
        if refresh_token is not None and (not isinstance(refresh_token, str) or not refresh_token.strip()):
            raise ConfigurationError("refresh_token must be a non-empty string (or None)")
        if refresh_margin is not None and refresh_margin < 0:
            raise ConfigurationError("refresh_margin must be >= 0 seconds (or None for the default)")
        if token_url is None:
            if base_url is None:
                raise ConfigurationError("SigmaAuth needs base_url (the API's URL) or token_url")
            token_url = token_url_for(base_url)
        self._token_url = httpx.URL(token_url)
        # Fail at construction rather than at the first request.
        require_secure_url(self._token_url, purpose="client credentials")

        self._client_id = client_id.strip()
        self._client_secret = client_secret
        self._auth_method: AuthMethod = auth_method
        self._refresh_margin = refresh_margin
        self._retry_policy = retry_policy if retry_policy is not None else RetryPolicy()
        self._token_client = token_client
        self._async_token_client = async_token_client
        self._clock = clock
        self._wall_clock = wall_clock
        self._impersonation: _Impersonation | None = None

        # The token state: read without the lock on the fast path, swapped only under it.
        self._state_lock = threading.Lock()
        self._token: _Token | None = None
        self._fetch: _Fetch | None = None
        # A seeded refresh token stands in for a token that is never fresh: the first fetch spends it
        # with the refresh grant (falling back to client credentials only if Sigma refuses it).
        self._seed_refresh_token = refresh_token.strip() if refresh_token else None
        if self._seed_refresh_token:
            self._token = _Token(
                access_token="",
                refresh_token=self._seed_refresh_token,
                token_type="Bearer",
                expires_in=0.0,
                issued_at=-math.inf,
            )
            self._token.rejected = True

    # -- public surface -------------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def token_url(self) -> httpx.URL:
        return self._token_url

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._retry_policy

    @property
    def impersonating(self) -> tuple[str | None, str | None] | None:
        """``(email, tenant)`` when this auth impersonates someone, else None."""
        imp = self._impersonation
        return None if imp is None else (imp.email, imp.tenant)

    def impersonate(self, email: str | None = None, *, tenant: str | None = None) -> SigmaAuth:
        """An auth that acts as ``email`` (and/or in ``tenant``) via Sigma's token exchange (beta).

        The new auth borrows this one's (admin) token as the exchange's actor token; impersonating
        from an impersonating auth goes back to the same admin.
        """
        if not email and not tenant:
            raise ConfigurationError("impersonate() needs a user email, a tenant, or both")
        admin = self if self._impersonation is None else self._impersonation.admin
        other = SigmaAuth(
            admin._client_id,
            admin._client_secret,
            token_url=admin._token_url,
            auth_method=admin._auth_method,
            refresh_margin=admin._refresh_margin,
            retry_policy=admin._retry_policy,
            token_client=admin._token_client,
            async_token_client=admin._async_token_client,
            clock=admin._clock,
            wall_clock=admin._wall_clock,
        )
        other._impersonation = _Impersonation(admin=admin, email=email or None, tenant=tenant or None)
        return other

    def __repr__(self) -> str:
        extra = ""
        if self._impersonation is not None:
            extra = f", impersonating={self._impersonation.describe()!r}"
        return f"{type(self).__name__}(client_id={self._client_id!r}, token_url={str(self._token_url)!r}{extra})"

    __str__ = __repr__

    def __getstate__(self) -> object:
        # Pickling would copy the secret and live tokens into wherever the pickle goes.
        raise TypeError(f"{type(self).__name__} cannot be pickled (it holds credentials)")

    # -- drivers: the only code that differs between sync and async ----------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self._flow(request)
        reply: _Reply = None
        try:
            while True:
                step = flow.send(reply)
                reply = None
                if isinstance(step, _Wait):
                    if step.fetch.blocked_by_this_thread():
                        raise _blocking_wait_error()
                    while not self._wait_is_over(step.fetch, step.fetch.done.done()):
                        with contextlib.suppress(TimeoutError):  # a slice is over: check on the leader
                            step.fetch.done.result(timeout=_WAIT_SLICE)
                elif isinstance(step, _Sleep):
                    self._retry_policy.sleep(step.delay)
                elif step.token_request and self._token_client is not None:
                    try:
                        reply = self._token_client().send(step.request, auth=None, follow_redirects=False)
                    except httpx.TransportError as exc:
                        reply = exc
                else:
                    reply = yield step.request
                    if _must_read(step, reply):
                        reply.read()
        except StopIteration:
            return
        finally:
            flow.close()

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        import asyncio  # see the TYPE_CHECKING import

        flow = self._flow(request)
        reply: _Reply = None
        try:
            while True:
                step = flow.send(reply)
                reply = None
                if isinstance(step, _Wait):
                    waiting = asyncio.wrap_future(step.fetch.done)
                    try:
                        while not self._wait_is_over(step.fetch, waiting.done()):
                            await asyncio.wait({waiting}, timeout=_WAIT_SLICE)
                    finally:
                        waiting.cancel()  # a no-op once done; never cancels the fetch (it is RUNNING)
                elif isinstance(step, _Sleep):
                    await self._retry_policy.async_sleep(step.delay)
                elif step.token_request and self._async_token_client is not None:
                    try:
                        client = self._async_token_client()
                        reply = await client.send(step.request, auth=None, follow_redirects=False)
                    except httpx.TransportError as exc:
                        reply = exc
                else:
                    reply = yield step.request
                    if _must_read(step, reply):
                        await reply.aread()
        except StopIteration:
            return
        finally:
            flow.close()

    # -- the flow -------------------------------------------------------------------------------

    def _flow(self, request: httpx.Request) -> _Flow[None]:
        require_secure_url(request.url, purpose="a Sigma access token")
        # An error built from the answer to this request scrubs the secrets this auth holds.
        request.extensions = {**request.extensions, SCRUB_EXTENSION: self._scrub}
        token = yield from self._valid_token(request)
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        response = yield from _send_api(request)
        if response.status_code != 401:
            return
        # Sigma rejected exactly the token this request carried (expired early, revoked...).  Marking
        # that object, not "the current token", leaves alone a newer token another caller already got.
        token.rejected = True
        _log.info(
            "Sigma answered 401 to %s %s; re-authenticating and replaying once", request.method, _loggable(request.url)
        )
        token = yield from self._valid_token(request)
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        # Whatever comes back now, including a second 401, goes to the caller.
        yield from _send_api(request)

    def _is_fresh(self, token: _Token | None) -> bool:
        return token is not None and not token.rejected and self._clock() < token.refresh_at(self._refresh_margin)

    def _valid_token(self, origin: httpx.Request) -> _Flow[_Token]:
        while True:
            token = self._token
            if token is not None and self._is_fresh(token):
                return token  # fast path: no lock
            with self._state_lock:
                # Look again: a fetch may have finished while we were getting here.
                token = self._token
                if token is not None and self._is_fresh(token):
                    return token
                fetch = self._fetch
                leader = fetch is None
                if fetch is None:
                    fetch = self._fetch = _Fetch(deadline=time.monotonic() + self._longest_fetch(origin))
            if leader:
                return (yield from self._lead(fetch, token, origin))
            yield _Wait(fetch)
            if fetch.token is not None:
                return fetch.token
            if fetch.error is not None:
                raise fetch.error  # the failure is shared, like concurrent.futures shares one exception
            # The leader was abandoned before it finished: look again, and perhaps lead.

    def _lead(self, fetch: _Fetch, current: _Token | None, origin: httpx.Request) -> _Flow[_Token]:
        try:
            token = yield from self._fetch_token(current, origin)
        except Exception as exc:
            self._settle(fetch, error=exc)
            raise
        except BaseException:  # GeneratorExit, CancelledError: this caller is gone, another may lead
            self._settle(fetch)
            raise
        self._settle(fetch, token=token)
        return token

    def _settle(self, fetch: _Fetch, *, token: _Token | None = None, error: Exception | None = None) -> None:
        with self._state_lock:
            if fetch.settled:
                # A waiter took over from this (late) leader.  Its token is still good; keep it only
                # if nothing fresher has arrived meanwhile.
                if token is not None and not self._is_fresh(self._token):
                    self._token = token
                return
            fetch.settled = True
            if token is not None:
                self._token = token
            if self._fetch is fetch:
                self._fetch = None
            fetch.token, fetch.error = token, error
        fetch.done.set_result(None)

    def _wait_is_over(self, fetch: _Fetch, done: bool) -> bool:
        """True once ``fetch`` is done, or its leader is gone or overdue (then it is settled with no
        outcome here, and the waiter looks again and perhaps leads): no waiter waits for ever."""
        if done:
            return True
        reason = fetch.stalled()
        if reason is None:
            return False
        _log.warning("Taking over a Sigma token fetch that will not finish: %s", reason)
        self._settle(fetch)
        return True

    def _longest_fetch(self, origin: httpx.Request) -> float:
        """The longest a fetch's grants may take under ``origin``'s timeouts and the retry policy.

        Unbounded (``inf``) when a timeout phase is unbounded.  Each attempt is allowed every phase
        in full (read is per read, so this is generous rather than exact); each retry the longest
        pause the policy allows.
        """
        timeout = origin.extensions.get("timeout")
        attempt = 0.0
        for name in _TIMEOUT_PHASES:
            phase = timeout.get(name) if isinstance(timeout, Mapping) else None
            if not isinstance(phase, int | float):
                return math.inf
            attempt += phase
        policy = self._retry_policy
        per_grant = (policy.max_retries + 1) * attempt + policy.max_retries * max(
            policy.max_delay, policy.max_retry_after
        )
        # A refresh can fall back to client credentials; an exchange waits for the admin's fetch
        # (itself up to two grants) and may be redone once.
        grants = 4 if self._impersonation is not None else 2
        return grants * per_grant

    def _fetch_token(self, current: _Token | None, origin: httpx.Request) -> _Flow[_Token]:
        if self._impersonation is not None:
            return (yield from self._exchange(self._impersonation, origin))
        if current is not None and current.refresh_token:
            response, issued_at = yield from self._token_request(
                {"grant_type": _GRANT_REFRESH_TOKEN, "refresh_token": current.refresh_token}, origin
            )
            if response.is_success:
                return self._parse_token(response, issued_at, previous_refresh_token=current.refresh_token)
            if response.status_code not in _REFUSED:
                raise self._token_endpoint_error(response, "Refreshing the Sigma access token failed")
            _log.info("Sigma refused the refresh token (HTTP %s); using client credentials", response.status_code)
        response, issued_at = yield from self._token_request({"grant_type": _GRANT_CLIENT_CREDENTIALS}, origin)
        if response.is_success:
            return self._parse_token(response, issued_at)
        if response.status_code in _REFUSED:
            raise self._refused_error(
                response,
                f"Sigma rejected the client credentials for client_id {self._client_id!r} "
                f"at {_display(self._token_url)}",
                "check the client ID and secret (an API credential is created in Sigma under "
                "Administration > Developer Access)",
            )
        raise self._token_endpoint_error(response, "Requesting a Sigma access token failed")

    def _exchange(self, imp: _Impersonation, origin: httpx.Request) -> _Flow[_Token]:
        for attempt in (1, 2):
            # An impersonating fetch may wait for the admin's, never the reverse: no cycle.
            admin_token = yield from imp.admin._valid_token(origin)
            from ._jwt import impersonation_subject_token  # only impersonating clients sign JWTs

            subject_token = impersonation_subject_token(
                client_id=self._client_id,
                client_secret=self._client_secret,
                issued_at=int(self._wall_clock()),
                lifetime=_SUBJECT_TOKEN_LIFETIME,
                email=imp.email,
                tenant=imp.tenant,
            )
            form = {
                "grant_type": _GRANT_TOKEN_EXCHANGE,
                "subject_token": subject_token,
                "subject_token_type": _TOKEN_TYPE_JWT,
                "actor_token": admin_token.access_token,
                "actor_token_type": _TOKEN_TYPE_ACCESS_TOKEN,
            }
            # Sigma requires the actor token to also be the request's bearer token.
            response, issued_at = yield from self._token_request(form, origin, bearer=admin_token.access_token)
            if response.is_success:
                # An exchanged token has no refresh token: on expiry the exchange is simply redone.
                return self._parse_token(response, issued_at, keep_refresh_token=False)
            if response.status_code == 401 and attempt == 1:
                # Perhaps the admin token was the one refused; get a fresh one and try exactly once more.
                admin_token.rejected = True
                continue
            if response.status_code in _REFUSED:
                raise self._refused_error(
                    response,
                    f"Sigma refused to impersonate {imp.describe()} with client_id {self._client_id!r}",
                    "the credential must belong to an admin, and the user/tenant must exist",
                )
            break
        raise self._token_endpoint_error(response, f"Impersonating {imp.describe()} failed")

    def _token_request(
        self, form: Mapping[str, str], origin: httpx.Request, *, bearer: str | None = None
    ) -> _Flow[tuple[httpx.Response, float]]:
        """Send one grant, retried per the policy; return the final response and when it was sent.

        Any HTTP answer but a redirect is returned (the caller decides what a non-2xx means); a
        transport error that outlasts the retries raises ``APIConnectionError``/``APITimeoutError``.
        """
        require_secure_url(self._token_url, purpose="client credentials")
        retries_done = 0
        while True:
            request = self._build_token_request(form, origin, bearer)
            _log.debug(
                "Requesting a Sigma access token (grant_type=%s) from %s", form["grant_type"], _loggable(request.url)
            )
            # Measured before sending, so the computed expiry errs on the early side.
            issued_at = self._clock()
            reply = yield from _send(request, token_request=True)
            if isinstance(reply, httpx.Response):
                # ``reply.request`` is another request if the client the auth is attached to followed a
                # redirect (only without a token_client): too late to unsend, but never accepted.
                if reply.is_redirect or reply.request is not request:
                    raise _redirect_refused(reply)
                if reply.status_code < 400:
                    return reply, issued_at
                decision = decide(
                    method=_TOKEN_REQUEST_RETRIES_AS,
                    retries_done=retries_done,
                    policy=self._retry_policy,
                    response=reply,
                )
                if not decision.retry:
                    return reply, issued_at
            else:
                decision = decide(
                    method=_TOKEN_REQUEST_RETRIES_AS, retries_done=retries_done, policy=self._retry_policy, error=reply
                )
                if not decision.retry:
                    raise self._transport_error(reply, origin, retries_done + 1, decision) from reply
            _log.info(
                "Retrying the Sigma token request (retry %d of %d) after %s; sleeping %.2fs",
                retries_done + 1,
                self._retry_policy.max_retries,
                decision.reason,
                decision.delay,
            )
            yield _Sleep(decision.delay)
            retries_done += 1

    def _build_token_request(self, form: Mapping[str, str], origin: httpx.Request, bearer: str | None) -> httpx.Request:
        headers = {"Accept": "application/json"}
        if user_agent := origin.headers.get("user-agent"):
            headers["User-Agent"] = user_agent
        data = dict(form)
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        elif self._auth_method == "basic":
            pair = f"{self._client_id}:{self._client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            data["client_id"] = self._client_id
            data["client_secret"] = self._client_secret
        request = httpx.Request(
            "POST", self._token_url, data=data, headers=headers, extensions=_timeout_extension(origin)
        )
        request.extensions[SCRUB_EXTENSION] = self._scrub
        return request

    def _parse_token(
        self,
        response: httpx.Response,
        issued_at: float,
        *,
        previous_refresh_token: str | None = None,
        keep_refresh_token: bool = True,
    ) -> _Token:
        try:
            body = response.json()
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python decodes
            body = None
        if (
            not isinstance(body, dict)
            or not isinstance(access_token := body.get("access_token"), str)
            or not access_token
        ):
            # Deliberately no body excerpt: a malformed token response may still contain secrets.
            raise SigmaAPIError(
                f"Sigma's token endpoint answered HTTP {response.status_code} without an access_token",
                status_code=response.status_code,
            )
        refresh_token = body.get("refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token:
            # RFC 6749 §6: no new refresh token means the previous one stays valid.
            refresh_token = previous_refresh_token
        token_type = body.get("token_type")
        token = _Token(
            access_token=access_token,
            refresh_token=refresh_token if keep_refresh_token else None,
            token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
            expires_in=_number(body.get("expires_in"), _DEFAULT_EXPIRES_IN),
            issued_at=issued_at,
        )
        _log.debug(
            "Obtained a Sigma access token for client_id %r (expires in %.0f s, %s refresh token)",
            self._client_id,
            token.expires_in,
            "with a" if token.refresh_token else "no",
        )
        return token

    # -- errors ---------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        """``text`` without the client secret or any token this auth (or its admin) holds."""
        # Belt and braces: a server that echoes what it was sent must not put secrets in our messages.
        secrets = [self._client_secret]
        for auth in (self, self._impersonation.admin if self._impersonation else None):
            if auth is not None:
                secrets.append(auth._seed_refresh_token or "")
            token = auth._token if auth is not None else None
            if token is not None:
                secrets += [token.access_token, token.refresh_token or ""]
        return scrub_secrets(text, secrets)

    def _refused_error(self, response: httpx.Response, what: str, hint: str) -> AuthenticationError:
        server = error_from_response(response)  # its message is scrubbed already
        return AuthenticationError(
            f"{what}: {server.message}; {hint}",
            status_code=server.status_code,
            code=server.code,
            request_id=server.request_id,
            response=response,
        )

    def _token_endpoint_error(self, response: httpx.Response, what: str) -> SigmaAPIError:
        error = error_from_response(response)
        error.message = f"{what}: {error.message}"
        error.args = (error.message,)
        return error

    def _transport_error(
        self, error: httpx.TransportError, origin: httpx.Request, attempts: int, decision: Decision
    ) -> APIConnectionError:
        detail = redact(self._scrub(str(error))).strip().rstrip(".")
        what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        plural = "attempt" if attempts == 1 else "attempts"
        note = "" if decision.gave_up else f" (not retried: {decision.reason})"
        kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
        # ``request`` is the API request that needed the token: the token request holds the secret.
        return kind(
            f"Requesting a Sigma access token from {_display(self._token_url)} failed after {attempts} {plural}: "
            f"{what}{note}.",
            request=origin,
        )


def _blocking_wait_error() -> SigmaError:
    return SigmaError(
        "A synchronous Sigma call was made on the thread whose event loop is fetching the access token; "
        "waiting would block that loop for ever. Use the async API inside async code (or run the "
        "synchronous call in a worker thread, e.g. with asyncio.to_thread)."
    )
