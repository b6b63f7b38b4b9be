"""The contract between the generated ``sigma_sdk`` package and this hand-written runtime.

Generated modules (``sigma_sdk/api/**``, ``sigma_sdk/models/**``) import from this module; the
package's thin public faces (``client``, ``errors``, ``jobs``, ``testing``, ``types``) import from the
public ``sigma_sdk_auth`` modules of the same name.  Nothing generated imports an underscore module
or calls a private method of the client.  Everything a template needs is named here,
so the runtime can be refactored freely behind these names; ``tests/codegen/test_seam.py`` fails if the
generated tree reaches past them.  Changing a signature here means regenerating ``sigma_sdk/``.
In the other direction, the optional fast parser (``_fast.py``) reads two private names of each
generated model module: ``_JSON_KEYS`` and ``_resolve_references`` (templates/model.py.jinja).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import httpx

from ._client import SigmaClient
from ._error_responses import raise_for_status
from ._errors import InvalidArgumentError
from ._forward import UnknownValue, note_unknown_variant, unknown_value
from ._lazy import lazy_names
from ._secrets import mapping_repr

if TYPE_CHECKING:
    from ._pagination import aiterate_pages, iterate_pages, next_cursor
    from ._validation import Operation, parse_body, parse_detailed

__all__ = [
    "Operation",
    "UnknownValue",
    "aiterate_pages",
    "asend",
    "iterate_pages",
    "lazy_names",
    "mapping_repr",
    "next_cursor",
    "note_unknown_variant",
    "parse_body",
    "parse_detailed",
    "path_segment",
    "raise_for_status",
    "send",
    "unknown_value",
]

# Names only endpoint modules use, from modules loaded on their first use: a model module imports
# this one for `mapping_repr` alone, so importing a model does not load the response checks
# (`_validation`, which loads `_fast`) or pagination.
_LAZY: Final = {
    "Operation": "._validation",
    "parse_body": "._validation",
    "parse_detailed": "._validation",
    "aiterate_pages": "._pagination",
    "iterate_pages": "._pagination",
    "next_cursor": "._pagination",
}

# Segments that URL normalization (httpx, proxies, servers) collapses into another route.
_DOT_SEGMENTS: Final = frozenset({".", ".."})
# RFC 3986 unreserved characters other than "." stay as they are; everything else is escaped,
# "/" included, so a value can never become two segments.
_SAFE: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~.")


def path_segment(value: object, name: str) -> str:
    """``value`` as exactly one percent-encoded URL path segment, for the path parameter ``name``.

    ``""``, ``"."`` and ``".."`` are refused with :class:`InvalidArgumentError`: an empty segment
    reaches the parent collection, and dot segments are removed by URL normalization, so
    ``grant_id=".."`` would turn ``DELETE /v2/connections/C/grants/..`` into
    ``DELETE /v2/connections/C``.  No Sigma ID is one of these, so refusing them loses nothing.
    Everything else is escaped except unreserved characters (``%`` becomes ``%25``, so
    ``"%2e%2e"`` stays a literal segment and cannot be decoded into ``..`` on the way).
    """
    text = value if isinstance(value, str) else str(value)
    if text in _DOT_SEGMENTS or not text:
        shown = repr(text) if text else "an empty string"
        raise InvalidArgumentError(
            f"path parameter {name!r} is {shown}, which cannot be sent as one path segment "
            "(it would reach another endpoint); pass the object's ID"
        )
    if all(char in _SAFE for char in text):  # the common case: IDs are URL-safe already
        return text
    return "".join(char if char in _SAFE else _escape(char) for char in text)


def _escape(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def send(client: SigmaClient, request: Mapping[str, Any]) -> httpx.Response:
    """Send ``request`` (``httpx.Client.request`` keyword arguments, URL relative to the base URL)
    with the client's auth, timeout and retries; return the final response, whatever its status."""
    return client._send(request)


async def asend(client: SigmaClient, request: Mapping[str, Any]) -> httpx.Response:
    """Async twin of :func:`send`."""
    return await client._asend(request)


if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name is an error, not Any
    __getattr__, __dir__ = lazy_names(globals(), _LAZY)
