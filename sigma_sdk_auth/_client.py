"""``SigmaClient``: the base of the generated ``sigma_sdk.Client``.

It owns the connection pools (``_pools.Pools``: one ``httpx.Client``, one ``httpx.AsyncClient`` per
event loop, created on first use), one :class:`SigmaAuth` shared by all of them (so sync and async
code reuse one token), the default timeout and the retry policy.  Generated endpoint functions
reach :meth:`SigmaClient._send` / :meth:`SigmaClient._asend` through ``runtime.send``/``asend``;
:meth:`~SigmaClient.request` and :meth:`~SigmaClient.stream` do the same for any path.

Every request is sent with the sending client's auth and timeout (``httpx.Client.send(request,
auth=...)`` and ``build_request(timeout=...)``).  So a derived client (:meth:`~SigmaClient.with_options`,
:meth:`~SigmaClient.impersonate`) is a plain copy that shares the root's pools: deriving is cheap,
opens no connection, and only the root client owns (and closes) the pools.
"""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypedDict, TypeVar, Unpack
from urllib.parse import unquote, urlsplit

import attrs
import httpx

from ._auth import AuthMethod, SigmaAuth
from ._base_url import resolve_base_url
from ._error_responses import raise_for_status
from ._errors import ConfigurationError, InvalidArgumentError
from ._flow import AsyncIO, SyncIO
from ._pools import Pools
from ._retry import asend_with_retries, send_with_retries
from ._transport_security import (
    check_hop,
    origin,
    refuse_credential_headers,
    require_configured_origin,
    require_secure_url,
)
from ._version import __version__

if TYPE_CHECKING:  # _config loads only when a from_env/from_postman_environment constructor runs
    from ._config import Settings
    from ._retry_policy import RetryPolicy  # built on first use, in __init__ (see _retry_policy)

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "RequestOptions", "SigmaClient"]

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
    return f"sigma-sdk-python/{__version__}"


def _policy_with(policy: RetryPolicy, max_retries: int) -> RetryPolicy:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be an integer >= 0 (0 disables retrying), got {max_retries!r}")
    return attrs.evolve(policy, max_retries=max_retries)


if TYPE_CHECKING:  # only annotations (``**kwargs: Unpack[...]``) name it; a TypedDict costs its import time

    class ClientOptions(TypedDict, total=False):
        """The constructor's keyword options, so ``from_env(timout=5)`` is a type error, not a runtime surprise."""

        timeout: httpx.Timeout | float | None
        max_retries: int
        retry_policy: RetryPolicy | None
        auth_method: AuthMethod
        refresh_margin: float | None
        refresh_token: str | None
        token_url: str | None
        httpx_args: Mapping[str, Any] | None
        transport: httpx.BaseTransport | None
        async_transport: httpx.AsyncBaseTransport | None


class RequestOptions(TypedDict, total=False):
    """The keyword options of :meth:`SigmaClient.request` and its streaming and async twins."""

    params: httpx.QueryParams | Mapping[str, Any] | None
    json: Any
    content: bytes | str | None
    headers: httpx.Headers | Mapping[str, str] | None
    timeout: httpx.Timeout | float | None


class SigmaClient:
    """A Sigma REST API client: base URL, credentials, pools, timeout and retries.

    ``base_url`` is an API URL or, on a subclass with a ``regions`` enum, a region name
    (case-insensitive; ``-``, ``_`` and spaces are equivalent) or a region member.

    ``timeout`` defaults to 60 s per read and 10 s to connect (see ``DEFAULT_TIMEOUT``);
    ``max_retries`` is how often a failed request is retried (0 disables); ``retry_policy`` sets
    every retry knob at once (a :class:`RetryPolicy`, instead of ``max_retries``);
    ``auth_method`` sends the client credentials in the form body (``"form"``) or as HTTP Basic;
    ``refresh_margin`` refreshes tokens this many seconds early (default ``min(60, expires_in/2)``);
    ``refresh_token`` starts from a refresh token you hold (the first token comes from it; client
    credentials only once Sigma refuses it; never shown in repr, logs or errors);
    ``httpx_args`` go to both httpx clients (e.g. ``verify``, ``proxy``, ``limits``, ``headers``);
    ``transport``/``async_transport`` replace the network layer (tests, mocks).
    """

    regions: ClassVar[type[enum.StrEnum] | None] = None

    _base_url: str
    _auth: SigmaAuth
    _timeout: httpx.Timeout
    _pools: Pools  # shared by a root client and every client derived from it
    _root: SigmaClient | None  # None on the root client, which owns (and closes) the pools
    _closed: bool

    def __init__(
        self,
        base_url: str | enum.Enum,
        client_id: str,
        client_secret: str,
        *,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        auth_method: AuthMethod = "form",
        refresh_margin: float | None = None,
        refresh_token: str | None = None,
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
        if retry_policy is None:
            from ._retry_policy import RetryPolicy  # built on first use (see _retry_policy)

            retry_policy = _policy_with(RetryPolicy(), max_retries)
        elif max_retries not in (DEFAULT_MAX_RETRIES, retry_policy.max_retries):
            raise ConfigurationError("give max_retries or retry_policy, not both")
        # Declared here, not with the attributes above: publish() resolves those at import, and
        # RetryPolicy is not built then.
        self._retry_policy: RetryPolicy = retry_policy
        self._auth = SigmaAuth(
            client_id,
            client_secret,
            base_url=self._base_url,
            token_url=token_url,
            auth_method=auth_method,
            refresh_margin=refresh_margin,
            refresh_token=refresh_token,
            # Token requests: the same retry policy, through these pools (made below), never redirected.
            retry_policy=retry_policy,
            token_client=lambda: self._pools.sync(),
            async_token_client=lambda: self._pools.for_running_loop(),
        )
        self._timeout = httpx.Timeout(timeout)
        self._root = None
        self._closed = False
        common = self._httpx_client_args(args)
        sync_hooks, async_hooks = self._event_hooks(args.get("event_hooks"))
        self._pools = Pools(
            type(self).__name__,
            lambda: httpx.Client(transport=transport, event_hooks=sync_hooks, **common),
            lambda: httpx.AsyncClient(transport=async_transport, event_hooks=async_hooks, **common),
        )

    # -- alternative constructors ---------------------------------------------------------------

    @classmethod
    def _from_settings(cls: type[_Self], settings: Settings, kwargs: ClientOptions) -> _Self:
        options = kwargs.copy()  # ClientOptions exists for type checkers only
        if settings.token_url is not None:
            options.setdefault("token_url", settings.token_url)
        if settings.refresh_token is not None:
            options.setdefault("refresh_token", settings.refresh_token)
        return cls(settings.base_url, settings.client_id, settings.client_secret, **options)

    @classmethod
    def from_env(
        cls: type[_Self],
        *,
        env_file: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        **kwargs: Unpack[ClientOptions],
    ) -> _Self:
        """Build a client from ``SIGMA_BASE_URL`` or ``SIGMA_REGION``, ``SIGMA_CLIENT_ID``, ``SIGMA_CLIENT_SECRET``
        (and ``SIGMA_REFRESH_TOKEN``, optional: a refresh token to start from).

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
        # A real copy (subclass attributes included) that shares the pools; its auth and timeout go
        # with each request it sends.  Not copy.copy(): __getstate__ refuses on purpose.
        child = object.__new__(type(self))
        child.__dict__.update(vars(self))
        child._auth = auth if auth is not None else self._auth
        child._timeout = timeout if timeout is not None else self._timeout
        child._retry_policy = retry_policy if retry_policy is not None else self._retry_policy
        child._root = self._root if self._root is not None else self
        child._closed = False
        return child

    def with_options(
        self: _Self,
        *,
        timeout: httpx.Timeout | float | _Unset | None = _UNSET,
        max_retries: int | _Unset = _UNSET,
        no_retry_statuses: Iterable[int] | _Unset = _UNSET,
        retry_statuses: Iterable[int] | _Unset = _UNSET,
    ) -> _Self:
        """A client with another timeout and/or retry shape that shares this one's token and pools.

        ``no_retry_statuses``: HTTP statuses answered at once, never retried, while every other
        status keeps its retries (429 included); ``retry_statuses``: statuses retried like a 5xx
        (idempotent methods only).  Both replace this client's sets (see :class:`RetryPolicy`).

        >>> list_members.sync(client=client.with_options(timeout=300, max_retries=0))  # one slow call
        >>> lineage = client.with_options(no_retry_statuses={500})  # Sigma's 500: "no lineage here"
        """
        policy = self._retry_policy
        if not isinstance(max_retries, _Unset):
            policy = _policy_with(policy, max_retries)
        try:
            if not isinstance(no_retry_statuses, _Unset):
                policy = attrs.evolve(policy, no_retry_statuses=no_retry_statuses)
            if not isinstance(retry_statuses, _Unset):
                policy = attrs.evolve(policy, retry_statuses=retry_statuses)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(str(exc)) from None
        return self._derive(
            timeout=None if isinstance(timeout, _Unset) else httpx.Timeout(timeout),
            retry_policy=None if policy is self._retry_policy else policy,
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

    def _httpx_client_args(self, httpx_args: Mapping[str, Any]) -> dict[str, Any]:
        args = {key: value for key, value in httpx_args.items() if key != "event_hooks"}
        headers = httpx.Headers({"User-Agent": _user_agent()})
        headers.update(args.pop("headers", None) or {})
        return {**args, "headers": headers, "base_url": self._base_url, "auth": self._auth, "timeout": self._timeout}

    def _event_hooks(self, user_hooks: Mapping[str, list[Any]] | None) -> tuple[dict[str, list[Any]], ...]:
        """The application's httpx event hooks, with :func:`check_hop` run last on every request."""
        allowed = frozenset(origin(httpx.URL(url)) for url in (self._base_url, self._auth.token_url))

        def check(request: httpx.Request) -> None:
            check_hop(request, allowed=allowed)

        async def acheck(request: httpx.Request) -> None:
            check_hop(request, allowed=allowed)

        user = dict(user_hooks or {})
        unknown = set(user) - {"request", "response"}
        if unknown:
            raise ConfigurationError(f"httpx_args event_hooks: unknown event(s) {', '.join(sorted(unknown))}")
        response = list(user.get("response", []))
        return (
            {"request": [*user.get("request", []), check], "response": response},
            {"request": [*user.get("request", []), acheck], "response": response},
        )

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"this {type(self).__name__} has been closed")

    def _root_only(self, method: str) -> None:
        if self._root is not None:
            raise ConfigurationError(
                f"{method}() belongs to the root client: this client's own auth and timeout apply per request "
                "(use its request()/stream() methods, or call the root client's method)"
            )

    def get_httpx_client(self) -> httpx.Client:
        """The ``httpx.Client`` the sync calls go through (created on first use), authenticated.

        Only on a root client: the pool is shared with its derived clients (:meth:`with_options`,
        :meth:`impersonate`), which raise :class:`ConfigurationError` here, since the pool
        authenticates as the root; use their :meth:`request` / :meth:`stream` instead.
        """
        self._root_only("get_httpx_client")
        self._check_open()
        return self._pools.sync()

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` for the running event loop (one per loop), authenticated; root only."""
        self._root_only("get_async_httpx_client")
        self._check_open()
        return self._pools.for_running_loop()

    def _send(self, request_kwargs: Mapping[str, Any], *, stream: bool = False) -> httpx.Response:
        """Send one request (``httpx.Client.build_request`` kwargs, URL relative to base_url) with retries.

        Returns the final response whatever its status; with ``stream=True`` its body is unread.
        """
        self._check_open()
        kwargs = {"timeout": self._timeout, **request_kwargs}
        return send_with_retries(self._pools.sync(), kwargs, self._retry_policy, stream=stream, auth=self._auth)

    async def _asend(self, request_kwargs: Mapping[str, Any], *, stream: bool = False) -> httpx.Response:
        """Async twin of :meth:`_send`."""
        self._check_open()
        kwargs = {"timeout": self._timeout, **request_kwargs}
        client = self._pools.for_running_loop()
        return await asend_with_retries(client, kwargs, self._retry_policy, stream=stream, auth=self._auth)

    def _sync_flow_io(self) -> tuple[Callable[..., httpx.Request], SyncIO]:
        """How the sync driver builds and sends this client's requests in a flow (a job's), as :meth:`_send` does."""

        def build(**request_kwargs: Any) -> httpx.Request:
            self._check_open()
            return self._pools.sync().build_request(**{"timeout": self._timeout, **request_kwargs})

        def send(request: httpx.Request, stream: bool) -> httpx.Response:
            return self._pools.sync().send(request, stream=stream, auth=self._auth)

        return build, SyncIO(send, self._retry_policy.sleep)

    def _async_flow_io(self) -> tuple[Callable[..., httpx.Request], AsyncIO]:
        """Async twin of :meth:`_sync_flow_io`: the running loop's pool."""

        def build(**request_kwargs: Any) -> httpx.Request:
            self._check_open()
            return self._pools.for_running_loop().build_request(**{"timeout": self._timeout, **request_kwargs})

        async def send(request: httpx.Request, stream: bool) -> httpx.Response:
            return await self._pools.for_running_loop().send(request, stream=stream, auth=self._auth)

        return build, AsyncIO(send, self._retry_policy.async_sleep)

    # -- raw requests: endpoints the spec lacks ---------------------------------------------------

    def _raw_url(self, path: str) -> str:
        """``path`` if it stays on this client's API; see :meth:`request` for the rules."""
        if not isinstance(path, str):
            raise InvalidArgumentError(f"path must be a string, not {type(path).__name__}")
        try:
            url = httpx.URL(path)
        except httpx.InvalidURL as exc:
            raise InvalidArgumentError(f"path is not a valid URL path: {exc}") from None
        if url.scheme or url.host or url.userinfo:
            require_configured_origin(url, self._base_url)
        # The path as the caller wrote it (httpx.URL has already removed dot segments from an absolute
        # URL), split while still encoded, then each segment decoded: "%2e%2e" is a dot segment, while
        # an ID escaped into one segment ("a%2F..%2Fb", as path_segment makes it) is not.
        if any(unquote(segment) in (".", "..") for segment in urlsplit(path).path.split("/")):
            raise InvalidArgumentError(
                "path may not contain '.' or '..' segments (encoded or not): they would reach another endpoint"
            )
        return path

    def _raw_request(self, method: str, path: str, options: RequestOptions) -> dict[str, Any]:
        unknown = set(options) - set(RequestOptions.__annotations__)
        if unknown:
            raise InvalidArgumentError(f"unexpected request option(s): {', '.join(sorted(unknown))}")
        if options.get("json") is not None and options.get("content") is not None:
            raise InvalidArgumentError("give json or content, not both")
        content = options.get("content")
        if content is not None and not isinstance(content, bytes | str):
            # A retry resends the body: an iterator or file would be spent, and the retry sent empty.
            raise InvalidArgumentError(
                f"content must be bytes or str (a retry resends it), not {type(content).__name__}"
            )
        refuse_credential_headers(options.get("headers"))
        return {"method": method, "url": self._raw_url(path), **options}

    def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> httpx.Response:
        """Call any endpoint, including ones the spec lacks, as a generated operation would.

        Same bearer token, refresh, retries (by method, as for a generated call) and typed errors:
        the body is read, and a non-2xx status raises the :class:`SigmaAPIError` subclass for it
        (``NotFoundError`` with its ``request_id``, ...) once retries are spent.

        ``path`` is relative to the base URL (``"/v2/dataModels/dm1/lineage"``).  An absolute URL is
        accepted only on the base URL's origin (scheme, host and port); any other host, a
        ``user:password@`` part, or a ``.``/``..`` segment (``%2e`` included) raises
        :class:`InvalidArgumentError`, so the bearer token never goes elsewhere.  Segments are not
        escaped for you: quote IDs that come from users (``urllib.parse.quote(value, safe="")``).
        ``options``: ``params``, ``json`` or ``content`` (bytes or str, so a retry can resend it),
        ``headers`` (not ``Authorization``, ``Proxy-Authorization`` or ``Cookie``: the client authenticates
        every request itself), and ``timeout`` (default: the client's).

        >>> lineage = client.request("GET", f"/v2/workbooks/{workbook_id}/lineage").json()
        """
        response = self._send(self._raw_request(method, path, options))
        raise_for_status(response)
        return response

    @contextlib.contextmanager
    def stream(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Iterator[httpx.Response]:
        """Like :meth:`request`, but yields the response with its body unread, for streaming downloads.

        Retries happen before the response is yielded; a non-2xx status raises the typed error
        (after reading its body, which error responses keep small).  The response is closed when
        the ``with`` block ends.

        >>> with client.stream("GET", f"/v2/query/{query_id}/download") as response:
        ...     for chunk in response.iter_bytes():
        ...         out.write(chunk)
        """
        response = self._send(self._raw_request(method, path, options), stream=True)
        try:
            if not response.is_success:
                response.read()
                raise_for_status(response)
            yield response
        finally:
            response.close()

    async def arequest(self, method: str, path: str, **options: Unpack[RequestOptions]) -> httpx.Response:
        """Async twin of :meth:`request`."""
        response = await self._asend(self._raw_request(method, path, options))
        raise_for_status(response)
        return response

    @contextlib.asynccontextmanager
    async def astream(self, method: str, path: str, **options: Unpack[RequestOptions]) -> AsyncIterator[httpx.Response]:
        """Async twin of :meth:`stream`."""
        response = await self._asend(self._raw_request(method, path, options), stream=True)
        try:
            if not response.is_success:
                await response.aread()
                raise_for_status(response)
            yield response
        finally:
            await response.aclose()

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync connection pool; the client cannot be used afterwards.

        On a derived client this only retires that client; the pools belong to the root client.
        Async pools that exist must be closed with :meth:`aclose` instead (closing needs their loop).
        """
        self._closed = True
        if self._root is None:
            self._pools.close()

    async def aclose(self) -> None:
        """Close every connection pool, sync and async (one per event loop); the client cannot be used afterwards."""
        self._closed = True
        if self._root is None:
            await self._pools.aclose()

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
