"""The stand-in's token endpoint: grants, expiry, rotating refresh tokens, impersonation, bearer checks.

:class:`TokenDesk` is one part of :class:`~sigma_sdk_auth.testing.SigmaStandin`; its public methods
(``issue``, ``new_token``, ``token_endpoint``, ``authorize``...) are the stand-in's, and a subclass
may override them (the unit tests' ``FakeSigma`` numbers its tokens that way).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

import httpx

from ._answers import ApiError, bad_request

__all__ = ["ACCESS_TOKEN_PREFIX", "DEFAULT_CLIENT_ID", "REFRESH_TOKEN_PREFIX", "TOKEN_EXCHANGE", "TokenDesk"]

DEFAULT_CLIENT_ID: Final = "standin-client-id"
ACCESS_TOKEN_PREFIX: Final = "standin-access-"
REFRESH_TOKEN_PREFIX: Final = "standin-refresh-"
TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenDesk:
    """Tokens: what ``POST /v2/auth/token`` issues and what every other request's bearer is checked against."""

    # Set by SigmaStandin.__init__ (shared with the other parts of the stand-in).
    client_id: str
    expires_in: float
    clock: Callable[[], float]
    lock: threading.RLock
    exchanges: list[dict[str, Any]]  # verified impersonation requests: {"header", "claims"}

    def _init_tokens(self, client_id: str, client_secret: str | None, expires_in: float) -> None:
        self.client_id = client_id
        self._client_secret = client_secret if client_secret is not None else secrets.token_urlsafe(24)
        self.expires_in = expires_in
        self._access: dict[str, float] = {}  # access token -> expiry (clock time)
        self._refresh: set[str] = set()
        self._issued: list[str] = []
        self._grants: list[str] = []
        self.exchanges = []

    @property
    def client_secret(self) -> str:
        return self._client_secret

    def new_token(self, kind: str) -> str:
        """A fresh token of ``kind`` (``access``, ``refresh`` or ``impersonated``)."""
        return f"standin-{kind}-{secrets.token_urlsafe(24)}"

    def issue(self, *, refresh: bool = True, kind: str = "access") -> dict[str, Any]:
        """Issue an access token (and a refresh token unless ``refresh=False``); return the token body."""
        with self.lock:
            access = self.new_token(kind)
            self._access[access] = self.clock() + self.expires_in
            self._issued.append(access)
            body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": self.expires_in}
            if refresh:
                body["refresh_token"] = self.new_token("refresh")
                self._refresh.add(body["refresh_token"])
                self._issued.append(body["refresh_token"])
            return body

    def _client_matches(self, request: httpx.Request, form: Mapping[str, str]) -> bool:
        authorization = request.headers.get("authorization", "")
        if authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            given_id, _, given_secret = decoded.partition(":")
        else:
            given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
        return hmac.compare_digest(given_id.encode(), self.client_id.encode()) and hmac.compare_digest(
            given_secret.encode(), self._client_secret.encode()
        )

    def token_endpoint(self, request: httpx.Request) -> httpx.Response:
        """``POST /v2/auth/token``: client_credentials, refresh_token (rotating) and token exchange."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise bad_request("The token endpoint takes an application/x-www-form-urlencoded body")
        try:
            form = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise bad_request("The form body is not UTF-8") from None
        grant = form.get("grant_type", "")
        with self.lock:
            self._grants.append(grant)
            if grant == TOKEN_EXCHANGE:
                return httpx.Response(200, json=self._exchange(request, form))
            if grant not in ("client_credentials", "refresh_token"):
                raise bad_request(f"Unsupported grant_type: {grant[:80]}" if grant else "grant_type is required")
            if not self._client_matches(request, form):
                raise ApiError(401, "unauthorized", "Invalid client credentials")
            if grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                if refresh not in self._refresh:
                    raise ApiError(401, "unauthorized", "Invalid or expired refresh token")
                self._refresh.discard(refresh)  # rotation: a refresh token works once
            return httpx.Response(200, json=self.issue())

    def _exchange(self, request: httpx.Request, form: Mapping[str, str]) -> dict[str, Any]:
        """Impersonation: a subject JWT signed (HS256) with the client secret, for an admin's bearer."""
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        actor = form.get("actor_token", "")
        if scheme.lower() != "bearer" or not hmac.compare_digest(bearer.strip(), actor) or not self._valid(actor):
            raise ApiError(401, "unauthorized", "The actor token must be a valid access token sent as the bearer")
        header, claims = self._verify_subject_token(form.get("subject_token", ""))
        self.exchanges.append({"header": header, "claims": claims})
        body = self.issue(refresh=False, kind="impersonated")
        body["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token"
        return body

    def _verify_subject_token(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            head, payload, signature = token.split(".")
            header = json.loads(_b64url_decode(head))
            claims = json.loads(_b64url_decode(payload))
            given = _b64url_decode(signature)
        except (ValueError, binascii.Error):
            raise bad_request("subject_token is not a JWT") from None
        expected = hmac.new(self._client_secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
        if header.get("alg") != "HS256" or not hmac.compare_digest(given, expected):
            raise ApiError(401, "unauthorized", "subject_token is not signed (HS256) with the client secret")
        if header.get("kid") != self.client_id:
            raise ApiError(401, "unauthorized", "subject_token's kid is not the client ID")
        if not (claims.get("sub") or claims.get("tenant")):
            raise bad_request("subject_token needs a sub (user email) or tenant claim")
        if isinstance(claims.get("exp"), int | float) and claims["exp"] < time.time():
            raise ApiError(401, "unauthorized", "subject_token has expired")
        return header, claims

    def _valid(self, token: str) -> bool:
        expiry = self._access.get(token)
        return expiry is not None and expiry > self.clock()

    def authorize(self, request: httpx.Request) -> None:
        """Raise a 401 :class:`ApiError` unless the request carries a valid, unexpired bearer token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self.lock:
            if scheme.lower() != "bearer" or not self._valid(token.strip()):
                raise ApiError(401, "unauthorized", "Unauthorized")

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired (its next use answers 401)."""
        with self.lock:
            for token in self._access:
                self._access[token] = float("-inf")

    def revoke_refresh_tokens(self) -> None:
        """Make every refresh token issued so far invalid (a refresh then answers 401)."""
        with self.lock:
            self._refresh.clear()

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token handed out so far (look for them in logs: they must not be there)."""
        with self.lock:
            return list(self._issued)

    def grants(self) -> list[str]:
        """The ``grant_type`` of every token request, in order."""
        with self.lock:
            return list(self._grants)
