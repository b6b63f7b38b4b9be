"""Which fields hold secrets, which values a request carried in them, and how a text loses them.

One rule, :func:`is_secret_name`, decides from a field's name alone whether its value is a secret
(and the log redactor, ``_logging.redact``, removes the values of the keys it names).
The code generator applies it to the spec (``scripts/_codegen/_secrets.py`` marks each such property
``x-sigma-secret``, and the model template keeps those fields out of ``repr``); at run time
:func:`request_secrets` applies it to the JSON body a request carried, so that an error built from
the answer never quotes those values back (``_scrubbing.scrubber``).

:func:`scrub_secrets` is the one way a known secret leaves a text, shared by every scrubber: a secret
of at least :data:`SUBSTRING_FLOOR` characters is removed wherever it occurs (also JSON-escaped, as
a server echoing the request inside a JSON string sends it); a shorter one only as a whole token
(``Inv***lid`` from a one-letter test secret would help nobody); one shorter than
:data:`TOKEN_FLOOR` not at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Final

__all__ = [
    "MASK",
    "SECRET_NAME_PATTERN",
    "SUBSTRING_FLOOR",
    "TOKEN_FLOOR",
    "is_secret_name",
    "mapping_repr",
    "request_secrets",
    "scrub_secrets",
    "secret_forms",
]

MASK: Final = "***"
# A secret this long is removed wherever it occurs; shorter ones only where they stand alone.
SUBSTRING_FLOOR: Final = 8
# Shorter than this, a value is no secret worth garbling a message for ("a", "x1").
TOKEN_FLOOR: Final = 4

# A field is secret when its name, lower-cased without separators, ends in one of these: password,
# privateKeyPassphrase, clientSecret, pythonSecrets, access_token, token, privateKey, authorization...
_SECRET_ENDINGS: Final = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "privatekey",
    "apikey",
    "authorization",
)
# ...except page cursors, which are named like tokens but are not credentials (nextPageToken).
_CURSOR_ENDINGS: Final = ("pagetoken", "nexttoken", "continuationtoken")
# A regular expression that matches every name the rule may call secret (and some it does not: check
# a match with is_secret_name).  The log redactor finds ``key=value`` / ``"key": value`` with it.
SECRET_NAME_PATTERN: Final = (
    r"[A-Za-z0-9_-]*?(?:password|passwd|passphrase|secrets?|token|private[_-]?key|api[_-]?key|authorization)"
)
# A discriminator inside a secret value ({"type": "plain", "value": "..."}) names a kind, not a secret.
_DISCRIMINATORS: Final = frozenset({"type"})
# A line of a multi-line secret (a PEM key) this long is removed on its own too, should a server
# quote one line of it.
_LINE_FLOOR: Final = 16


def is_secret_name(name: str) -> bool:
    """Whether a field called ``name`` (JSON or Python spelling) holds a secret."""
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    return squashed.endswith(_SECRET_ENDINGS) and not squashed.endswith(_CURSOR_ENDINGS)


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a secret field's value (an object's discriminators excepted)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _DISCRIMINATORS:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _secret_values(body: Any) -> Iterator[str]:
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(key, str) and is_secret_name(key):
                yield from _strings(value)
            else:
                yield from _secret_values(value)
    elif isinstance(body, list):
        for item in body:
            yield from _secret_values(item)


def request_secrets(content: bytes, content_type: str) -> list[str]:
    """The values of the secret fields of a JSON request body (nothing for any other body)."""
    if not content or "json" not in content_type.lower():
        return []
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return []
    return list(dict.fromkeys(_secret_values(body)))


def secret_forms(secrets: Iterable[str]) -> list[str]:
    """Each secret as it may appear in a text: as sent, JSON-escaped once and twice, and its long lines.

    Longest first, so that a secret containing another is removed whole.
    """
    forms: set[str] = set()
    for secret in secrets:
        if len(secret) < TOKEN_FLOOR:
            continue
        escaped = json.dumps(secret)[1:-1]
        forms.update((secret, escaped, json.dumps(escaped)[1:-1]))
        if "\n" in secret:
            forms.update(line.strip() for line in secret.splitlines() if len(line.strip()) >= _LINE_FLOOR)
    return sorted(forms, key=lambda form: (-len(form), form))


def scrub_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret of ``secrets`` (in every form of :func:`secret_forms`) replaced by ``***``."""
    for form in secret_forms(secrets):
        if len(form) >= SUBSTRING_FLOOR:
            text = text.replace(form, MASK)
        elif form in text:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", MASK, text)
    return text


class _Masked:
    """Stands in for a secret value in a repr."""

    def __repr__(self) -> str:
        return MASK


_MASKED: Final = _Masked()


def _masked(value: Any) -> Any:
    """``value`` with the value of every secret-named key, at any depth, replaced by ``***``."""
    if isinstance(value, dict):
        return {
            key: _MASKED if isinstance(key, str) and is_secret_name(key) else _masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def mapping_repr(value: Any) -> str:
    """The repr of a model's ``additional_properties``: keys a newer Sigma added are shown, but the
    value of a secret-named one (``{"sshPrivateKey": ...}``) is ``***``, by the same rule as fields."""
    return repr(_masked(value))
