"""Typed Python SDK for Sigma Computing's REST API: ``from sigma_sdk import Client``.

Models live in `sigma_sdk.models`, endpoint modules in `sigma_sdk.api.<tag>.<operation>`; both load
lazily, so importing this package stays cheap. `RetryPolicy` is what ``Client(retry_policy=...)`` takes.
"""

from sigma_sdk_auth import RetryPolicy, __version__

from .client import AuthenticatedClient, Client
from .regions import Region

__all__ = ("AuthenticatedClient", "Client", "Region", "RetryPolicy", "__version__")
