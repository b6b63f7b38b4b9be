"""Sigma's token endpoint: the grant requests a ``SigmaAuth`` sends, the tokens it gets back, the errors.

``SigmaAuth`` (``_auth``) decides *when* to fetch and shares one fetch among its callers; this module
knows *what* a grant looks like on the wire: how a request is built (form or HTTP Basic credentials,
the API request's user agent and timeout), how an answer becomes a :class:`Token`, and how a refused
or failed grant is worded.  Sending and retrying are the shared ``_retry.retrying`` sub-flow's.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Final

import httpx

from ._error_responses import error_from_response
from ._errors import AuthenticationError, SigmaAPIError
from ._logging import get_logger
from ._scrubbing import SCRUB_EXTENSION

__all__ = [
    "GRANT_CLIENT_CREDENTIALS",
    "GRANT_REFRESH_TOKEN",
    "GRANT_TOKEN_EXCHANGE",
    "REFUSED",
    "TOKEN_TYPE_ACCESS_TOKEN",
    "TOKEN_TYPE_JWT",
    "Token",
    "build_token_request",
    "endpoint_error",
    "parse_token",
    "refused_error",
    "timeout_extension",
]

_log = get_logger("sigma_sdk.auth")

GRANT_CLIENT_CREDENTIALS: Final = "client_credentials"
GRANT_REFRESH_TOKEN: Final = "refresh_token"
GRANT_TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
TOKEN_TYPE_JWT: Final = "urn:ietf:params:oauth:token-type:jwt"
TOKEN_TYPE_ACCESS_TOKEN: Final = "urn:ietf:params:oauth:token-type:access_token"

# Sigma documents a one-hour lifetime; used only if a token response omits expires_in.
_DEFAULT_EXPIRES_IN: Final = 3600.0
# Statuses with which the token endpoint *refuses* a grant (as opposed to failing): after a refused
# refresh we fall back to client_credentials; a refused client_credentials grant is a bad secret.
REFUSED: Final = frozenset({400, 401, 403})


# A plain slotted class rather than an attrs class: each attrs class costs about 0.5 ms at import
# (it compiles its methods), and this one needs no generated repr or equality.
class Token:
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


def timeout_extension(origin: httpx.Request) -> dict[str, object]:
    # Requests built inside an auth flow don't get the client's timeout applied; without this the token
    # request would have no timeout at all.
    timeout = origin.extensions.get("timeout")
    return {"timeout": timeout} if timeout is not None else {}


def build_token_request(
    form: Mapping[str, str],
    origin: httpx.Request,
    *,
    token_url: httpx.URL,
    client_id: str,
    client_secret: str,
    auth_method: str,
    bearer: str | None,
    scrub: Callable[[str], str],
) -> httpx.Request:
    """The POST of grant ``form`` for the API request ``origin`` (its user agent and timeout).

    The credentials go in the form or as HTTP Basic, or ``bearer`` is the Authorization (an exchange's
    actor token); an error built from the answer scrubs with ``scrub``.
    """
    headers = {"Accept": "application/json"}
    if user_agent := origin.headers.get("user-agent"):
        headers["User-Agent"] = user_agent
    data = dict(form)
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    elif auth_method == "basic":
        pair = f"{client_id}:{client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    else:
        data["client_id"] = client_id
        data["client_secret"] = client_secret
    request = httpx.Request("POST", token_url, data=data, headers=headers, extensions=timeout_extension(origin))
    request.extensions[SCRUB_EXTENSION] = scrub
    return request


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


def _access_token(response: httpx.Response) -> tuple[str, dict[str, object]]:
    """The answer's access token and its JSON body; :class:`SigmaAPIError` if it has none."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python decodes
        body = None
    if not isinstance(body, dict) or not isinstance(access_token := body.get("access_token"), str) or not access_token:
        # Deliberately no body excerpt: a malformed token response may still contain secrets.
        raise SigmaAPIError(
            f"Sigma's token endpoint answered HTTP {response.status_code} without an access_token",
            status_code=response.status_code,
        )
    return access_token, body


def parse_token(
    response: httpx.Response,
    issued_at: float,
    *,
    client_id: str,
    previous_refresh_token: str | None = None,
    keep_refresh_token: bool = True,
) -> Token:
    """The token in a successful grant's answer, sent at ``issued_at`` (the auth's clock)."""
    access_token, body = _access_token(response)
    refresh_token = body.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        # RFC 6749 §6: no new refresh token means the previous one stays valid.
        refresh_token = previous_refresh_token
    token_type = body.get("token_type")
    token = Token(
        access_token=access_token,
        refresh_token=refresh_token if keep_refresh_token else None,
        token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
        expires_in=_number(body.get("expires_in"), _DEFAULT_EXPIRES_IN),
        issued_at=issued_at,
    )
    _log.debug(
        "Obtained a Sigma access token for client_id %r (expires in %.0f s, %s refresh token)",
        client_id,
        token.expires_in,
        "with a" if token.refresh_token else "no",
    )
    return token


def refused_error(response: httpx.Response, what: str, hint: str) -> AuthenticationError:
    """The error for a grant Sigma refused (400/401/403): ``what`` happened, Sigma's message, ``hint``."""
    server = error_from_response(response)  # its message is scrubbed already
    return AuthenticationError(
        f"{what}: {server.message}; {hint}",
        status_code=server.status_code,
        code=server.code,
        request_id=server.request_id,
        response=response,
    )


def endpoint_error(response: httpx.Response, what: str) -> SigmaAPIError:
    """The typed error for a grant that failed (not refused), its message starting with ``what``."""
    error = error_from_response(response)
    error.message = f"{what}: {error.message}"
    error.args = (error.message,)
    return error
