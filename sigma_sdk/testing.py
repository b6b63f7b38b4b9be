# Hand-written: copied by scripts/regenerate.py from templates/handwritten/testing.py — edit it there.
"""A local fake of Sigma's REST API for your tests: ``from sigma_sdk.testing import run_standin``.

Hand-written in ``sigma_sdk_auth.testing`` (see its docstring for every endpoint, fault and
inspection method); ``scripts/regenerate.py`` copies this file into the package unchanged.
Importing ``sigma_sdk`` does not load it.
"""

from sigma_sdk_auth.testing import (
    ACCESS_TOKEN_PREFIX,
    DEFAULT_CLIENT_ID,
    DEFAULT_MAX_LIFETIME,
    REFRESH_TOKEN_PREFIX,
    TOKEN_EXCHANGE,
    ApiError,
    ExportJob,
    Fault,
    FaultSchedule,
    Materialization,
    RequestRecord,
    SigmaStandin,
    StandinServer,
    error_response,
    run_standin,
)

__all__ = [
    "ACCESS_TOKEN_PREFIX",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_MAX_LIFETIME",
    "REFRESH_TOKEN_PREFIX",
    "TOKEN_EXCHANGE",
    "ApiError",
    "ExportJob",
    "Fault",
    "FaultSchedule",
    "Materialization",
    "RequestRecord",
    "SigmaStandin",
    "StandinServer",
    "error_response",
    "run_standin",
]
