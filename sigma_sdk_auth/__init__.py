"""Hand-written runtime for the generated ``sigma_sdk`` package: auth, client base, errors, retries.

Nothing in this package is touched by regeneration.  The generated ``sigma_sdk.Client`` subclasses
:class:`SigmaClient`; everything an application catches lives in the error tree below.  Its other
public modules load only when imported, each re-exported by a ``sigma_sdk`` module of the same name:
``jobs`` (exports, materializations), ``testing`` (a local fake Sigma), ``types`` (``UNSET``,
``Response``...) and ``errors``; ``runtime`` is the contract generated code is written against.
"""

from typing import TYPE_CHECKING

from . import _errors
from ._auth import SigmaAuth
from ._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, SigmaClient
from ._errors import *  # noqa: F403 - the error tree, listed once in _errors.__all__
from ._forward import UnknownValue
from ._lazy import lazy_names
from ._public import publish
from ._version import __version__

if TYPE_CHECKING:
    from ._retry_policy import RetryPolicy

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "RetryPolicy",
    "SigmaAuth",
    "SigmaClient",
    "UnknownValue",
    "__version__",
]
__all__ += _errors.__all__  # a form mypy and pyright both follow

publish("sigma_sdk_auth", globals(), ["SigmaAuth", "SigmaClient"])

if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name is an error, not Any
    # RetryPolicy, an attrs class, is built on first use (see _retry_policy).
    __getattr__, __dir__ = lazy_names(globals(), {"RetryPolicy": "._retry_policy"})
