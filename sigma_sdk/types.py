"""Shared types of the generated code: `UNSET`/`Unset`, `File`, `Response` and `UnknownValue`.

Defined in the hand-written ``sigma_sdk_auth.types``, whose ``__all__`` is the one list of names.
``File``, ``Response`` and the file aliases load on first use there (only endpoint modules need
them), so they are taken from it on first use here too: a star import would build them at once.
"""

from typing import TYPE_CHECKING, Any

from sigma_sdk_auth import types as _runtime_types
from sigma_sdk_auth.types import UNSET as UNSET
from sigma_sdk_auth.types import UnknownValue as UnknownValue
from sigma_sdk_auth.types import Unset as Unset
from sigma_sdk_auth.types import __all__ as __all__

if TYPE_CHECKING:
    from sigma_sdk_auth.types import File as File
    from sigma_sdk_auth.types import FileTypes as FileTypes
    from sigma_sdk_auth.types import RequestFiles as RequestFiles
    from sigma_sdk_auth.types import Response as Response
else:

    def __getattr__(name: str) -> Any:
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(_runtime_types, name)
        globals()[name] = value  # later look-ups skip this function
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
