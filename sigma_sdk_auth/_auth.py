"""``SigmaAuth``: an ``httpx.Auth`` that turns a client ID and secret into always-valid bearer tokens.

Shape (the same as httpx's own auth classes): one generator, :meth:`SigmaAuth._flow`, holds all the
logic and is driven by both :meth:`~SigmaAuth.sync_auth_flow` and :meth:`~SigmaAuth.async_auth_flow`.
It is a flow of the shared engine (``_flow``): the API request is a ``PassOn`` step, which the two
methods hand to httpx as its auth protocol asks; every other step is performed by the engine's
sync or async driver (:func:`~sigma_sdk_auth._flow.advance` / ``aadvance``):

* ``Send(token_request)``: a token request goes through the ``token_client`` SigmaClient hands the
  auth (its own pools, with redirects off), so a transport error comes back into the flow instead of
  escaping to the caller; without one (a bare ``SigmaAuth`` on your httpx client) it goes to httpx too.
* ``Sleep(seconds)``: the pause between two token attempts (the policy's ``sleep`` / ``async_sleep``).
* ``WaitFor(fetch)``: wait until a token fetch another caller leads has finished.
* ``Read(response)``: a 401 is read (its connection freed) before the flow waits for a new token.

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

Token requests get the retry policy of an idempotent call (the shared ``_retry.retrying`` sub-flow
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

import functools
import math
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, TypeGuard

import httpx

from ._errors import ConfigurationError
from ._fetch import Fetch, longest_fetch
from ._flow import AsyncIO, AsyncSend, Done, Flow, PassOn, Read, SyncIO, SyncSend, WaitFor, aadvance, advance
from ._grants import (
    GRANT_CLIENT_CREDENTIALS,
    GRANT_REFRESH_TOKEN,
    GRANT_TOKEN_EXCHANGE,
    REFUSED,
    TOKEN_TYPE_ACCESS_TOKEN,
    TOKEN_TYPE_JWT,
    Token,
    build_token_request,
    endpoint_error,
    parse_token,
    refused_error,
)
from ._logging import get_logger
from ._retry import Retried, retrying
from ._scrubbing import SCRUB_EXTENSION
from ._secrets import scrub_secrets
from ._transport_security import redirect_refused, require_secure_url

if TYPE_CHECKING:  # built on first use, in __init__ (see _retry_policy)
    from ._retry_policy import RetryPolicy

__all__ = ["TOKEN_PATH", "AuthMethod", "SigmaAuth", "token_url_for"]

_log = get_logger("sigma_sdk.auth")

TOKEN_PATH: Final = "/v2/auth/token"

# The subject token only has to survive the exchange request itself.
_SUBJECT_TOKEN_LIFETIME: Final = 300
# decide() judges a token request as an idempotent call: repeating a grant is harmless (client
# credentials and exchanges mint a new token; a refresh token already spent is refused, and the
# flow falls back to client credentials).
_TOKEN_REQUEST_RETRIES_AS: Final = "PUT"

# A waiter wakes this often to check that the fetch it waits on still has a live leader.
_WAIT_SLICE: Final = 0.1

AuthMethod: TypeAlias = Literal["form", "basic"]


def token_url_for(base_url: httpx.URL | str) -> httpx.URL:
    """Sigma's token endpoint for an API base URL: ``<base_url>/v2/auth/token``."""
    url = httpx.URL(base_url)
    return url.copy_with(path=url.path.rstrip("/") + TOKEN_PATH, query=None, fragment=None)


# The records below are plain slotted classes rather than attrs classes: each attrs class costs about
# 0.5 ms at import (it compiles its methods), and these need no generated repr or equality.
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


def _loggable(url: httpx.URL) -> str:
    """The URL's path: no host, userinfo or query string reaches a log line."""
    return url.path or "/"


def _display(url: httpx.URL) -> str:
    """Scheme, host, port and path, for error messages: never userinfo or a query string."""
    return f"{url.scheme}://{url.netloc.decode('ascii')}{url.path}"


def _check_credentials(
    client_id: object, secret: object, method: object, refresh: object, margin: float | None
) -> None:
    """Raise :class:`ConfigurationError` naming the first of ``SigmaAuth``'s arguments that is unusable."""
    if not _is_text(client_id, stripped=True):
        raise ConfigurationError("client_id must be a non-empty string")
    if not _is_text(secret):
        raise ConfigurationError("client_secret must be a non-empty string")
    if method not in ("form", "basic"):
        raise ConfigurationError(f"auth_method must be 'form' or 'basic', not {method!r}")
    if refresh is not None and not _is_text(refresh, stripped=True):
        raise ConfigurationError("refresh_token must be a non-empty string (or None)")
    if margin is not None and margin < 0:
        raise ConfigurationError("refresh_margin must be >= 0 seconds (or None for the default)")


def _is_text(value: object, *, stripped: bool = False) -> bool:
    """True for a non-empty string (non-blank, with ``stripped``)."""
    return isinstance(value, str) and bool(value.strip() if stripped else value)


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
        _check_credentials(client_id, client_secret, auth_method, refresh_token, refresh_margin)
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
        if retry_policy is None:
            from ._retry_policy import RetryPolicy  # built on first use (see _retry_policy)

            retry_policy = RetryPolicy()
        self._retry_policy = retry_policy
        self._token_client = token_client
        self._async_token_client = async_token_client
        self._clock = clock
        self._wall_clock = wall_clock
        self._impersonation: _Impersonation | None = None

        # The token state: read without the lock on the fast path, swapped only under it.
        self._state_lock = threading.Lock()
        self._token: Token | None = None
        self._fetch: Fetch | None = None
        # A seeded refresh token stands in for a token that is never fresh: the first fetch spends it
        # with the refresh grant (falling back to client credentials only if Sigma refuses it).
        self._seed_refresh_token = refresh_token.strip() if refresh_token else None
        if self._seed_refresh_token:
            self._token = Token(
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
        io = SyncIO(self._sync_token_sender(), self._retry_policy.sleep)
        try:  # rather than contextlib.closing: this runs for every API call, and costs less
            outcome = advance(flow, None, io)
            while not isinstance(outcome, Done):  # a request for httpx to send
                response = yield outcome.request
                if not outcome.stream:  # a token request (a bare SigmaAuth's) is parsed, so read
                    response.read()
                outcome = advance(flow, response, io)
        finally:
            flow.close()

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self._flow(request)
        io = AsyncIO(self._async_token_sender(), self._retry_policy.async_sleep)
        try:
            outcome = await aadvance(flow, None, io)
            while not isinstance(outcome, Done):
                response = yield outcome.request
                if not outcome.stream:
                    await response.aread()
                outcome = await aadvance(flow, response, io)
        finally:
            flow.close()

    def _sync_token_sender(self) -> SyncSend | None:
        """How token requests are sent: through ``token_client``, never redirected; None: through httpx."""
        token_client = self._token_client
        if token_client is None:
            return None
        return lambda request, stream: token_client().send(request, stream=stream, auth=None, follow_redirects=False)

    def _async_token_sender(self) -> AsyncSend | None:
        token_client = self._async_token_client
        if token_client is None:
            return None
        return lambda request, stream: token_client().send(request, stream=stream, auth=None, follow_redirects=False)

    # -- the flow -------------------------------------------------------------------------------

    def _flow(self, request: httpx.Request) -> Flow[None]:
        require_secure_url(request.url, purpose="a Sigma access token")
        # An error built from the answer to this request scrubs the secrets this auth holds.
        request.extensions = {**request.extensions, SCRUB_EXTENSION: self._scrub}
        token = self._token
        if not self._is_fresh(token):  # checked here first: a fresh token needs no sub-flow (every call)
            token = yield from self._valid_token(request)
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        response = yield PassOn(request)
        if response.status_code != 401:
            return
        yield Read(response)  # so its connection goes back to the pool before we wait for a token
        # Sigma rejected exactly the token this request carried (expired early, revoked...).  Marking
        # that object, not "the current token", leaves alone a newer token another caller already got.
        token.rejected = True
        _log.info(
            "Sigma answered 401 to %s %s; re-authenticating and replaying once", request.method, _loggable(request.url)
        )
        token = yield from self._valid_token(request)
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        # Whatever comes back now, including a second 401, goes to the caller.
        yield PassOn(request)

    def _is_fresh(self, token: Token | None) -> TypeGuard[Token]:
        return token is not None and not token.rejected and self._clock() < token.refresh_at(self._refresh_margin)

    def _valid_token(self, origin: httpx.Request) -> Flow[Token]:
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
                    fetch = self._fetch = Fetch(
                        deadline=time.monotonic()
                        + longest_fetch(origin, self._retry_policy, self._impersonation is not None)
                    )
            if leader:
                return (yield from self._lead(fetch, token, origin))
            yield WaitFor(
                fetch.done, over=functools.partial(self._wait_is_over, fetch), slice=_WAIT_SLICE, refusal=fetch.refusal
            )
            if fetch.token is not None:
                return fetch.token
            if fetch.error is not None:
                raise fetch.error  # the failure is shared, like concurrent.futures shares one exception
            # The leader was abandoned before it finished: look again, and perhaps lead.

    def _lead(self, fetch: Fetch, current: Token | None, origin: httpx.Request) -> Flow[Token]:
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

    def _settle(self, fetch: Fetch, *, token: Token | None = None, error: Exception | None = None) -> None:
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

    def _wait_is_over(self, fetch: Fetch, done: bool) -> bool:
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

    def _fetch_token(self, current: Token | None, origin: httpx.Request) -> Flow[Token]:
        if self._impersonation is not None:
            return (yield from self._exchange(self._impersonation, origin))
        if current is not None and current.refresh_token:
            response, issued_at = yield from self._token_request(
                {"grant_type": GRANT_REFRESH_TOKEN, "refresh_token": current.refresh_token}, origin
            )
            if response.is_success:
                return parse_token(
                    response, issued_at, client_id=self._client_id, previous_refresh_token=current.refresh_token
                )
            if response.status_code not in REFUSED:
                raise endpoint_error(response, "Refreshing the Sigma access token failed")
            _log.info("Sigma refused the refresh token (HTTP %s); using client credentials", response.status_code)
        response, issued_at = yield from self._token_request({"grant_type": GRANT_CLIENT_CREDENTIALS}, origin)
        if response.is_success:
            return parse_token(response, issued_at, client_id=self._client_id)
        if response.status_code in REFUSED:
            raise refused_error(
                response,
                f"Sigma rejected the client credentials for client_id {self._client_id!r} "
                f"at {_display(self._token_url)}",
                "check the client ID and secret (an API credential is created in Sigma under "
                "Administration > Developer Access)",
            )
        raise endpoint_error(response, "Requesting a Sigma access token failed")

    def _exchange(self, imp: _Impersonation, origin: httpx.Request) -> Flow[Token]:
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
                "grant_type": GRANT_TOKEN_EXCHANGE,
                "subject_token": subject_token,
                "subject_token_type": TOKEN_TYPE_JWT,
                "actor_token": admin_token.access_token,
                "actor_token_type": TOKEN_TYPE_ACCESS_TOKEN,
            }
            # Sigma requires the actor token to also be the request's bearer token.
            response, issued_at = yield from self._token_request(form, origin, bearer=admin_token.access_token)
            if response.is_success:
                # An exchanged token has no refresh token: on expiry the exchange is simply redone.
                return parse_token(response, issued_at, client_id=self._client_id, keep_refresh_token=False)
            if response.status_code == 401 and attempt == 1:
                # Perhaps the admin token was the one refused; get a fresh one and try exactly once more.
                admin_token.rejected = True
                continue
            if response.status_code in REFUSED:
                raise refused_error(
                    response,
                    f"Sigma refused to impersonate {imp.describe()} with client_id {self._client_id!r}",
                    "the credential must belong to an admin, and the user/tenant must exist",
                )
            break
        raise endpoint_error(response, f"Impersonating {imp.describe()} failed")

    def _token_request(
        self, form: Mapping[str, str], origin: httpx.Request, *, bearer: str | None = None
    ) -> Flow[tuple[httpx.Response, float]]:
        """Send one grant, retried per the policy; return the final response and when it was sent.

        Any HTTP answer but a redirect is returned (the caller decides what a non-2xx means); a
        transport error that outlasts the retries raises ``APIConnectionError``/``APITimeoutError``.
        """
        require_secure_url(self._token_url, purpose="client credentials")
        sent: list[tuple[httpx.Request, float]] = []

        def build() -> httpx.Request:
            request = build_token_request(
                form,
                origin,
                token_url=self._token_url,
                client_id=self._client_id,
                client_secret=self._client_secret,
                auth_method=self._auth_method,
                bearer=bearer,
                scrub=self._scrub,
            )
            _log.debug(
                "Requesting a Sigma access token (grant_type=%s) from %s", form["grant_type"], _loggable(request.url)
            )
            # Measured just before sending, so the computed expiry errs on the early side.
            sent.append((request, self._clock()))
            return request

        def refuse_redirects(response: httpx.Response) -> None:
            # ``response.request`` is another request if the client the auth is attached to followed a
            # redirect (only without a token_client): too late to unsend, but never accepted.
            if response.is_redirect or response.request is not sent[-1][0]:
                raise redirect_refused(response)

        retried = Retried(
            label="the Sigma token request",
            log=_log,
            judged_as=_TOKEN_REQUEST_RETRIES_AS,
            failure=f"Requesting a Sigma access token from {_display(self._token_url)} failed",
            request=origin,  # the API request that needed the token: the token request holds the secret
            scrub=self._scrub,
        )
        response = yield from retrying(build, self._retry_policy, retried=retried, check=refuse_redirects)
        return response, sent[-1][1]

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
