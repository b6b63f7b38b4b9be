"""Shared types of the generated code: `UNSET`/`Unset`, `File`, `Response` and `UnknownValue`.

Defined in the hand-written ``sigma_sdk_auth.types``, whose ``__all__`` is the one list of names.
``File``, ``Response`` and the file aliases load on first use there (only endpoint modules need
them), so they are taken from it on first use here too: a star import would build them at once.
"""

from typing import TYPE_CHECKING

from sigma_sdk_auth.runtime import lazy_names
from sigma_sdk_auth.types import UNSET as UNSET
from sigma_sdk_auth.types import UnknownValue as UnknownValue
from sigma_sdk_auth.types import Unset as Unset
from sigma_sdk_auth.types import __all__ as __all__

if TYPE_CHECKING:
    from sigma_sdk_auth.types import File as File
    from sigma_sdk_auth.types import FileTypes as FileTypes
    from sigma_sdk_auth.types import RequestFiles as RequestFiles
    from sigma_sdk_auth.types import Response as Response
else:  # hidden from type checkers, so a misspelt name is an error, not Any
    __getattr__, __dir__ = lazy_names(globals(), dict.fromkeys(__all__, "sigma_sdk_auth.types"))
