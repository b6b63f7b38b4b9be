"""Typed Python SDK for Sigma Computing's REST API: ``from sigma_sdk import Client``.

Models live in `sigma_sdk.models`, endpoint modules in `sigma_sdk.api.<tag>.<operation>`; both load
lazily, so importing this package stays cheap. `RetryPolicy` is what ``Client(retry_policy=...)`` takes;
it is built on first use too (``sigma_sdk_auth.RetryPolicy``).
"""

from typing import TYPE_CHECKING, Any

from sigma_sdk_auth import __version__

from .client import AuthenticatedClient, Client
from .regions import Region

if TYPE_CHECKING:
    from sigma_sdk_auth import RetryPolicy

__all__ = ("AuthenticatedClient", "Client", "Region", "RetryPolicy", "__version__")

if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name is an error, not Any

    def __getattr__(name: str) -> Any:
        if name != "RetryPolicy":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from sigma_sdk_auth import RetryPolicy

        globals()[name] = RetryPolicy  # later look-ups skip this function
        return RetryPolicy
