"""Typed Python SDK for Sigma Computing's REST API: ``from sigma_sdk import Client``.

Models live in `sigma_sdk.models`, endpoint modules in `sigma_sdk.api.<tag>.<operation>`; both load
lazily, so importing this package stays cheap. `RetryPolicy` is what ``Client(retry_policy=...)`` takes;
it is built on first use too (``sigma_sdk_auth.RetryPolicy``).
"""

from typing import TYPE_CHECKING

from sigma_sdk_auth import __version__
from sigma_sdk_auth.runtime import lazy_names

from .client import AuthenticatedClient, Client
from .regions import Region

if TYPE_CHECKING:
    from sigma_sdk_auth import RetryPolicy

__all__ = ("AuthenticatedClient", "Client", "Region", "RetryPolicy", "__version__")

if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name is an error, not Any
    __getattr__, __dir__ = lazy_names(globals(), {"RetryPolicy": "sigma_sdk_auth"})
