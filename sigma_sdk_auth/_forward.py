"""Forward compatibility: values a newer Sigma sends that this SDK's spec did not list.

Sigma adds enum values (a new file type, permission or status) and union variants between the
releases the SDK is generated from.  Parsing keeps them instead of failing the call:

* an unknown enum value becomes an :class:`UnknownValue`, a ``str`` subclass holding exactly what
  Sigma sent, so ``to_dict()`` gives it back unchanged.  Generated enum types are
  ``Literal[...] | UnknownValue``: a type checker makes callers handle the unknown case, yet a
  misspelt plain string literal in a request is still an error (a ``str`` is not an ``UnknownValue``);
* an object that matches no branch of a union becomes the generated ``UnknownVariant`` model, whose
  ``additional_properties`` hold every key.

Each unknown value is logged once per field at DEBUG on the ``sigma_sdk`` logger, so a user sees
that it is time to upgrade without a log line per parsed entry.
"""

from __future__ import annotations

import threading
from typing import Final

from ._logging import logger
from ._public import publish

__all__ = ["UnknownValue", "is_unset_type", "note_unknown_variant", "unknown_value"]

# Distinct (where, value) pairs remembered for "log once"; past this many, logging stops rather than
# letting a server that invents a value per entry grow the set without bound.
_MAX_REMEMBERED: Final = 1024
_seen: set[tuple[str, str]] = set()
_seen_lock = threading.Lock()


class UnknownValue(str):
    """An enum value this version of the SDK does not know, kept exactly as Sigma sent it.

    ``isinstance(value, UnknownValue)`` tells it apart from the known ``Literal`` values; it compares,
    hashes and serializes like the plain string it is.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"UnknownValue({str.__repr__(self)})"


def _first_time(where: str, what: str) -> bool:
    key = (where, what)
    with _seen_lock:
        if key in _seen or len(_seen) >= _MAX_REMEMBERED:
            return False
        _seen.add(key)
        return True


def unknown_value(value: object, enum_name: str, field: str) -> UnknownValue:
    """``value`` (not one of ``enum_name``'s values) as an :class:`UnknownValue`, logged once per field.

    Only strings are kept: a number or an object where Sigma's enum holds strings is a malformed
    body, not a new value, and raises ``TypeError`` (the caller turns it into a typed error).
    """
    if not isinstance(value, str):
        raise TypeError(f"expected one of the {enum_name} strings, found {type(value).__name__}")
    if _first_time(f"{enum_name}:{field}", value):
        logger.debug(
            "Sigma sent %s value %r in field %r, which this sigma-sdk does not know; kept as UnknownValue "
            "(a newer sigma-sdk may know it)",
            enum_name,
            value,
            field,
        )
    return UnknownValue(value)


def note_unknown_variant(field: str, data: object) -> None:
    """Log once per field that an object matched no branch of its union and was kept as ``UnknownVariant``."""
    if _first_time("variant", field):
        shown = sorted(str(key) for key in data) if isinstance(data, dict) else []
        logger.debug(
            "Sigma sent an object in field %r that matches none of the shapes this sigma-sdk knows "
            "(keys %s); kept as UnknownVariant (a newer sigma-sdk may know it)",
            field,
            shown,
        )


publish("sigma_sdk.types", globals(), ["UnknownValue"])  # what tracebacks and reprs name


def is_unset_type(member: object) -> bool:
    """Whether a member of a field's union is the generated ``Unset`` type (an optional field's absence).

    By name: the ``Unset`` sentinel type lives in sigma_sdk.types, which the runtime must not import.
    """
    return getattr(member, "__name__", "") == "Unset" and isinstance(member, type)
