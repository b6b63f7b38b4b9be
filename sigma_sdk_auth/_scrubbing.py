"""How an error message quotes a response without the secrets of the request that caused it.

Messages are built from the *response* only (status, reason, body excerpt) and never from the
request, so an Authorization header or a form-encoded secret cannot leak into a traceback.  A
server that echoes what it was sent (some gateways put the bearer token in their error body) is
scrubbed: :func:`scrubber` removes the credential in the request's ``Authorization`` header, the
values of its JSON body's secret fields (a connection's ``privateKey``, ``password``...), and
whatever the callable an auth stores in the request's :data:`SCRUB_EXTENSION` removes
(``SigmaAuth`` removes its client secret and every token it holds); each becomes ``***`` in the
message and code, also JSON-escaped.  A secret shorter than 8 characters is removed only where it
stands alone, so a test's one-letter secret never garbles a message.  Every message that quotes
body text (in ``_error_responses``, ``_validation`` and ``jobs``) gets it from :func:`safe_excerpt`,
which scrubs before it cuts, so a secret the cut would split is never half shown.

Which field names are secret, and how a known secret leaves a text, is the rule in ``_secrets``;
this module applies it to httpx requests and responses.  The two stay apart because ``_secrets``
is also the code generator's rule (``scripts/_codegen/_secrets.py``) and knows nothing of HTTP.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Callable
from typing import Final

import httpx

from ._secrets import request_secrets, scrub_secrets

__all__ = ["SCRUB_EXTENSION", "safe_excerpt", "scrubber"]

#: The request extension under which an auth stores a ``Callable[[str], str]`` that removes the
#: secrets it holds from a text; :func:`scrubber` applies it to every error text built from the answer.
SCRUB_EXTENSION: Final = "sigma_sdk.scrub"

# Long HTML error pages from load balancers are useless past the first line or two.
_EXCERPT_LIMIT: Final = 200
# Credentials travel in HTTP headers, which servers cap at 8-16 KiB: none is longer than this.
_LONGEST_SECRET: Final = 16_384


def safe_excerpt(text: str, scrub: Callable[[str], str], limit: int = _EXCERPT_LIMIT, *, collapse: bool = True) -> str:
    """``text`` from a response body, fit for an error message: ``scrub`` applied, whitespace collapsed
    (unless ``collapse`` is false: a JSON string value is quoted as sent), at most ``limit`` characters.

    Every message built from body text goes through here.  Scrubbing comes before the cut, so a
    secret the cut would split is removed whole instead of half shown.  Only a window of
    ``limit + _LONGEST_SECRET`` characters is scrubbed (a megabyte body costs what a small one does);
    when the text is longer, a secret may straddle the window's end, so the last
    ``_LONGEST_SECRET`` scrubbed characters, which hold any part of it, are never shown.
    """
    window = text[: limit + _LONGEST_SECRET]
    shown = scrub(window)
    cut = len(text) > len(window)
    if cut:
        shown = shown[: max(0, len(shown) - _LONGEST_SECRET)]
    if collapse:
        shown = " ".join(shown.split())
    if cut or len(shown) > limit:
        shown = shown[: limit - 3] + "..."
    return shown


def _header_credentials(authorization: str) -> list[str]:
    """The secret parts of an ``Authorization`` value: the token, and for Basic the decoded password."""
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    secrets = [credential]
    if scheme.lower() == "basic":
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            secrets.append(base64.b64decode(credential, validate=True).decode().partition(":")[2])
    return secrets


def _body_secrets(request: httpx.Request) -> list[str]:
    """The values of the secret fields (``privateKey``, ``password``...) of the request's JSON body."""
    try:
        content = request.content
    except httpx.RequestNotRead:  # a streamed upload: nothing kept to look into
        return []
    return request_secrets(content, request.headers.get("content-type", ""))


def scrubber(response: httpx.Response) -> Callable[[str], str]:
    """What removes the secrets of the request that produced ``response`` from a text: the credential
    of its ``Authorization`` header, the values of its body's secret fields (see ``_secrets``), and
    whatever its auth's ``SCRUB_EXTENSION`` hook removes."""
    try:
        request = response.request
    except RuntimeError:  # a response built by hand, without a request
        return lambda text: text
    secrets = _header_credentials(request.headers.get("authorization", "")) + _body_secrets(request)
    hook = request.extensions.get(SCRUB_EXTENSION)

    def scrub(text: str) -> str:
        text = scrub_secrets(text, secrets)
        return hook(text) if callable(hook) else text

    return scrub
