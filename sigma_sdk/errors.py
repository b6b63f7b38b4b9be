"""Exceptions raised by the SDK: ``except sigma_sdk.errors.SigmaError`` catches every one of them.

They are defined in the hand-written ``sigma_sdk_auth``; this module re-exports exactly the list
``sigma_sdk_auth.errors`` publishes, so a new error class needs no edit here.
"""

from sigma_sdk_auth.errors import *  # noqa: F403
from sigma_sdk_auth.errors import __all__ as __all__
