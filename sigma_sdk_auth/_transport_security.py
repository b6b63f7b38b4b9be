"""Where credentials may travel: the transport-security policy, stated and enforced in one place.

The rule.  The client secret, the bearer token and every secret a request carries go

1. only over https: plain ``http://`` is allowed to a loopback host alone (``localhost``,
   127.0.0.0/8, ``::1``: tests and local fakes), for the base URL, the token URL and every request
   the auth signs (:func:`require_secure_url`, else :class:`InsecureTransportError`);
2. only to the configured origins, the API's base URL and its token endpoint: a path a caller gives
   ``SigmaClient.request``/``stream`` is relative to the base URL or an absolute URL on its origin,
   without ``user:password@`` (:func:`require_configured_origin`, else :class:`InvalidArgumentError`);
3. never via a redirect: token requests are sent with ``follow_redirects=False`` whatever the
   client's setting, and a token endpoint that answers 3xx gets :func:`redirect_refused`
   (:class:`InsecureTransportError`); an API call the application lets follow redirects passes
   :func:`check_hop` on every hop, so a hop off the configured origins is https, a GET or HEAD
   (a 307/308 would resend the body) and without an ``Authorization`` header, else
   :class:`InsecureTransportError` before it is sent;
4. never under a credential the caller set by hand: ``request``/``stream`` refuse ``Authorization``,
   ``Proxy-Authorization`` and ``Cookie`` headers (:func:`refuse_credential_headers`, else
   :class:`InvalidArgumentError`).

Who consults it: ``SigmaClient.__init__`` (base URL), ``SigmaAuth`` (token URL, each grant, each
request it signs), ``SigmaClient``'s request hook in both pools (:func:`check_hop`),
``SigmaClient.request``/``stream`` and their async twins (origin and headers), and the local
stand-in server, which binds loopback addresses only (:func:`is_loopback_host`).  Messages name
the host only, never the URL: a URL may carry userinfo or a query string.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Final, TypeAlias

import httpx

from ._errors import InsecureTransportError, InvalidArgumentError

__all__ = [
    "CREDENTIAL_HEADERS",
    "Origin",
    "check_hop",
    "is_loopback_host",
    "origin",
    "redirect_refused",
    "refuse_credential_headers",
    "require_configured_origin",
    "require_secure_url",
]

#: Scheme, host and port: what "the same server" means for the policy.
Origin: TypeAlias = tuple[str, str, int | None]

# Redirect hops to another origin may only fetch: a 307/308 would resend the body (a token
# request's client_secret, a JSON payload) to a host the user never configured.
_FETCH_METHODS: Final = frozenset({"GET", "HEAD"})

#: Headers that carry credentials: the auth sets Authorization on every request (a caller's value would
#: be silently replaced), and a cookie or proxy credential of the caller's has no place beside it.
CREDENTIAL_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie"})


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
    if not isinstance(url, httpx.URL):  # a copy of a URL costs more than this check (every API call)
        url = httpx.URL(url)
    if url.scheme == "https":
        return
    if url.scheme == "http" and is_loopback_host(url.host):
        return
    raise InsecureTransportError(
        f"Refusing to send {purpose} to {url.host!r} over {url.scheme or 'a scheme-less URL'}: use https:// "
        "(plain http:// is allowed only to loopback hosts such as localhost, 127.0.0.1 and ::1)."
    )


def origin(url: httpx.URL) -> Origin:
    """``url``'s scheme, host and port (the scheme's default port when none is given)."""
    return url.scheme, url.host, url.port or {"https": 443, "http": 80}.get(url.scheme)


def check_hop(request: httpx.Request, *, allowed: frozenset[Origin]) -> None:
    """Refuse a request that would leave the configured origins unsafely.

    ``allowed`` holds the API's and the token endpoint's origins.  A request elsewhere can only be
    a redirect hop (when the application set ``follow_redirects``): it must be https (loopback
    excepted), carry no Authorization header (httpx already strips it across origins; this makes
    sure) and only fetch, or :class:`InsecureTransportError` is raised before it is sent.
    """
    if origin(request.url) in allowed:
        return
    require_secure_url(request.url, purpose="a redirected request")
    if request.method not in _FETCH_METHODS or "authorization" in request.headers:
        raise InsecureTransportError(
            f"Refusing to follow a redirect to {request.url.host!r}: a {request.method} with its body or "
            "credentials goes only to the configured Sigma API"
        )


def redirect_refused(response: httpx.Response) -> InsecureTransportError:
    """The error for a token endpoint that answered ``response``, a redirect: its target gets nothing."""
    where = f" (HTTP {response.status_code}"
    if location := response.headers.get("location"):
        try:
            target: httpx.URL | None = response.request.url.join(location)
        except (httpx.InvalidURL, RuntimeError):
            target = None
        where += f" to {target.host!r}" if target is not None and target.host else ""
    where += ")"
    return InsecureTransportError(
        f"Sigma's token endpoint answered with a redirect{where}; credentials are never sent to a redirect "
        "target. Check token_url / base_url: it must be the API URL itself, e.g. https://aws-api.sigmacomputing.com."
    )


def require_configured_origin(url: httpx.URL, base_url: httpx.URL | str) -> None:
    """Raise :class:`InvalidArgumentError` unless an absolute ``url`` a caller gave is on ``base_url``'s
    origin and carries no ``user:password@`` part."""
    if origin(url) != origin(httpx.URL(base_url)):
        raise InvalidArgumentError(
            f"refusing to send a request to {url.host or 'another origin'!r}: path must be relative to "
            "the base URL (the bearer token goes only to the configured API)"
        )
    if url.userinfo:
        raise InvalidArgumentError("path may not carry credentials (user:password@)")


def refuse_credential_headers(headers: httpx.Headers | Mapping[str, str] | None) -> None:
    """Raise :class:`InvalidArgumentError` naming each credential-bearing header among ``headers``."""
    if not headers:
        return
    refused = sorted({name for name in httpx.Headers(headers) if name in CREDENTIAL_HEADERS})
    if refused:
        raise InvalidArgumentError(
            f"headers may not set {', '.join(refused)}: the client authenticates every request with its own "
            "bearer token (use a client with other credentials, or impersonate(), to act as someone else)"
        )
