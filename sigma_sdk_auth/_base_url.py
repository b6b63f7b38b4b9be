"""Which API URL a ``base_url`` argument names: a URL, a region name or a region member.

``SigmaClient`` accepts any of the three; its subclass ``sigma_sdk.Client`` sets ``regions`` to the
``Region`` enum generated from the spec's servers, so ``"aws-us-east"``, ``"AWS_US_EAST"`` and
``Region.AWS_US_EAST`` all name one URL.  A URL is checked here for what httpx lets through (a
password in it, a bad port, a space in the host); whether it is safe to send credentials to is the
transport policy's question (``_transport_security``), asked by the client right after.
"""

from __future__ import annotations

import enum
import re

import httpx

from ._errors import ConfigurationError

__all__ = ["resolve_base_url"]


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
        if url.userinfo or "@" in text.partition("://")[2].partition("/")[0]:
            # Never echoed: it is a password.  httpx would also send it as HTTP Basic on some paths.
            raise ConfigurationError(
                "base_url may not contain a user name or password (user:password@host); "
                "pass the credential as client_id and client_secret"
            )
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
