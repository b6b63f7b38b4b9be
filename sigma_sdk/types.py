"""Shared types of the generated code: `UNSET`/`Unset`, `File`, `Response` and `UnknownValue`.

Defined in the hand-written ``sigma_sdk_auth.types``, whose ``__all__`` is the one list of names.
"""

from sigma_sdk_auth.types import *  # noqa: F403
from sigma_sdk_auth.types import __all__ as __all__
