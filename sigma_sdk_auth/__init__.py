"""Hand-written runtime for the generated ``sigma_sdk`` package: auth, client base, errors, retries.

Nothing in this package is touched by regeneration.  The generated ``sigma_sdk.Client`` subclasses
:class:`SigmaClient`; everything an application catches lives in the error tree below.
"""

from ._auth import SigmaAuth
from ._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, SigmaClient
from ._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InsecureTransportError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    SigmaAPIError,
    SigmaError,
    UnprocessableEntityError,
)
from ._forward import UnknownValue
from ._retry import RetryPolicy

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "InsecureTransportError",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "RetryPolicy",
    "SigmaAPIError",
    "SigmaAuth",
    "SigmaClient",
    "SigmaError",
    "UnknownValue",
    "UnprocessableEntityError",
]
