"""The ``sigma_sdk`` logger, its ``SIGMA_LOG`` switch, and secret redaction.

Nothing is printed unless the application configures logging or sets ``SIGMA_LOG``:

* ``SIGMA_LOG=debug`` or ``SIGMA_LOG=info`` (case-insensitive, read once at import) attaches one
  stderr handler to the ``sigma_sdk`` logger at that level.  Any other non-empty value is ignored
  with a :class:`RuntimeWarning` that names the variable; it never stops the import.
* :class:`RedactingFilter` rewrites a record's message (and formatted traceback) through
  :func:`redact` before it is emitted, for every ``sigma_sdk.*`` logger:

  - it sits on the ``sigma_sdk`` logger and on each logger the SDK creates with
    :func:`get_logger` (``sigma_sdk.auth``...), so a record logged there is redacted before *any*
    handler sees it, including handlers the application attaches to that very logger;
  - a logger's filters do not run for records from its children, so ``sigma_sdk`` also carries a
    handler that emits nothing and redacts, in place, every record that propagates through it: a
    record from any ``sigma_sdk.x.y`` logger is redacted before the handlers further up (the root
    logger's, pytest's caplog) see it.  (Having a handler also keeps Python's "last resort"
    stderr printing away from library records, as the logging HOWTO advises for libraries.)

The SDK's own code never logs headers or bodies; redaction is the second line of defence.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import warnings
from collections.abc import Mapping
from typing import Final, TextIO

from ._secrets import SECRET_NAME_PATTERN, is_secret_name

__all__ = [
    "ENV_VAR",
    "LOGGER_NAME",
    "REDACTED",
    "RedactingFilter",
    "configure_from_env",
    "get_logger",
    "logger",
    "redact",
]

LOGGER_NAME: Final = "sigma_sdk"
ENV_VAR: Final = "SIGMA_LOG"
REDACTED: Final = "[REDACTED]"

logger = logging.getLogger(LOGGER_NAME)

_LEVELS: Final[Mapping[str, int]] = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Keys whose values are secrets wherever they appear: form bodies and query strings
# (``client_secret=...``), JSON (``"privateKey": "..."``), Python reprs (``'refresh_token': '...'``,
# ``actor_token='...'``): every key the one rule of ``_secrets.is_secret_name`` calls secret, the
# rule that also keeps model fields out of repr and request values out of errors.
# ``subject_token_type=...`` is *not* matched: the separator must follow the key directly.
# <key><optional closing quote><':' or '='>, or the tuple form ('key', 'value').
_SEPARATOR: Final = r"""(?:["']?[ \t]*[:=][ \t]*|["'][ \t]*,[ \t]*)"""
# Already redacted (keeps redact() idempotent), a quoted value (optionally a bytes literal), or a
# bare one running to a delimiter.
_VALUE: Final = r"""(?:\[REDACTED\]|b?(?P<q>["'])(?:\\.|(?!(?P=q)).)*(?P=q)|[^\s&,;"'<>{}()\[\]]+)"""

_AUTH_VALUE: Final = (
    r"""(?:\[REDACTED\]|b?(?P<q>["'])(?:\\.|(?!(?P=q)).)*(?P=q)"""
    r"""|(?:(?:bearer|basic|token)[ \t]+)?[^\s"',;}\]]+)"""
)


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Authorization, key=value, bare Bearer and JWT patterns, compiled on first use, not at import."""
    authorization = re.compile(
        rf"(?<![A-Za-z0-9])(?P<key>(?:proxy-)?authorization)(?P<sep>{_SEPARATOR})(?P<value>{_AUTH_VALUE})",
        re.IGNORECASE,
    )
    key_value = re.compile(
        rf"(?<![A-Za-z0-9])(?P<key>{SECRET_NAME_PATTERN})(?P<sep>{_SEPARATOR})(?P<value>{_VALUE})",
        re.IGNORECASE,
    )
    bearer = re.compile(r"(?<![A-Za-z0-9])(?P<scheme>bearer)[ \t]+[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
    # Anything shaped like a JWT (access tokens, the impersonation subject token), wherever it appears.
    jwt = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
    return authorization, key_value, bearer, jwt


def _replace_value(match: re.Match[str]) -> str:
    if not is_secret_name(match.group("key")):  # a page cursor (nextPageToken=...) is not a secret
        return match.group(0)
    value = match.group("value")
    quote = match.group("q")
    if quote:
        prefix = "b" if value.startswith("b") else ""
        return f"{match.group('key')}{match.group('sep')}{prefix}{quote}{REDACTED}{quote}"
    return f"{match.group('key')}{match.group('sep')}{REDACTED}"


def redact(text: str) -> str:
    """Return ``text`` with Authorization values, Bearer tokens, JWTs and OAuth secrets replaced.

    Covers ``Authorization: Bearer ...`` / ``Basic ...`` headers in any common rendering, bare
    ``Bearer <token>``, and the values of ``client_secret``, ``access_token``, ``refresh_token``,
    ``subject_token``, ``actor_token`` and every other key ``_secrets.is_secret_name`` calls secret
    (``password``, ``privateKey``, ``clientSecret``...) in form, query, JSON and repr syntax.
    Idempotent: redacting twice gives the same text.
    """
    authorization, key_value, bearer, jwt = _patterns()
    text = authorization.sub(_replace_value, text)
    text = key_value.sub(_replace_value, text)
    text = bearer.sub(lambda m: f"{m.group('scheme')} {REDACTED}", text)
    return jwt.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrite each record's message, traceback and stack text through :func:`redact`.

    The record is modified in place (``msg`` becomes the redacted, fully formatted message and
    ``args`` is emptied), so handlers that run after this filter see the redacted text as well.
    Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # mismatched %-args: don't let logging echo raw args to stderr.
            message = f"{record.msg} (unformattable arguments)"
        record.msg = redact(str(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER: Final = RedactingFilter()
logger.addFilter(_FILTER)


class _RedactingPassThrough(logging.Handler):
    """Emits nothing; redacts in place each record that propagates through ``sigma_sdk``."""

    def handle(self, record: logging.LogRecord) -> bool:
        return _FILTER.filter(record)

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() never emits
        pass


logger.addHandler(_RedactingPassThrough())


def get_logger(name: str) -> logging.Logger:
    """The ``sigma_sdk.*`` logger ``name``, with the redacting filter on the logger itself."""
    if name != LOGGER_NAME and not name.startswith(LOGGER_NAME + "."):
        raise ValueError(f"SDK loggers live under {LOGGER_NAME!r}, not {name!r}")
    child = logging.getLogger(name)
    if _FILTER not in child.filters:
        child.addFilter(_FILTER)
    return child


class _SigmaLogHandler(logging.StreamHandler[TextIO]):
    """The handler ``SIGMA_LOG`` installs; a distinct type so re-configuration replaces it."""


def configure_from_env(
    environ: Mapping[str, str] | None = None, *, stream: TextIO | None = None
) -> logging.Handler | None:
    """Apply ``SIGMA_LOG`` from ``environ`` (default ``os.environ``); return the handler or None.

    Runs once at import.  Calling it again replaces the handler it installed earlier rather
    than adding a second one.  Unset or empty: nothing changes.  ``debug`` / ``info``: a
    redacting stderr (or ``stream``) handler at that level, and the logger's level set to match.
    Anything else: a :class:`RuntimeWarning` naming ``SIGMA_LOG``, nothing else changes.
    """
    env = os.environ if environ is None else environ
    raw = env.get(ENV_VAR, "")
    value = raw.strip().lower()
    if not value:
        return None
    level = _LEVELS.get(value)
    if level is None:
        warnings.warn(
            f"Ignoring {ENV_VAR}={raw!r}: expected one of {', '.join(sorted(_LEVELS))} (case-insensitive).",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    for existing in list(logger.handlers):
        if isinstance(existing, _SigmaLogHandler):
            logger.removeHandler(existing)
    handler = _SigmaLogHandler(sys.stderr if stream is None else stream)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(_FILTER)
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


configure_from_env()
