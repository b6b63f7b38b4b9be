"""Public names for hand-written classes: tracebacks and reprs say ``sigma_sdk.errors.NotFoundError``.

The runtime lives in underscore-private modules (``sigma_sdk_auth._errors``); users import its
classes from the public modules that re-export them. Setting ``__module__`` to that public home
makes a traceback, ``repr(type(x))``, ``help()`` and pickling name the module a user can import,
not the private one the class happens to be written in.

``typing.get_type_hints`` resolves a class's string annotations in the module ``__module__`` names,
where the private module's imports (``httpx``, ``Path``...) are not; so each class's own annotations
are resolved first, in the module that wrote them, and kept as the objects they name.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterable, Mapping

__all__ = ["publish"]


def publish(public_module: str, namespace: Mapping[str, object], names: Iterable[str]) -> None:
    """Give each class among ``names`` in ``namespace`` the ``__module__`` users import it from."""
    for name in names:
        value = namespace[name]
        if isinstance(value, type) and value.__module__.startswith("sigma_sdk_auth"):
            _resolve_own_annotations(value)
            value.__module__ = public_module


def _resolve_own_annotations(cls: type) -> None:
    own = inspect.get_annotations(cls)  # this class's own, not its bases'
    if not own:
        return
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception:  # a name only a type checker sees: leave that class's text as it is
        return
    cls.__annotations__ = {name: hints.get(name, annotation) for name, annotation in own.items()}
