"""Public names for hand-written classes: tracebacks and reprs say ``sigma_sdk.errors.NotFoundError``.

The runtime lives in underscore-private modules (``sigma_sdk_auth._errors``); users import its
classes from the public modules that re-export them. Setting ``__module__`` to that public home
makes a traceback, ``repr(type(x))``, ``help()`` and pickling name the module a user can import,
not the private one the class happens to be written in.

``typing.get_type_hints`` resolves a class's string annotations in the module ``__module__`` names,
where the private module's imports (``httpx``, ``Path``...) are not; so a class's own annotations
that name such imports are resolved first, in the module that wrote them, and kept as the objects
they name.  Text that names only builtins (``retry_after: float | None``) resolves anywhere and is
left as it is: resolving costs about 10 microseconds an annotation, at import.
"""

from __future__ import annotations

import builtins
import inspect
import sys
from collections.abc import Iterable, Mapping
from typing import Final

__all__ = ["publish"]

# Annotation text split into names: `str | None` gives `str`, `None`; `httpx.Response` stays one name.
_SEPARATORS: Final = str.maketrans("|[],", "    ")


def publish(public_module: str, namespace: Mapping[str, object], names: Iterable[str]) -> None:
    """Give each class among ``names`` in ``namespace`` the ``__module__`` users import it from."""
    for name in names:
        value = namespace[name]
        if isinstance(value, type) and value.__module__.startswith("sigma_sdk_auth"):
            _resolve_own_annotations(value)
            value.__module__ = public_module


def _resolve_own_annotations(cls: type) -> None:
    own = inspect.get_annotations(cls)  # this class's own, not its bases'
    written_in = vars(sys.modules[cls.__module__])
    texts = {
        name: text for name, text in own.items() if isinstance(text, str) and not _names_only_builtins(text, written_in)
    }
    if not texts:
        return
    try:
        # What typing.get_type_hints does with each, for these only: evaluate the text the compiler
        # wrote (`from __future__ import annotations`) in the module that wrote it.
        resolved = {name: eval(text, written_in) for name, text in texts.items()}  # noqa: S307 - annotation text
    except Exception:  # a name only a type checker sees: leave that class's text as it is
        return
    cls.__annotations__ = {name: resolved.get(name, annotation) for name, annotation in own.items()}


def _names_only_builtins(text: str, written_in: Mapping[str, object]) -> bool:
    # Anything else (a dotted name, a quoted literal, a builtin the module redefines) counts as
    # needing the module that wrote it.
    names = text.translate(_SEPARATORS).split()
    return all(name in vars(builtins) and name not in written_in for name in names)
