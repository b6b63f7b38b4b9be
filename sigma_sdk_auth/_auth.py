"""``SigmaAuth``: an ``httpx.Auth`` that turns a client ID and secret into always-valid bearer tokens.

Shape (the same as httpx's own auth classes): one generator, :meth:`SigmaAuth._flow`, holds all the
logic and is driven by both :meth:`~SigmaAuth.sync_auth_flow` and :meth:`~SigmaAuth.async_auth_flow`.
The flow yields three kinds of step:

* ``_Send(request)``: the driver yields the request to httpx and sends the response back in;
* ``_Acquire(auth)`` / ``_Release(auth)``: the driver takes or drops that auth's token lock.

Only the lock differs between the two drivers (a ``threading.Lock`` for sync callers, an
``asyncio.Lock`` per event loop for async ones), so the token logic exists once.

Single flight: whoever finds the token missing, expiring or rejected takes the lock, looks again
(another caller may have fetched a token while it waited), and only then asks Sigma for a new one.
Callers that find a fresh token never touch the lock.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, TypeVar

import httpx

if TYPE_CHECKING:  # asyncio loads only when an async flow runs (sync programs skip ~60 ms of import)
    import asyncio

from ._errors import (
    AuthenticationError,
    ConfigurationError,
    InsecureTransportError,
    SigmaAPIError,
    error_from_response,
)

__all__ = ["TOKEN_PATH", "AuthMethod", "SigmaAuth", "is_loopback_host", "require_secure_url", "token_url_for"]

_log = logging.getLogger("sigma_sdk.auth")

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

AuthMethod: TypeAlias = Literal["form", "basic"]

_T = TypeVar("_T")


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ``::1``)."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(url: httpx.URL | str, *, purpose: str) -> None:
    """Raise :class:`InsecureTransportError` unless ``url`` is https, or http to a loopback host.

    The message names the host only: a URL may carry userinfo or a query string.
    """
    url = httpx.URL(url)
    if url.scheme == "https":
        return
    if url.scheme == "http" and is_loopback_host(url.host):
        return
    raise InsecureTransportError(
        f"Refusing to send {purpose} to {url.host!r} over {url.scheme or 'a scheme-less URL'}: use https:// "
        "(plain http:// is allowed only to loopback hosts such as localhost, 127.0.0.1 and ::1)."
    )


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


# The steps a flow yields to its driver (created on every request).
class _Send:
    """Send ``request`` and resume the flow with the response."""

    __slots__ = ("request", "token_request")

    def __init__(self, request: httpx.Request, token_request: bool) -> None:
        self.request = request
        self.token_request = token_request


class _Acquire:
    """Take ``auth``'s lock (a threading or an asyncio lock, depending on the driver)."""

    __slots__ = ("auth",)

    def __init__(self, auth: SigmaAuth) -> None:
        self.auth = auth


class _Release:
    """Give back the lock taken by the matching :class:`_Acquire`."""

    __slots__ = ("auth",)

    def __init__(self, auth: SigmaAuth) -> None:
        self.auth = auth


_Step: TypeAlias = _Send | _Acquire | _Release
_Flow: TypeAlias = Generator[_Step, httpx.Response | None, _T]


def _send(request: httpx.Request, *, token_request: bool) -> _Flow[httpx.Response]:
    response = yield _Send(request, token_request)
    if response is None:  # pragma: no cover - a driver bug, not a runtime condition
        raise RuntimeError("auth flow driver resumed a send step without a response")
    return response


def _must_read(step: _Send, response: httpx.Response) -> bool:
    # Token responses are parsed, so they are read.  A 401 is read before the flow waits for the token
    # lock, so its connection goes back to the pool instead of being held by a waiting caller.  Other
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
    threads and tasks; they all reuse one token.

    ``refresh_margin``: refresh this many seconds before expiry (default ``min(60, expires_in / 2)``).
    ``clock``: a monotonic clock, injectable for tests.
    """

    # The flow parses token-endpoint responses.  The drivers read exactly the bodies the flow needs
    # (token responses, and 401s before a replay) and leave other API responses unread so that
    # ``client.stream(...)`` downloads are not buffered.
    requires_response_body = True

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: httpx.URL | str | None = None,
        token_url: httpx.URL | str | None = None,
        auth_method: AuthMethod = "form",
        refresh_margin: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(client_id, str) or not client_id.strip():
            raise ConfigurationError("client_id must be a non-empty string")
        if not isinstance(client_secret, str) or not client_secret:
            raise ConfigurationError("client_secret must be a non-empty string")
        if auth_method not in ("form", "basic"):
            raise ConfigurationError(f"auth_method must be 'form' or 'basic', not {auth_method!r}")
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
        self._clock = clock
        self._wall_clock = wall_clock
        self._impersonation: _Impersonation | None = None

        self._token: _Token | None = None
        self._thread_lock = threading.Lock()
        # asyncio.Lock binds to the loop it is first used on, so keep one per loop.  Creating one is
        # guarded by a separate, never-held-across-I/O lock so an event loop never blocks on it long.
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._async_locks_guard = threading.Lock()

    # -- public surface -------------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def token_url(self) -> httpx.URL:
        return self._token_url

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
        held: list[threading.Lock] = []
        try:
            step = next(flow)
            while True:
                reply: httpx.Response | None = None
                if isinstance(step, _Acquire):
                    lock = step.auth._thread_lock
                    lock.acquire()
                    held.append(lock)
                elif isinstance(step, _Release):
                    lock = step.auth._thread_lock
                    held.remove(lock)
                    lock.release()
                else:
                    reply = yield step.request
                    if _must_read(step, reply):
                        reply.read()
                step = flow.send(reply)
        except StopIteration:
            return
        finally:
            flow.close()
            for lock in reversed(held):
                lock.release()

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self._flow(request)
        held: list[asyncio.Lock] = []
        try:
            step = next(flow)
            while True:
                reply: httpx.Response | None = None
                if isinstance(step, _Acquire):
                    lock = step.auth._async_lock()
                    await lock.acquire()
                    held.append(lock)
                elif isinstance(step, _Release):
                    lock = step.auth._async_lock()
                    held.remove(lock)
                    lock.release()
                else:
                    reply = yield step.request
                    if _must_read(step, reply):
                        await reply.aread()
                step = flow.send(reply)
        except StopIteration:
            return
        finally:
            flow.close()
            for lock in reversed(held):
                lock.release()

    def _async_lock(self) -> asyncio.Lock:
        import asyncio  # see the TYPE_CHECKING import

        loop = asyncio.get_running_loop()
        with self._async_locks_guard:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = self._async_locks[loop] = asyncio.Lock()
            return lock

    # -- the flow -------------------------------------------------------------------------------

    def _flow(self, request: httpx.Request) -> _Flow[None]:
        require_secure_url(request.url, purpose="a Sigma access token")
        token = yield from self._valid_token(request)
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        response = yield from _send(request, token_request=False)
        if response.status_code != 401:
            return
        # Sigma rejected exactly the token this request carried (expired early, revoked...).  Marking
        # that object, not "the current token", leaves alone a newer token another caller already got.
        token.rejected = True
        _log.info("Sigma answered 401 to %s %s; re-authenticating and replaying once", request.method, request.url)
        token = yield from self._valid_token(request)
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        # Whatever comes back now, including a second 401, goes to the caller.
        yield from _send(request, token_request=False)

    def _is_fresh(self, token: _Token | None) -> bool:
        return token is not None and not token.rejected and self._clock() < token.refresh_at(self._refresh_margin)

    def _valid_token(self, origin: httpx.Request) -> _Flow[_Token]:
        token = self._token
        if token is not None and self._is_fresh(token):
            return token  # fast path: no lock
        yield _Acquire(self)
        # Double-check: whoever held the lock before us may have fetched a token already.
        token = self._token
        if token is None or not self._is_fresh(token):
            token = yield from self._fetch(token, origin)
            self._token = token
        yield _Release(self)
        return token

    def _fetch(self, current: _Token | None, origin: httpx.Request) -> _Flow[_Token]:
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
                f"Sigma rejected the client credentials for client_id {self._client_id!r} at {self._token_url}",
                "check the client ID and secret (an API credential is created in Sigma under "
                "Administration > Developer Access)",
            )
        raise self._token_endpoint_error(response, "Requesting a Sigma access token failed")

    def _exchange(self, imp: _Impersonation, origin: httpx.Request) -> _Flow[_Token]:
        for attempt in (1, 2):
            # Lock order is always impersonating auth -> admin auth, never the reverse.
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
        require_secure_url(self._token_url, purpose="client credentials")
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
        _log.debug("Requesting a Sigma access token (grant_type=%s) from %s", form["grant_type"], self._token_url)
        # Measured before sending, so the computed expiry errs on the early side.
        issued_at = self._clock()
        response = yield from _send(request, token_request=True)
        return response, issued_at

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
        except ValueError:
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
            "Obtained a Sigma access token for client_id %r (expires in %.0f s, refresh token: %s)",
            self._client_id,
            token.expires_in,
            "yes" if token.refresh_token else "no",
        )
        return token

    # -- errors ---------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        # Belt and braces: a server that echoes what it was sent must not put secrets in our messages.
        secrets = [self._client_secret]
        for auth in (self, self._impersonation.admin if self._impersonation else None):
            if auth is not None and auth._token is not None:
                secrets.append(auth._token.access_token)
                if auth._token.refresh_token:
                    secrets.append(auth._token.refresh_token)
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def _refused_error(self, response: httpx.Response, what: str, hint: str) -> AuthenticationError:
        server = error_from_response(response)
        return AuthenticationError(
            self._scrub(f"{what}: {server.message}; {hint}"),
            status_code=server.status_code,
            code=server.code,
            request_id=server.request_id,
            response=response,
        )

    def _token_endpoint_error(self, response: httpx.Response, what: str) -> SigmaAPIError:
        error = error_from_response(response)
        error.message = self._scrub(f"{what}: {error.message}")
        error.args = (error.message,)
        return error
