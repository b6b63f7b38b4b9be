"""The client every endpoint function takes as ``client=``.

The behaviour (authentication, retries, timeouts, connection pools) is hand-written in
``sigma_sdk_auth``; this module only binds it to the regions of this spec release (``regions.py``).
"""

from typing import ClassVar

from sigma_sdk_auth import SigmaClient

from .regions import Region

__all__ = ["AuthenticatedClient", "Client"]


class Client(SigmaClient):
    """An authenticated, self-refreshing client for Sigma's REST API.

    ``Client(base_url="aws-us-east", client_id=..., client_secret=...)`` — ``base_url`` is a URL or a
    region name (see `sigma_sdk.Region`). Also `Client.from_env()` and
    `Client.from_postman_environment(path)`. Use it as a context manager to close its connections.
    """

    regions: ClassVar[type[Region]] = Region


# The name openapi-python-client users know; every client here is authenticated.
AuthenticatedClient = Client
