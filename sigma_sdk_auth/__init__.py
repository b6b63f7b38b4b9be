"""Hand-written runtime for the generated ``sigma_sdk`` package: auth, client base, errors, retries.

Nothing in this package is touched by regeneration.  The generated ``sigma_sdk.Client`` subclasses
:class:`SigmaClient`; everything an application catches lives in the error tree below.
"""

from . import _errors
from ._auth import SigmaAuth
from ._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, SigmaClient
from ._errors import *  # noqa: F403 - the error tree, listed once in _errors.__all__
from ._retry import RetryPolicy

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "RetryPolicy", "SigmaAuth", "SigmaClient"]
__all__ += _errors.__all__  # a form mypy and pyright both follow
