"""Every exception the SDK raises, and nothing else: what ``sigma_sdk.errors`` re-exports.

The list is written once, as ``sigma_sdk_auth._errors.__all__``; a new error class appears here, in
``sigma_sdk_auth`` and in ``sigma_sdk.errors`` without any other edit.
"""

# Both lines are needed: the star import binds the classes; importing __all__ itself (a form mypy
# follows through further star imports) makes it this module's list, too.
from ._errors import *  # noqa: F403
from ._errors import __all__ as __all__
