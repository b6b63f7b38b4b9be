"""Just enough JWT to sign Sigma's impersonation subject token (HS256 only).

Written by hand with the standard library so the SDK has no runtime dependency on a JWT package;
the tests verify the output with PyJWT.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["encode_hs256", "impersonation_subject_token"]


def _b64url(data: bytes) -> str:
    # RFC 7515 §2: base64url without padding.
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact_json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


def encode_hs256(claims: Mapping[str, Any], key: str | bytes, *, headers: Mapping[str, Any] | None = None) -> str:
    """Return the compact JWS of ``claims`` signed with HMAC-SHA256 under ``key``."""
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if headers:
        header.update(headers)
    # The algorithm is fixed by this function; a caller's header must not be able to change it.
    header["alg"] = "HS256"
    signing_input = f"{_b64url(_compact_json(header))}.{_b64url(_compact_json(claims))}".encode("ascii")
    secret = key.encode("utf-8") if isinstance(key, str) else key
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode('ascii')}.{_b64url(signature)}"


def impersonation_subject_token(
    *,
    client_id: str,
    client_secret: str,
    issued_at: int,
    lifetime: int,
    email: str | None = None,
    tenant: str | None = None,
) -> str:
    """The ``subject_token`` Sigma's token exchange expects.

    Header ``kid`` is the client ID (Sigma looks up the signing secret by it); claims are ``sub``
    (the user's email) and/or ``tenant`` (a tenant organization id), plus ``iat``/``exp``.
    """
    if not email and not tenant:
        raise ValueError("impersonation needs a user email, a tenant, or both")
    claims: dict[str, Any] = {"iat": issued_at, "exp": issued_at + lifetime}
    if email:
        claims["sub"] = email
    if tenant:
        claims["tenant"] = tenant
    return encode_hs256(claims, client_secret, headers={"kid": client_id})
