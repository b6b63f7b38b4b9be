"""Names a module imports on first use (PEP 562): what most programs never touch costs nothing at import.

``File``/``Response`` (an attrs class each), ``RetryPolicy`` and the response checks are built or
imported only when a program first looks them up; ``from sigma_sdk import Client`` stays close to
``import httpx``.  Type checkers see the names through each module's ``TYPE_CHECKING`` imports; the
``__getattr__`` made here is hidden from them (``if not TYPE_CHECKING:``), so a misspelt name is a
type error rather than ``Any``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    namespace: dict[str, Any], homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module whose globals are ``namespace``.

    Each name in ``homes`` is imported from the module ``homes[name]`` names (absolute, or relative
    to the module's package) the first time it is looked up, and then kept in ``namespace``, so later
    look-ups do not come here.  Any other name raises ``AttributeError`` as a module would.
    """
    module_name, package = namespace["__name__"], namespace.get("__package__")

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *homes})

    return __getattr__, __dir__
