"""Hand-written runtime for the generated ``sigma_sdk`` package: auth, client base, errors, retries.

Nothing in this package is touched by regeneration.  The generated ``sigma_sdk.Client`` subclasses
:class:`SigmaClient`; everything an application catches lives in the error tree below.  The job
helpers (exports, materializations; public as ``sigma_sdk.jobs``) load on first use, so a program
that never exports does not pay for importing them.
"""

from typing import TYPE_CHECKING, Any

from . import _errors
from ._auth import SigmaAuth
from ._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, SigmaClient
from ._errors import *  # noqa: F403 - the error tree, listed once in _errors.__all__
from ._forward import UnknownValue
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    from ._jobs import (
        ExportFormat,
        ExportOptions,
        ExportResult,
        ExportTarget,
        MaterializationStatus,
        PdfLayout,
        ProgressCallback,
        adownload_export,
        aexport_workbook,
        await_data_model_materialization,
        await_materialization,
        download_export,
        export_workbook,
        wait_for_data_model_materialization,
        wait_for_materialization,
    )

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ExportFormat",
    "ExportOptions",
    "ExportResult",
    "ExportTarget",
    "MaterializationStatus",
    "PdfLayout",
    "ProgressCallback",
    "RetryPolicy",
    "SigmaAuth",
    "SigmaClient",
    "UnknownValue",
    "__version__",
    "adownload_export",
    "aexport_workbook",
    "await_data_model_materialization",
    "await_materialization",
    "download_export",
    "export_workbook",
    "wait_for_data_model_materialization",
    "wait_for_materialization",
]
__all__ += _errors.__all__  # a form mypy and pyright both follow


if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name is an error, not Any

    def __getattr__(name: str) -> Any:
        # Only missing names get here: the job helpers, or a mistake.
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from . import _jobs

        value = getattr(_jobs, name)
        globals()[name] = value  # later look-ups skip this function
        return value
