"""Public names for hand-written classes: tracebacks and reprs say ``sigma_sdk.errors.NotFoundError``.

The runtime lives in underscore-private modules (``sigma_sdk_auth._errors``); users import its
classes from the public modules that re-export them. Setting ``__module__`` to that public home
makes a traceback, ``repr(type(x))``, ``help()`` and pickling name the module a user can import,
not the private one the class happens to be written in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["publish"]


def publish(public_module: str, namespace: Mapping[str, object], names: Iterable[str]) -> None:
    """Give each class among ``names`` in ``namespace`` the ``__module__`` users import it from."""
    for name in names:
        value = namespace[name]
        if isinstance(value, type) and value.__module__.startswith("sigma_sdk_auth"):
            value.__module__ = public_module
