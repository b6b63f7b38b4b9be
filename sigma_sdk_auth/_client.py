"""``SigmaClient``: the base of the generated ``sigma_sdk.Client``.

It owns the connection pools (one ``httpx.Client`` and one ``httpx.AsyncClient``, created on first
use), one :class:`SigmaAuth` shared by both (so sync and async code reuse one token), the default
timeout and the retry policy.  Generated endpoint functions call :meth:`SigmaClient._send` /
:meth:`SigmaClient._asend`.

Derived clients (:meth:`~SigmaClient.with_options`, :meth:`~SigmaClient.impersonate`) have their
own auth/timeout/retry settings but send through the root client's pools, so deriving is cheap
and does not open new connections.  Only the root client owns (and closes) the pools.
"""

from __future__ import annotations

import enum
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypedDict, TypeVar, Unpack

import attrs
import httpx

from ._auth import AuthMethod, SigmaAuth, require_secure_url
from ._errors import ConfigurationError
from ._retry import RetryPolicy, asend_with_retries, send_with_retries

if TYPE_CHECKING:  # _config loads only when a from_env/from_postman_environment constructor runs
    from ._config import Settings

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "SigmaClient"]

# Connect fails fast (10 s) when a host is unreachable or a region name is wrong; reads get 60 s
# because some Sigma calls (large list pages with limit=1000, materializations, export setup) take
# tens of seconds, and httpx's own 5 s default cuts them off.  Override per client or with_options().
DEFAULT_TIMEOUT: Final = httpx.Timeout(60.0, connect=10.0)
DEFAULT_MAX_RETRIES: Final = 2

# httpx_args keys that SigmaClient sets itself; passing them there would silently fight the client.
_RESERVED_HTTPX_ARGS: Final = {
    "base_url": "base_url",
    "auth": "client_id/client_secret",
    "timeout": "timeout",
    "transport": "transport / async_transport",
}

_Self = TypeVar("_Self", bound="SigmaClient")


class _Unset(enum.Enum):
    UNSET = enum.auto()


_UNSET: Final = _Unset.UNSET


def _user_agent() -> str:
    from importlib import metadata  # costly to import, needed once per client

    try:
        version = metadata.version("sigma-sdk")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"sigma-sdk-python/{version}"


def _region_key(name: str) -> str:
    # "aws-us-east", "AWS_US_EAST" and "aws us east" all name the same region.
    return re.sub(r"[\s_-]+", "_", name.strip()).upper()


def _region_display(name: str) -> str:
    return name.lower().replace("_", "-")


def resolve_base_url(value: str | enum.Enum, regions: type[enum.StrEnum] | None) -> str:
    """Turn a URL, a region name or a region member into the API's base URL (no trailing slash)."""
    if isinstance(value, enum.Enum):
        value = str(value.value)
    if not isinstance(value, str):
        raise ConfigurationError(f"base_url must be a URL or a region name, not {type(value).__name__}")
    text = value.strip()
    if "://" in text:
        try:
            url = httpx.URL(text)
        except httpx.InvalidURL as exc:
            raise ConfigurationError(f"base_url is not a valid URL: {exc}") from None
        # httpx is lenient (it percent-encodes spaces in hosts, accepts port 99999); a typo should fail here.
        bad_port = url.port is not None and not 0 < url.port < 65536
        if url.scheme not in ("http", "https") or not url.host or "%" in url.host or bad_port:
            raise ConfigurationError(f"base_url must be an http(s) URL with a valid host and port, got {text!r}")
        return str(url.copy_with(query=None, fragment=None)).rstrip("/")
    if regions is None:
        raise ConfigurationError(
            f"base_url {text!r} is not a URL; give the API URL, e.g. https://aws-api.sigmacomputing.com"
        )
    key = _region_key(text)
    for member in regions:
        if member.name == key:
            return member.value.rstrip("/")
    valid = ", ".join(_region_display(m.name) for m in regions)
    raise ConfigurationError(f"unknown Sigma region {text!r}; use an https:// URL or one of: {valid}")


class _BorrowedPool(httpx.BaseTransport):
    """Sends through the root client's ``httpx.Client`` (pool, proxies, TLS settings) without its auth.

    ``close()`` is deliberately a no-op: the pool belongs to the root client.
    """

    def __init__(self, root: SigmaClient) -> None:
        self._root = root

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._root.get_httpx_client().send(request, auth=None, follow_redirects=False, stream=True)

    def close(self) -> None:
        pass


class _BorrowedAsyncPool(httpx.AsyncBaseTransport):
    """Async twin of :class:`_BorrowedPool`."""

    def __init__(self, root: SigmaClient) -> None:
        self._root = root

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        client = self._root.get_async_httpx_client()
        return await client.send(request, auth=None, follow_redirects=False, stream=True)

    async def aclose(self) -> None:
        pass


class ClientOptions(TypedDict, total=False):
    """The constructor's keyword options, so ``from_env(timout=5)`` is a type error, not a runtime surprise."""

    timeout: httpx.Timeout | float | None
    max_retries: int
    auth_method: AuthMethod
    refresh_margin: float | None
    token_url: str | None
    httpx_args: Mapping[str, Any] | None
    transport: httpx.BaseTransport | None
    async_transport: httpx.AsyncBaseTransport | None


class SigmaClient:
    """A Sigma REST API client: base URL, credentials, pools, timeout and retries.

    ``base_url`` is an API URL or, on a subclass with a ``regions`` enum, a region name
    (case-insensitive; ``-``, ``_`` and spaces are equivalent) or a region member.

    ``timeout`` defaults to 60 s per read and 10 s to connect (see ``DEFAULT_TIMEOUT``);
    ``max_retries`` is how often a failed request is retried (0 disables; see ``RetryPolicy``);
    ``auth_method`` sends the client credentials in the form body (``"form"``) or as HTTP Basic;
    ``refresh_margin`` refreshes tokens this many seconds early (default ``min(60, expires_in/2)``);
    ``httpx_args`` go to both httpx clients (e.g. ``verify``, ``proxy``, ``limits``, ``headers``);
    ``transport``/``async_transport`` replace the network layer (tests, mocks).
    """

    regions: ClassVar[type[enum.StrEnum] | None] = None

    _base_url: str
    _auth: SigmaAuth
    _timeout: httpx.Timeout
    _retry_policy: RetryPolicy
    _httpx_args: dict[str, Any]
    _transport: httpx.BaseTransport | None
    _async_transport: httpx.AsyncBaseTransport | None
    _root: SigmaClient | None
    _client: httpx.Client | None
    _async_client: httpx.AsyncClient | None
    _pool_lock: threading.Lock
    _closed: bool

    def __init__(
        self,
        base_url: str | enum.Enum,
        client_id: str,
        client_secret: str,
        *,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        auth_method: AuthMethod = "form",
        refresh_margin: float | None = None,
        token_url: str | None = None,
        httpx_args: Mapping[str, Any] | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = resolve_base_url(base_url, type(self).regions)
        require_secure_url(self._base_url, purpose="Sigma access tokens")
        args = dict(httpx_args or {})
        for key, instead in _RESERVED_HTTPX_ARGS.items():
            if key in args:
                raise ConfigurationError(f"httpx_args may not set {key!r}; use SigmaClient's {instead} instead")
        self._auth = SigmaAuth(
            client_id,
            client_secret,
            base_url=self._base_url,
            token_url=token_url,
            auth_method=auth_method,
            refresh_margin=refresh_margin,
        )
        self._timeout = httpx.Timeout(timeout)
        self._retry_policy = RetryPolicy(max_retries=max_retries)
        self._httpx_args = args
        self._transport = transport
        self._async_transport = async_transport
        self._root = None
        self._client = None
        self._async_client = None
        self._pool_lock = threading.Lock()
        self._closed = False

    # -- alternative constructors ---------------------------------------------------------------

    @classmethod
    def _from_settings(cls: type[_Self], settings: Settings, kwargs: ClientOptions) -> _Self:
        options = ClientOptions(**kwargs)
        if settings.token_url is not None:
            options.setdefault("token_url", settings.token_url)
        return cls(settings.base_url, settings.client_id, settings.client_secret, **options)

    @classmethod
    def from_env(
        cls: type[_Self],
        *,
        env_file: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        **kwargs: Unpack[ClientOptions],
    ) -> _Self:
        """Build a client from ``SIGMA_BASE_URL`` or ``SIGMA_REGION``, ``SIGMA_CLIENT_ID``, ``SIGMA_CLIENT_SECRET``.

        ``env_file`` (a ``.env`` path) supplies variables the environment does not set.  A missing
        variable raises :class:`ConfigurationError` naming it.  Other keyword arguments go to the
        constructor.
        """
        from ._config import settings_from_env

        return cls._from_settings(settings_from_env(environ, env_file=env_file), kwargs)

    @classmethod
    def from_postman_environment(
        cls: type[_Self], path: str | os.PathLike[str], **kwargs: Unpack[ClientOptions]
    ) -> _Self:
        """Build a client from an exported Postman environment (the QuickStart's ``baseUrl``,
        ``tokenBaseURL``, ``clientID``, ``secret``).  Other keyword arguments go to the constructor."""
        from ._config import settings_from_postman_environment

        return cls._from_settings(settings_from_postman_environment(Path(path)), kwargs)

    # -- derived clients ------------------------------------------------------------------------

    def _derive(
        self: _Self,
        *,
        auth: SigmaAuth | None = None,
        timeout: httpx.Timeout | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> _Self:
        child = object.__new__(type(self))
        child._base_url = self._base_url
        child._auth = auth if auth is not None else self._auth
        child._timeout = timeout if timeout is not None else self._timeout
        child._retry_policy = retry_policy if retry_policy is not None else self._retry_policy
        child._httpx_args = self._httpx_args
        child._transport = None
        child._async_transport = None
        child._root = self._root if self._root is not None else self
        child._client = None
        child._async_client = None
        child._pool_lock = threading.Lock()
        child._closed = False
        return child

    def with_options(
        self: _Self,
        *,
        timeout: httpx.Timeout | float | _Unset | None = _UNSET,
        max_retries: int | _Unset = _UNSET,
    ) -> _Self:
        """A client with another timeout and/or retry budget that shares this one's token and pools.

        >>> list_members.sync(client=client.with_options(timeout=300, max_retries=0))  # one slow call
        """
        return self._derive(
            timeout=None if isinstance(timeout, _Unset) else httpx.Timeout(timeout),
            retry_policy=None
            if isinstance(max_retries, _Unset)
            else attrs.evolve(self._retry_policy, max_retries=max_retries),
        )

    def impersonate(self: _Self, email: str | None = None, *, tenant: str | None = None) -> _Self:
        """A client that acts as the user ``email`` (and/or in ``tenant``), via Sigma's token exchange (beta).

        This client's credential must belong to an admin.  The impersonated client shares the
        connection pools; its own token is obtained on first use and re-exchanged on expiry.
        Some Sigma endpoints refuse impersonated tokens (connections, exports, workbook schedules).
        """
        return self._derive(auth=self._auth.impersonate(email, tenant=tenant))

    # -- accessors ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def client_id(self) -> str:
        return self._auth.client_id

    @property
    def auth(self) -> SigmaAuth:
        return self._auth

    @property
    def timeout(self) -> httpx.Timeout:
        return self._timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._retry_policy

    @property
    def max_retries(self) -> int:
        return self._retry_policy.max_retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, client_id={self._auth.client_id!r})"

    __str__ = __repr__

    def __getstate__(self) -> object:
        raise TypeError(f"{type(self).__name__} cannot be pickled (it holds credentials)")

    # -- httpx clients --------------------------------------------------------------------------

    def _client_args(self) -> dict[str, Any]:
        headers = httpx.Headers({"User-Agent": _user_agent()})
        if self._root is not None:
            # Sending goes through the root's client, which applies everything else in httpx_args.
            headers.update(self._httpx_args.get("headers") or {})
            follow = self._httpx_args.get("follow_redirects", False)
            return {"headers": headers, "follow_redirects": follow}
        args = dict(self._httpx_args)
        headers.update(args.pop("headers", None) or {})
        args["headers"] = headers
        return args

    def _check_open(self) -> None:
        # Recreating pools silently after close() would leak them; fail like httpx does instead.
        if self._closed:
            raise RuntimeError(f"this {type(self).__name__} has been closed")

    def get_httpx_client(self) -> httpx.Client:
        """The ``httpx.Client`` this client sends with (created on first use), authenticated."""
        with self._pool_lock:
            self._check_open()
            if self._client is None:
                transport = _BorrowedPool(self._root) if self._root is not None else self._transport
                self._client = httpx.Client(
                    base_url=self._base_url,
                    auth=self._auth,
                    timeout=self._timeout,
                    transport=transport,
                    **self._client_args(),
                )
            return self._client

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` this client sends with (created on first use), authenticated."""
        # A threading lock in async code is fine here: it is held only to create an object, never
        # across I/O.
        with self._pool_lock:
            self._check_open()
            if self._async_client is None:
                transport = _BorrowedAsyncPool(self._root) if self._root is not None else self._async_transport
                self._async_client = httpx.AsyncClient(
                    base_url=self._base_url,
                    auth=self._auth,
                    timeout=self._timeout,
                    transport=transport,
                    **self._client_args(),
                )
            return self._async_client

    def _send(self, request_kwargs: Mapping[str, Any]) -> httpx.Response:
        """Send one request (``httpx.Client.request`` kwargs, URL relative to base_url) with retries."""
        return send_with_retries(self.get_httpx_client(), request_kwargs, self._retry_policy)

    async def _asend(self, request_kwargs: Mapping[str, Any]) -> httpx.Response:
        """Async twin of :meth:`_send`."""
        return await asend_with_retries(self.get_async_httpx_client(), request_kwargs, self._retry_policy)

    # -- lifecycle ------------------------------------------------------------------------------

    def _mark_closed(self) -> tuple[httpx.Client | None, httpx.AsyncClient | None]:
        with self._pool_lock:
            self._closed = True
            clients = self._client, self._async_client
            self._client = self._async_client = None
            return clients

    def close(self) -> None:
        """Close the sync connection pool; the client cannot be used afterwards.

        On a derived client this only drops its own wrapper; the pools belong to the root client.
        An async pool that exists must be closed with :meth:`aclose` instead.
        """
        client, async_client = self._mark_closed()
        if client is not None:
            client.close()
        if async_client is not None:
            # Closing an AsyncClient needs an event loop; keep it so aclose() can still close it.
            with self._pool_lock:
                self._async_client = async_client

    async def aclose(self) -> None:
        """Close both connection pools; the client cannot be used afterwards."""
        client, async_client = self._mark_closed()
        if async_client is not None:
            await async_client.aclose()
        if client is not None:
            client.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self: _Self) -> _Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
